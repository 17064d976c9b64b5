/**
 * The worker side of `nanhunt check --workers` and `--timeout` (watchdog.ts): piscina's task
 * module. Each worker thread of the pool loads it once, with its own TensorFlow.js: it selects the
 * run's backend and loads the same properties as the main thread (the catalog, or
 * `--properties`; `workerData`), then runs one property per task with runProperty — the same
 * engine, seed and cases as a run in the main thread. Results cross back as wire text
 * (browser/wire.ts: TensorValues, -0, NaN and typed arrays kept) with their error samples in a
 * transferred Float64Array (result-transfer.ts), so the reports match.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadCatalog, loadProperties } from '../property/load.ts';
import type { Property } from '../property/property.ts';
import { runProperty, type RunOptions } from '../property/runner.ts';
import { useBackend } from '../run/backend.ts';
import { decode } from '../browser/wire.ts';
import { packResult, type PackedResult } from './result-transfer.ts';

/** What every worker of a pool is given when it starts (piscina's `workerData`). */
export interface WorkerInit {
  readonly backend: string;
  readonly properties?: string;
  /** Report case counts (the live display). */
  readonly cases: boolean;
}

/** One task: run this property with these options (wire text); `port` carries `started` and case counts back. */
export interface PropertyTask {
  readonly name: string;
  readonly options: string;
  readonly port: MessagePort;
}

/** What the worker says on a task's port while the task runs. */
export type TaskMessage = { readonly type: 'started' } | { readonly type: 'cases'; readonly n: number };

/** A task's answer: the result, or nanhunt's own error (a fault of the code under test is a result, never this). */
export type TaskAnswer = ({ readonly type: 'result' } & PackedResult) | { readonly type: 'failed'; readonly message: string; readonly stack?: string };

/** Least ms between two case counts sent for the live display. */
const CASES_EVERY_MS = 100;

const init = workerData as WorkerInit | undefined;
/** Loading starts with the thread, before the first task. */
const loading: Promise<Map<string, Property>> | undefined = init
  ? (async () => {
      await useBackend(init.backend);
      const loaded = init.properties === undefined ? await loadCatalog() : await loadProperties(init.properties);
      return new Map(loaded.map((l) => [l.property.name, l.property]));
    })()
  : undefined;
loading?.catch(() => {}); // awaited by each task, which reports it

/** Run one property (piscina calls this for each task). */
export default async function runTask(task: PropertyTask): Promise<unknown> {
  const send = (m: TaskMessage) => task.port.postMessage(m);
  try {
    if (!loading) throw new Error('the property worker was started without its workerData');
    const byName = await loading;
    send({ type: 'started' }); // the watchdog's clock starts here: loading is not the property's time
    const p = byName.get(task.name);
    if (!p) throw new Error(`the worker has no property named '${task.name}'`);
    const result = runProperty(init!.cases ? counted(p, send) : p, decode<RunOptions>(task.options));
    const packed = packResult(result);
    const answer: TaskAnswer = { type: 'result', ...packed };
    // the error samples' buffer is moved, not copied
    return packed.samples ? move({ [transferableSymbol]: packed.samples.buffer, [valueSymbol]: answer }) : answer;
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { type: 'failed', message: error.message, ...(error.stack ? { stack: error.stack } : {}) } satisfies TaskAnswer;
  } finally {
    task.port.close();
  }
}

/** The property with a subject that reports its case count (at most every {@link CASES_EVERY_MS}), for the live display. */
function counted<I>(p: Property<I>, send: (m: TaskMessage) => void): Property<I> {
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
