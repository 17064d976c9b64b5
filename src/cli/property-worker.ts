/**
 * The worker side of `nanhunt check`'s watchdog (watchdog.ts): this module runs in a worker
 * thread with its own TensorFlow.js. It loads the same properties as the main thread (the catalog,
 * or `--properties`), selects the same backend, and runs one property at a time on request with
 * runProperty — the same engine, seed and cases as a run in the main thread. Results cross back as
 * wire text (browser/wire.ts: TensorValues, -0, NaN and typed arrays kept) with their error samples
 * in a transferred Float64Array (result-transfer.ts), so the reports match.
 */
import { parentPort, type Transferable } from 'node:worker_threads';
import { loadCatalog, loadProperties } from '../property/load.ts';
import type { Property } from '../property/property.ts';
import { runProperty, type RunOptions } from '../property/runner.ts';
import { useBackend } from '../run/backend.ts';
import { decode } from '../browser/wire.ts';
import { packResult, type PackedResult } from './result-transfer.ts';

/** What the main thread sends. */
export type ToWorker =
  | { readonly type: 'init'; readonly backend: string; readonly properties?: string; readonly cases: boolean }
  | { readonly type: 'run'; readonly name: string; readonly options: string };

/** What the worker answers. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'cases'; readonly n: number }
  | ({ readonly type: 'result' } & PackedResult)
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };

/** Least ms between two case counts sent for the live display. */
const CASES_EVERY_MS = 100;

const port = parentPort;
if (port) {
  let byName = new Map<string, Property>();
  let counting = false;
  const send = (m: FromWorker, transfer: Transferable[] = []) => port.postMessage(m, transfer);
  port.on('message', async (m: ToWorker) => {
    try {
      if (m.type === 'init') {
        await useBackend(m.backend);
        const loaded = m.properties === undefined ? await loadCatalog() : await loadProperties(m.properties);
        byName = new Map(loaded.map((l) => [l.property.name, l.property]));
        counting = m.cases;
        send({ type: 'ready' });
        return;
      }
      const p = byName.get(m.name);
      if (!p) throw new Error(`the worker has no property named '${m.name}'`);
      const result = runProperty(counting ? counted(p, send) : p, decode<RunOptions>(m.options));
      const packed = packResult(result);
      send({ type: 'result', ...packed }, packed.samples ? [packed.samples.buffer] : []);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      send({ type: 'failed', message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
    }
  });
}

/** The property with a subject that reports its case count (at most every {@link CASES_EVERY_MS}), for the live display. */
function counted<I>(p: Property<I>, send: (m: FromWorker) => void): Property<I> {
  const subject = p.subject;
  let n = 0;
  let last = -Infinity;
  return Object.freeze({
    ...p,
    subject: (inputs: Parameters<typeof subject>[0]) => {
      n++;
      const now = performance.now();
      if (now - last >= CASES_EVERY_MS) {
        last = now;
        send({ type: 'cases', n });
      }
      return subject(inputs);
    },
  }) as Property<I>;
}
