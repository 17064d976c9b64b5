/**
 * numProp: a nanhunt property as one vitest test.
 *
 * ```ts
 * numProp('softmax stays finite', [tensor({ elements: logits() })], (x) => tf.softmax(x), { invariants: [finite()] });
 * ```
 * The test generates inputs, runs the subject on a real backend, checks the invariants, shrinks a
 * failure to its minimal case and fails with nanhunt's failure report (minimal input, the kernel
 * where the first non-finite value was born, seed, how to replay). Built on property() and
 * runProperty(): the generation, shrinking and provenance are the core runner's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'vitest';
import type { Invariant } from '../check/invariant.ts';
import type { PropertyResult } from '../property/runner.ts';
import { applyBackend, restoreTestBackend } from './backend.ts';
import { resolveConfig, seedLine, type ConfigOptions, type ResolvedConfig } from './config.ts';
import { relativeToCwd, runWithDatabase } from './database.ts';
import { toProperty, type Generators, type SubjectFor } from './generators.ts';
import { failureMessage, NanhuntFailure, pointAt } from './report.ts';

const OWN_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface NumPropOptions extends ConfigOptions {
  /** What must hold for every run. Default: [finite()]. */
  invariants?: readonly Invariant[];
  /** Compute gradients of sum(outputs) w.r.t. every float32 input tensor (on when an invariant needs them). */
  gradients?: boolean;
  /** Replay this fast-check path (with `seed`) instead of generating: paste it from a failure report. */
  path?: string;
  /** Inputs to try before generation (plain values: TensorValues, numbers), after saved failures. */
  examples?: readonly unknown[];
  /** Stop generating after this many milliseconds. */
  timeLimitMs?: number;
  /** Re-run the minimal case with kernel recording to find where the NaN was born (default true). */
  provenance?: boolean;
  /** vitest timeout of this test, in milliseconds (default: vitest's testTimeout). */
  timeout?: number;
}

/** What numProp records in the test's `meta.nanhunt` (vitest's JSON reporter keeps it). */
export interface NumPropMeta {
  readonly seed: number;
  readonly seedFrom: ResolvedConfig['seedFrom'];
  readonly globalSeed?: number;
  readonly random: boolean;
  readonly runs: number;
  readonly runsFrom: ResolvedConfig['runsFrom'];
  readonly backend: string;
  readonly status: PropertyResult['status'];
  readonly executed: number;
  readonly shrinks: number;
  readonly path?: string;
  /** Generation stopped at `timeLimitMs` before all runs were done. */
  readonly interrupted?: boolean;
  /** Saved failures (failure database) that ran before generation. */
  readonly savedExamples: number;
  /** Failure file the failure was saved to. */
  readonly savedTo?: string;
}

/** The body of one numProp test. */
async function runNumProp<G extends Generators>(
  ctx: TestContext,
  name: string,
  inputs: G,
  subject: SubjectFor<G>,
  options: NumPropOptions,
  site: Error,
): Promise<void> {
  const task = ctx.task;
  const fullName = task.fullTestName ?? name;
  const config = resolveConfig(fullName, options);
  const prop = toProperty('numProp', { name: fullName, inputs, subject, invariants: options.invariants, gradients: options.gradients });
  // a backend from the options is this test's alone; NANHUNT_BACKEND stays on for the whole file
  const previous = await applyBackend(config.backend);
  const restore = config.backendFrom === 'option' ? previous : undefined;
  try {
    const file = task.file?.filepath ? relativeToCwd(task.file.filepath) : undefined;
    const run = runWithDatabase(
      prop,
      {
        seed: config.seed,
        runs: config.runs,
        ...(options.examples?.length ? { examples: options.examples } : {}),
        ...(options.path ? { path: options.path } : {}),
        ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
        ...(options.provenance === false ? { provenance: false } : {}),
      },
      config.database,
      { test: fullName, ...(file ? { file } : {}) },
    );
    const result = run.result;
    const meta: NumPropMeta = {
      seed: result.seed,
      seedFrom: config.seedFrom,
      ...(config.globalSeed === undefined ? {} : { globalSeed: config.globalSeed }),
      random: config.random,
      runs: config.runs,
      runsFrom: config.runsFrom,
      backend: result.backend,
      status: result.status,
      executed: result.runs,
      shrinks: result.shrinks,
      ...(result.path ? { path: result.path } : {}),
      ...(result.interrupted ? { interrupted: true } : {}),
      savedExamples: run.saved,
      ...(run.savedTo ? { savedTo: run.savedTo } : {}),
    };
    (task.meta as Record<string, unknown>).nanhunt = meta;
    // A random seed is printed whatever the outcome; a failure prints its seed in the message.
    if (config.random) console.log(`${seedLine(config)} — ${fullName}`);
    if (result.status === 'passed') return;
    if (result.status === 'unsupported') {
      ctx.skip(`backend ${result.backend} has no kernel ${result.unsupported?.kernel ?? '?'}: ${result.unsupported?.message ?? ''}`);
      return;
    }
    const message = failureMessage(result, config, {
      optionsOf: "this numProp's options",
      ...(file ? { file } : {}),
      testName: task.name,
      ...(run.savedTo ? { savedTo: run.savedTo } : {}),
      fromSaved: run.fromSaved,
    });
    throw pointAt(new NanhuntFailure(message, result), site, OWN_DIR);
  } finally {
    await restoreTestBackend(restore);
  }
}

type TestFn = (name: string, fn: (ctx: TestContext) => Promise<void>, timeout?: number) => void;

function define(register: TestFn) {
  return function numProp<const G extends Generators>(name: string, inputs: G, subject: SubjectFor<G>, options: NumPropOptions = {}): void {
    if (typeof name !== 'string' || name.trim() === '') throw new TypeError('numProp: the test name must be a non-empty string');
    const site = new Error('numProp defined here');
    register(name, (ctx) => runNumProp(ctx, name, inputs, subject, options, site), options.timeout);
  };
}

/** The signature of numProp and its modifiers. */
export type NumProp = <const G extends Generators>(name: string, inputs: G, subject: SubjectFor<G>, options?: NumPropOptions) => void;

/**
 * Define a property test: `numProp(name, generators, subject, options)`.
 *
 * - `generators`: a tuple (`[tensor(), scalar()]`, the subject gets one argument each) or a record
 *   (`{ x: tensor() }`, the subject gets one record). TensorValues arrive as tf.Tensors.
 * - `subject`: synchronous; runs inside tf.tidy. Tensors it keeps are a leak and fail the test.
 * - `options`: invariants (default [finite()]), runs, seed, backend, database, path, examples, ...
 *
 * `numProp.only`, `numProp.skip` and `numProp.fails` map to vitest's `test.only/skip/fails`.
 */
export const numProp: NumProp & { readonly only: NumProp; readonly skip: NumProp; readonly fails: NumProp } = Object.assign(
  define((n, f, t) => test(n, f, t)),
  {
    // biome-ignore lint/suspicious/noFocusedTests: numProp.only is the public mirror of test.only, not a focused test
    only: define((n, f, t) => test.only(n, f, t)),
    skip: define((n, f, t) => test.skip(n, f, t)),
    fails: define((n, f, t) => test.fails(n, f, t)),
  },
);
