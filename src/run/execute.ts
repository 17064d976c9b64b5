/**
 * Run a subject once on generated inputs and read back what it produced.
 *
 * The generated TensorValues become tf.Tensors here and nowhere else. The subject runs inside
 * tf.tidy, so its intermediate tensors are freed; what survives the run (tensors it kept, variables
 * it created) is a leak, reported as an error. Leaked variables are disposed; tensors the subject
 * tf.keep-s cannot be found from outside and stay allocated. Outputs and, when asked, gradients of
 * the summed outputs are read back into typed arrays and every tensor is disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import type { Observation, ReadTensor } from './observation.ts';
import { activeBackend, unsupportedKernel, type Unsupported } from './backend.ts';

/** Inputs with every TensorValue replaced by a tf.Tensor. */
export type Materialized<T> = T extends TensorValue
  ? tf.Tensor
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: Materialized<T[K]> }
    : T extends Record<string, unknown>
      ? { -readonly [K in keyof T]: Materialized<T[K]> }
      : T;

export type SubjectOutput = tf.Tensor | readonly tf.Tensor[] | { readonly [name: string]: tf.Tensor };
export type Subject<I> = (inputs: Materialized<I>) => SubjectOutput;

/**
 * What one run produced: an observation; an error of the subject (thrown, bad return, leak); or
 * nothing because the backend lacks a kernel the subject needs — decided here, once, from the
 * error tfjs throws, so no caller reads tfjs's messages again.
 */
export type Outcome =
  | { readonly kind: 'ok'; readonly observation: Observation }
  | { readonly kind: 'error'; readonly stage: 'subject' | 'output' | 'gradient' | 'leak'; readonly message: string }
  | { readonly kind: 'unsupported'; readonly unsupported: Unsupported };

class StageError extends Error {
  constructor(
    readonly stage: 'subject' | 'output' | 'gradient',
    message: string,
  ) {
    super(message);
  }
}

type Path = readonly (string | number)[];

/** Paths to every TensorValue inside the inputs. */
export function tensorPaths(value: unknown, prefix: Path = []): Path[] {
  if (isTensorValue(value)) return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => tensorPaths(v, [...prefix, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => tensorPaths(v, [...prefix, k]));
  }
  return [];
}

export function pathName(path: Path): string {
  return path.length === 0 ? 'input' : path.map(String).join('.');
}

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
}

/** Replace each TensorValue by the tensor `make` returns for it. */
function mapTensors(value: unknown, make: (t: TensorValue, path: Path) => tf.Tensor, path: Path = []): unknown {
  if (isTensorValue(value)) return make(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapTensors(v, make, [...path, i]));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapTensors(v, make, [...path, k])]));
  }
  return value;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function toTensor(t: TensorValue): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], t.dtype);
}

/** Turn inputs into tensors (the caller owns them). */
export function materialize<I>(inputs: I): Materialized<I> {
  return mapTensors(inputs, (t) => toTensor(t)) as Materialized<I>;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? `an object (${Object.getPrototypeOf(x)?.constructor?.name ?? 'Object'})` : `a ${typeof x}`;
}

/** Flatten the subject's return into named tensors, or explain why it is not a valid return. */
export function flattenOutputs(out: unknown): { names: string[]; tensors: tf.Tensor[] } {
  if (out instanceof tf.Tensor) return { names: ['output'], tensors: [out] };
  if (out instanceof Promise || (out !== null && typeof (out as { then?: unknown })?.then === 'function')) {
    throw new StageError(
      'output',
      'the subject returned a Promise: nanhunt runs synchronous subjects (use tf.tidy / optimizer.minimize instead of async calls)',
    );
  }
  if (Array.isArray(out)) {
    if (out.length === 0) throw new StageError('output', 'the subject returned an empty array: return at least one tf.Tensor');
    out.forEach((t, i) => {
      if (!(t instanceof tf.Tensor)) throw new StageError('output', `the subject returned ${describe(t)} at output[${i}], not a tf.Tensor`);
    });
    return { names: out.map((_, i) => `output[${i}]`), tensors: out as tf.Tensor[] };
  }
  if (out !== null && typeof out === 'object' && !(out instanceof tf.Tensor)) {
    const entries = Object.entries(out);
    if (entries.length > 0 && entries.every(([, t]) => t instanceof tf.Tensor)) {
      return { names: entries.map(([k]) => `output.${k}`), tensors: entries.map(([, t]) => t as tf.Tensor) };
    }
  }
  throw new StageError('output', `the subject returned ${describe(out)}: it must return a tf.Tensor, an array of tensors or a record of tensors`);
}

function read(name: string, t: tf.Tensor): ReadTensor {
  const data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  return { name, shape: [...t.shape], dtype: t.dtype, data: data.slice() };
}

async function readAsync(name: string, t: tf.Tensor): Promise<ReadTensor> {
  const data = (await t.data()) as Float32Array | Int32Array | Uint8Array;
  return { name, shape: [...t.shape], dtype: t.dtype, data: data.slice() };
}

export interface ExecuteOptions {
  /** Compute gradients of sum(outputs) with respect to every float32 input tensor. */
  gradients?: boolean;
}

/** Run the subject once. Never throws for the subject's faults; always leaves tf.memory() as it found it. */
export function execute<I>(subject: Subject<I>, inputs: I, options: ExecuteOptions = {}): Outcome {
  const run = start(subject, inputs, options);
  let all: ReadTensor[] | undefined;
  try {
    if (run.produced.tensors.length > 0) all = run.produced.tensors.map((t, i) => read(run.produced.names[i]!, t));
  } finally {
    run.dispose();
  }
  return finish(run, inputs, all);
}

/**
 * {@link execute} for a backend that reads back only asynchronously (WebGPU: a synchronous read
 * breaks its device). The subject runs the same way; only the reading of its results awaits.
 */
export async function executeAsync<I>(subject: Subject<I>, inputs: I, options: ExecuteOptions = {}): Promise<Outcome> {
  const run = start(subject, inputs, options);
  let all: ReadTensor[] | undefined;
  try {
    if (run.produced.tensors.length > 0) all = await Promise.all(run.produced.tensors.map((t, i) => readAsync(run.produced.names[i]!, t)));
  } finally {
    run.dispose();
  }
  return finish(run, inputs, all);
}

interface Started {
  readonly tensorsBefore: number;
  readonly variablesBefore: ReadonlySet<string>;
  readonly produced: { names: string[]; tensors: tf.Tensor[]; outputs: number; wrt: string[] };
  /** The error of the run, when it failed before producing anything. */
  readonly failed?: Outcome;
  dispose(): void;
}

/** Run the subject (inside tidy, with gradients when asked); its tensors are the caller's to read and dispose. */
function start<I>(subject: Subject<I>, inputs: I, options: ExecuteOptions): Started {
  const tensorsBefore = tf.memory().numTensors;
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  // outputs first, then gradients; `outputs` of them are outputs
  let produced: { names: string[]; tensors: tf.Tensor[]; outputs: number; wrt: string[] } = { names: [], tensors: [], outputs: 0, wrt: [] };
  let outcome: Outcome | undefined;
  try {
    // tidy returns the tensors alone (walking a result object costs more than a small op): names go beside
    let outNames: string[] = [];
    let outputCount = 0;
    const wrt: string[] = []; // the input path of each gradient, in order
    const outTensors = tf.tidy(() => {
      const paths = options.gradients ? tensorPaths(inputs).filter((p) => (getAt(inputs, p) as TensorValue).dtype === 'float32') : [];
      if (paths.length === 0) {
        let out: unknown;
        try {
          out = subject(materialize(inputs));
        } catch (e) {
          throw new StageError('subject', errorText(e));
        }
        const flat = flattenOutputs(out);
        outNames = flat.names;
        outputCount = flat.tensors.length;
        return flat.tensors;
      }
      // One run gives outputs and gradients: the outputs are kept out of the gradient scope.
      const leaves = new Map<string, tf.Tensor>();
      const base = mapTensors(inputs, (t, p) => {
        const x = toTensor(t);
        if (paths.some((q) => pathName(q) === pathName(p))) leaves.set(pathName(p), x);
        return x;
      });
      const xs = paths.map((p) => leaves.get(pathName(p))!);
      let flat: { names: string[]; tensors: tf.Tensor[] } | undefined;
      let result: { value: tf.Tensor; grads: tf.Tensor[] };
      // d sum(y) / dx: for one float32 output y, tfjs's backward pass starts from dy = ones(y.shape),
      // what tf.sum's gradient would hand back, without the Sum, AddN, Reshape and broadcast
      // Multiply kernels of summing (several outputs are summed)
      try {
        result = tf.engine().gradients(
          () => {
            let out: unknown;
            try {
              out = subject(base as Materialized<I>);
            } catch (e) {
              throw new StageError('subject', errorText(e));
            }
            flat = flattenOutputs(out);
            for (const t of flat.tensors) tf.keep(t);
            const floats = flat.tensors.filter((t) => t.dtype === 'float32');
            if (floats.length === 0) throw new StageError('gradient', 'no float32 output to differentiate');
            if (floats.length === 1 && !xs.includes(floats[0]!)) return floats[0]!;
            return tf.addN(floats.map((t) => tf.sum(t)));
          },
          xs,
          undefined,
          true,
        );
      } catch (e) {
        for (const t of flat?.tensors ?? []) t.dispose();
        releaseTape();
        if (e instanceof StageError) throw e;
        throw new StageError('gradient', errorText(e));
      }
      const names = [...flat!.names];
      const tensors = [...flat!.tensors];
      outputCount = tensors.length;
      paths.forEach((p, i) => {
        const g = result.grads[i];
        if (g) {
          names.push(`grad(${pathName(p)})`);
          wrt.push(pathName(p));
          tensors.push(g);
        }
      });
      outNames = names;
      return tensors;
    });
    produced = { names: outNames, tensors: outTensors, outputs: outputCount, wrt };
  } catch (e) {
    produced = { names: [], tensors: [], outputs: 0, wrt: [] };
    const error = e instanceof StageError ? { stage: e.stage, message: e.message } : { stage: 'subject' as const, message: errorText(e) };
    const unsupported = unsupportedKernel(error.message);
    outcome = unsupported ? { kind: 'unsupported', unsupported } : { kind: 'error', ...error };
  }
  const tensors = produced.tensors;
  return {
    tensorsBefore,
    variablesBefore,
    produced,
    ...(outcome ? { failed: outcome } : {}),
    dispose() {
      for (const t of tensors) if (!t.isDisposed) t.dispose();
    },
  };
}

/** The outcome of a started run from what was read back (its tensors disposed): an observation, its error, or a leak. */
function finish<I>(run: Started, inputs: I, all: readonly ReadTensor[] | undefined): Outcome {
  const { produced, tensorsBefore, variablesBefore } = run;
  let outcome = run.failed;
  if (all !== undefined) {
    const gradients = all.slice(produced.outputs).map((g, i) => ({ ...g, wrt: produced.wrt[i]! }));
    const observation = { inputs, outputs: all.slice(0, produced.outputs), gradients, backend: activeBackend() };
    outcome = { kind: 'ok', observation };
  }
  // Leaks: variables the subject created, tensors it kept.
  const newVariables = Object.entries(tf.engine().registeredVariables).filter(([k]) => !variablesBefore.has(k));
  const leaked = tf.memory().numTensors - tensorsBefore;
  for (const [, v] of newVariables) v.dispose();
  // A run that already failed keeps its error: tensors stranded by a throw mid-gradient (e.g. a
  // kernel the backend lacks) are a consequence, and the error says what to fix.
  if (leaked > 0 && outcome!.kind === 'ok') {
    const what = newVariables.length > 0 ? ` (${newVariables.length} of them variables)` : '';
    return {
      kind: 'error',
      stage: 'leak',
      message: `the subject leaked ${leaked} tensor${leaked === 1 ? '' : 's'}${what}: dispose what you create, or do not tf.keep it`,
    };
  }
  return outcome!;
}

/**
 * When the subject throws inside tf's gradient scope, tfjs 4.22 leaves the tape it recorded, and
 * the tensors its nodes saved for the backward pass, allocated. Free them (outermost tape only).
 */
function releaseTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
  state.activeTape = null;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`;
  return String(e);
}
