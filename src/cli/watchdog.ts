/**
 * `nanhunt check --timeout <seconds>`: each property runs in a worker thread (property-worker.ts)
 * with its own TensorFlow.js; a property still running after the timeout is stopped — its worker
 * terminated, and replaced for the next property — and reported as an error at stage `timeout`.
 * The worker runs the same engine with the same seed, so the results are those of a run in the
 * main thread (timings aside). While a property runs the main thread is free: it names a slow
 * property every few seconds (`still running: <name> (20 s)`) where no live status line shows it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FROM_SOURCE, MODULE_EXTENSION } from '../core/package.ts';
import { encode } from '../browser/wire.ts';
import { unpackResult } from './result-transfer.ts';
import type { PropertyResult, RunOptions } from '../property/runner.ts';
import type { ErrorStage } from '../property/failure.ts';
import { UsageError } from './args.ts';
import type { FromWorker, ToWorker } from './property-worker.ts';

/** How often a slow property is named on plain output, in ms. */
export const STILL_RUNNING_MS = 10_000;

/**
 * `--timeout <seconds>`: a positive number of seconds; undefined when not given (no watchdog: the
 * properties run in the main thread). Anything else is a usage error.
 */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(s > 0) || !Number.isFinite(s)) throw new UsageError(`--timeout must be a positive number of seconds, got '${value}'`);
  return s * 1000;
}

/** Seconds for people: `2 s`, `0.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export interface WatchdogOptions {
  /** The backend the workers select (as `--backend`). */
  readonly backend: string;
  /** `--properties`, when given (default: the catalog). */
  readonly properties?: string;
  /** Stop a property after this many ms (undefined: never; `check --workers` without `--timeout`). */
  readonly timeoutMs: number | undefined;
  /** Call `onCases` with the running property's case count (the live display). */
  readonly cases?: boolean;
  onCases?(n: number, name: string): void;
  /** Called every `stillRunningMs` (default {@link STILL_RUNNING_MS}) while one property runs. */
  onStillRunning?(name: string, elapsedMs: number): void;
  readonly stillRunningMs?: number;
}

interface Pending {
  resolve(m: FromWorker): void;
  reject(e: Error): void;
}

/** One worker thread, ready to run properties one at a time. */
class PropertyWorker {
  private readonly worker: Worker;
  private pending: Pending | undefined;
  private exited: Error | undefined;
  readonly ready: Promise<void>;

  constructor(options: WatchdogOptions, onCases: (n: number) => void) {
    this.worker = new Worker(workerScript(), { eval: true, stdout: false, stderr: false });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'cases') onCases(m.n);
      else this.settle((p) => p.resolve(m));
    });
    this.worker.on('error', (e) => {
      this.exited ??= e;
      this.settle((p) => p.reject(e));
    });
    this.worker.on('exit', (code) => {
      this.exited = new Error(`the property worker exited (code ${code})`);
      this.settle((p) => p.reject(this.exited!));
    });
    const init: ToWorker = {
      type: 'init',
      backend: options.backend,
      ...(options.properties !== undefined ? { properties: options.properties } : {}),
      cases: options.cases ?? false,
    };
    this.ready = this.request(init).then(() => undefined);
    this.ready.catch(() => {}); // awaited by run(); not an unhandled rejection meanwhile
  }

  private settle(f: (p: Pending) => void): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) f(p);
  }

  /** Send a message and wait for its answer (`failed` becomes a rejection). */
  request(m: ToWorker): Promise<FromWorker> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending = {
        resolve: (answer) => {
          if (answer.type !== 'failed') return resolve(answer);
          const e = new Error(answer.message);
          if (answer.stack) e.stack = answer.stack;
          reject(e);
        },
        reject,
      };
      this.worker.postMessage(m);
    });
  }

  /** Why the thread died (it exited or threw outside a request), when it did. */
  get died(): Error | undefined {
    return this.exited;
  }

  terminate(): Promise<number> {
    this.pending = undefined;
    return this.worker.terminate();
  }
}

/** The worker's entry: from source it registers tsx first (a worker does not inherit the main thread's loader). */
function workerScript(): string {
  const worker = new URL(`./property-worker${MODULE_EXTENSION}`, import.meta.url).href;
  const tsx = FROM_SOURCE ? `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}); register();` : '';
  return `(async () => { ${tsx} await import(${JSON.stringify(worker)}); })().catch((e) => { throw e; });`;
}

/**
 * Runs properties in a worker thread, one at a time, and stops one that runs past the timeout.
 * The first worker starts (and loads the properties) when the watchdog is made.
 */
export class Watchdog {
  private worker: PropertyWorker | undefined;
  /** The property running now (its case counts go to `onCases` with its name). */
  private running = '';

  constructor(private readonly options: WatchdogOptions) {
    this.worker = this.spawn();
  }

  private spawn(): PropertyWorker {
    return new PropertyWorker(this.options, (n) => this.options.onCases?.(n, this.running));
  }

  /**
   * Run one property (by name) with these options (or those `options()` gives when the worker is
   * ready to start it: `--time-budget` shares out the time left then); a timeout is an errored
   * result, not a rejection.
   */
  async run(name: string, runOptions: RunOptions | (() => RunOptions), backend: string): Promise<PropertyResult> {
    if (!this.worker) this.worker = this.spawn();
    const worker = this.worker;
    await worker.ready; // loading is not the property's time
    const options = typeof runOptions === 'function' ? runOptions() : runOptions;
    this.running = name;
    const started = performance.now();
    const every = this.options.stillRunningMs ?? STILL_RUNNING_MS;
    const still = setInterval(() => this.options.onStillRunning?.(name, performance.now() - started), every);
    let timer: NodeJS.Timeout | undefined;
    const { timeoutMs } = this.options;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutMs !== undefined) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      let answer: FromWorker | 'timeout';
      try {
        answer = await Promise.race([worker.request({ type: 'run', name, options: encode(options) }), timedOut]);
      } catch (e) {
        // the subject ended its thread (process.exit, an error thrown later from a callback): an error of
        // this property, and the next one gets a new worker; any other error is nanhunt's, as in the main thread
        if (!worker.died) throw e;
        this.worker = this.spawn();
        return stoppedResult(name, options, backend, performance.now() - started, {
          stage: 'worker',
          message: `its worker thread died while it ran: ${(e as Error).message}`,
        });
      }
      if (answer !== 'timeout') return unpackResult(answer as Extract<FromWorker, { type: 'result' }>);
      this.worker = undefined;
      await worker.terminate();
      this.worker = this.spawn(); // the next property's worker loads meanwhile
      return timeoutResult(name, options, backend, timeoutMs!, performance.now() - started);
    } finally {
      clearInterval(still);
      clearTimeout(timer);
    }
  }

  /** Stop the worker. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

/** The result of a property stopped by the watchdog: an error at stage `timeout`. */
export function timeoutResult(name: string, options: RunOptions, backend: string, timeoutMs: number, durationMs: number): PropertyResult {
  return stoppedResult(name, options, backend, durationMs, {
    stage: 'timeout',
    message: `still running after ${seconds(timeoutMs)} (--timeout ${timeoutMs / 1000}): stopped by the watchdog`,
  });
}

/** A property that ended without a result of its own: errored at `failure`'s stage. */
function stoppedResult(
  name: string,
  options: RunOptions,
  backend: string,
  durationMs: number,
  failure: { stage: ErrorStage; message: string },
): PropertyResult {
  return {
    name,
    status: 'errored',
    expectedFailure: false,
    backend,
    runs: 0,
    seed: options.seed ?? 0,
    shrinks: 0,
    durationMs,
    interrupted: false,
    failure: { kind: 'error', ...failure },
  };
}

/**
 * `--workers` when not given: one worker thread per core (`os.availableParallelism()`). The full
 * cpu catalog on a quiet 2-core machine: 72 s with one, 57 s with two (3 December 2026).
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** `--workers <n>`: a whole number of worker threads, at least 1; anything else is a usage error. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return defaultWorkers();
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1) || !Number.isSafeInteger(n)) throw new UsageError(`--workers must be a whole number of worker threads, at least 1, got '${value}'`);
  return n;
}

/**
 * `nanhunt check --workers <n>`: n watchdogs (each a worker thread with its own TensorFlow.js),
 * running properties concurrently. `run` waits for a free worker, so properties start in the
 * order they are asked for; each runs with its own seed and options, so its result does not
 * depend on which worker ran it or what ran before it there. With one worker it is the watchdog.
 */
export class WorkerPool {
  private readonly all: Watchdog[];
  private readonly idle: Watchdog[];
  private readonly waiting: ((w: Watchdog) => void)[] = [];

  constructor(options: WatchdogOptions, size: number) {
    this.all = Array.from({ length: size }, () => new Watchdog(options));
    this.idle = [...this.all];
  }

  get size(): number {
    return this.all.length;
  }

  /** Keep at most `n` workers (fewer properties to run than workers): the surplus is stopped before it runs anything. */
  async limit(n: number): Promise<void> {
    const surplus = this.idle.splice(Math.max(1, n) - (this.all.length - this.idle.length));
    for (const w of surplus) this.all.splice(this.all.indexOf(w), 1);
    await Promise.all(surplus.map((w) => w.close()));
  }

  /** Run one property on the next free worker (see {@link Watchdog.run}). */
  async run(name: string, options: RunOptions | (() => RunOptions), backend: string): Promise<PropertyResult> {
    const w = this.idle.shift() ?? (await new Promise<Watchdog>((resolve) => this.waiting.push(resolve)));
    try {
      return await w.run(name, options, backend);
    } finally {
      const next = this.waiting.shift();
      if (next) next(w);
      else this.idle.push(w);
    }
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.close()));
  }
}
