/**
 * `nanhunt check --workers <n>` and `--timeout <seconds>`: properties run in worker threads of a
 * piscina pool (property-worker.ts), each thread with its own TensorFlow.js. A property still
 * running after the timeout is stopped — piscina aborts its task by terminating its thread and
 * starts another for the next property — and reported as an error at stage `timeout`; a subject
 * that ends its thread (process.exit, an error thrown later from a callback) is an error at stage
 * `worker`. The workers run the same engine with the same seed, so the results are those of a run
 * in the main thread (timings aside). While properties run the main thread is free: it names a
 * slow property every few seconds (`still running: <name> (20 s)`) where no live status line
 * shows it.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { FROM_SOURCE, MODULE_EXTENSION } from '../core/package.ts';
import { encode } from '../browser/wire.ts';
import { unpackResult } from './result-transfer.ts';
import type { PropertyResult, RunOptions } from '../property/runner.ts';
import type { ErrorStage } from '../property/failure.ts';
import { UsageError } from './args.ts';
import type { PropertyTask, TaskAnswer, TaskMessage, WorkerInit } from './property-worker.ts';

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
  readonly onStillRunning?: (name: string, elapsedMs: number) => void;
  readonly stillRunningMs?: number;
}

/** Each worker thread's young generation, in MB (see the pool's options). */
const YOUNG_GENERATION_MB = 192;

/** The worker's task module: from source a JavaScript entry that registers tsx first (a worker does not inherit the main thread's loader). */
function workerFile(): string {
  return new URL(FROM_SOURCE ? './property-worker-source.mjs' : `./property-worker${MODULE_EXTENSION}`, import.meta.url).href;
}

/** piscina's message for a thread that exited under a task, as nanhunt says it. */
function diedMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const exited = /^worker exited with code: (-?\d+)/.exec(message);
  return exited ? `the property worker exited (code ${exited[1]})` : message;
}

/**
 * `nanhunt check --workers <n>` (and `--timeout`): a piscina pool of n worker threads, each with
 * its own TensorFlow.js, running properties concurrently. `run` waits for a free worker, so
 * properties start in the order they are asked for; each runs with its own seed and options, so
 * its result does not depend on which worker ran it or what ran before it there. The threads start
 * (and load TensorFlow.js and the properties) when the pool is made.
 */
export class WorkerPool {
  private readonly pool: Piscina;
  private readonly capacity: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly options: WatchdogOptions,
    size: number,
  ) {
    const init: WorkerInit = {
      backend: options.backend,
      ...(options.properties !== undefined ? { properties: options.properties } : {}),
      cases: options.cases ?? false,
    };
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: size,
      maxThreads: size,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // tasks are async and may leave work behind (a backend's timers): the thread's event loop runs between tasks
      atomics: 'disabled',
      workerData: init,
      // a young generation of 192 MB (V8's default here: 48): properties allocate many short-lived
      // typed arrays and tensors, and fewer scavenges cost 3-6% less CPU on the catalog (one thread,
      // alternating runs, 2026-12-03)
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.capacity = size;
  }

  /** How many properties run at once. */
  get size(): number {
    return this.capacity;
  }

  /** Wait for a free worker: properties start in the order they are asked for. */
  private async slot(): Promise<void> {
    if (this.active < this.capacity) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve)); // handed over by release()
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /**
   * Run one property (by name) with these options (or those `options()` gives when a worker is
   * free to start it: `--time-budget` shares out the time left then); a timeout, or a subject that
   * ends its thread, is an errored result, not a rejection. nanhunt's own errors are rejections.
   */
  async run(name: string, runOptions: RunOptions | (() => RunOptions), backend: string): Promise<PropertyResult> {
    await this.slot();
    const options = typeof runOptions === 'function' ? runOptions() : runOptions;
    const { timeoutMs, stillRunningMs, onStillRunning, onCases } = this.options;
    const abort = new AbortController();
    const channel = new MessageChannel();
    let started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let still: NodeJS.Timeout | undefined;
    channel.port1.on('message', (m: TaskMessage) => {
      if (m.type === 'cases') onCases?.(m.n, name);
      else {
        // loading is not the property's time: the clocks start when the worker starts the property
        started = performance.now();
        if (timeoutMs !== undefined) timer = setTimeout(() => abort.abort(), timeoutMs);
        still = setInterval(() => onStillRunning?.(name, performance.now() - started), stillRunningMs ?? STILL_RUNNING_MS);
      }
    });
    const task: PropertyTask = { name, options: encode(options), port: channel.port2 };
    try {
      let answer: TaskAnswer;
      try {
        answer = (await this.pool.run(task, { transferList: [channel.port2], signal: abort.signal })) as TaskAnswer;
      } catch (e) {
        if (abort.signal.aborted) return timeoutResult(name, options, backend, timeoutMs!, performance.now() - started);
        // the subject ended its thread (process.exit, an error thrown later from a callback): an
        // error of this property; piscina starts another thread for the next one
        return stoppedResult(name, options, backend, performance.now() - started, {
          stage: 'worker',
          message: `its worker thread died while it ran: ${diedMessage(e)}`,
        });
      }
      if (answer?.type !== 'result' && answer?.type !== 'failed') throw new Error(`the property worker gave no result for '${name}'`);
      if (answer.type === 'failed') {
        const e = new Error(answer.message);
        if (answer.stack) e.stack = answer.stack;
        throw e;
      }
      return unpackResult(answer);
    } finally {
      clearTimeout(timer);
      clearInterval(still);
      channel.port1.close();
      this.release();
    }
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** `--timeout` without `--workers`: one worker thread, the watchdog of each property in turn. */
export class Watchdog extends WorkerPool {
  constructor(options: WatchdogOptions) {
    super(options, 1);
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
 * Properties a worker thread must have to pay for itself: each thread loads TensorFlow.js and the
 * properties again (about 2 s of CPU), as much as some 15-30 catalog properties take to run.
 */
export const PROPERTIES_PER_WORKER = 32;

/**
 * `--workers` when not given, for this many properties: a thread per {@link PROPERTIES_PER_WORKER}
 * properties, at most one per core (`os.availableParallelism()`), at least 1. The full cpu catalog
 * (629 properties) on a quiet 2-core machine: 72 s with one, 57 s with two (3 December 2026).
 */
export function defaultWorkers(properties: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(properties / PROPERTIES_PER_WORKER)));
}

/** `--workers <n>`: a whole number of worker threads, at least 1 (undefined when not given); anything else is a usage error. */
export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1) || !Number.isSafeInteger(n)) throw new UsageError(`--workers must be a whole number of worker threads, at least 1, got '${value}'`);
  return n;
}
