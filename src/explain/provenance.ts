/**
 * NaN provenance: which kernel first produced a non-finite value.
 *
 * Every kernel registered for the active backend is wrapped once by a recorder that, while
 * recording is on, reads each kernel's inputs and outputs back from the backend and summarizes
 * them. Recording is off on the hot path (the wrapper then only forwards the call); it is switched
 * on to re-run a minimal counterexample. Gradient kernels run by tf.grad are recorded too.
 */
import * as tf from '@tensorflow/tfjs';
import { formatNumber } from '../core/tensor-value.ts';

/** Counts and range of one tensor's elements. */
export interface Summary {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly size: number;
  readonly min: number;
  readonly max: number;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  readonly zeros: number;
  /** Up to 6 leading values, for very small tensors a complete picture. */
  readonly head: readonly number[];
}

export interface KernelCall {
  /** Position in the run, from 0. */
  readonly step: number;
  readonly kernel: string;
  readonly inputs: Readonly<Record<string, Summary>>;
  readonly outputs: readonly Summary[];
}

export interface Provenance {
  /** Every kernel call of the run, in order (at most `limit`, see {@link recordKernels}). */
  readonly calls: readonly KernelCall[];
  /** Total number of kernel calls (may exceed calls.length). */
  readonly total: number;
  /** First call whose output has NaN/Inf while all its inputs are finite: where the value was born. */
  readonly born?: KernelCall;
  /** First call whose output has NaN/Inf at all (differs from `born` when an input already held one). */
  readonly firstNonFinite?: KernelCall;
  /**
   * First call whose output has a NaN while none of its inputs does: where the NaN itself was born,
   * e.g. Multiply(0, Infinity) after Exp overflowed (`born` is then the Exp).
   */
  readonly nanBorn?: KernelCall;
}

/**
 * Whether two of a provenance's calls are the same call (`nanBorn` and `born` often are): by step,
 * not identity, so it holds for a provenance that crossed from a worker thread or a page as data.
 */
export function sameCall(a: KernelCall | undefined, b: KernelCall | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.step === b.step);
}

export function nonFiniteCount(s: Summary): number {
  return s.nan + s.posInf + s.negInf;
}

export function summarize(values: ArrayLike<number>, shape: readonly number[], dtype: string): Summary {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else {
      if (v === Infinity) posInf++;
      else if (v === -Infinity) negInf++;
      else if (v === 0) zeros++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const head = Array.from({ length: Math.min(6, values.length) }, (_, i) => values[i]!);
  return { shape: [...shape], dtype, size: values.length, min, max, nan, posInf, negInf, zeros, head };
}

/** One tensor of a kernel call in a full trace: its identity (same data, same id), shape, dtype and elements. */
export interface TraceTensor {
  /** Equal for the inputs and outputs that are the same backend data (a kernel's output read by a later kernel). */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** A copy of the elements (empty for strings and unreadable data). */
  readonly values: Float32Array | Int32Array | Uint8Array;
}

/** One kernel call of a full trace, with everything needed to run it again: inputs, attributes, outputs. */
export interface TraceCall {
  /** Position in the run, from 0. */
  readonly step: number;
  readonly kernel: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, TraceTensor>>;
  readonly outputs: readonly TraceTensor[];
}

/** Every kernel call of a run with its data (see {@link recordKernels}'s `trace` option). */
export interface Trace {
  readonly calls: readonly TraceCall[];
  /** False when the run had more calls or elements than were kept (the trace is then a prefix). */
  readonly complete: boolean;
}

/** Most elements a full trace copies (inputs and outputs of all calls together). */
export const TRACE_ELEMENT_LIMIT = 4_000_000;

interface TraceSink {
  calls: TraceCall[];
  ids: WeakMap<object, number>;
  nextId: number;
  elements: number;
  complete: boolean;
}

interface Recorder {
  on: boolean;
  calls: KernelCall[];
  total: number;
  limit: number;
  /** When set, every call is also kept in full (values and attributes). */
  trace?: TraceSink | undefined;
  /** Told each kernel's name as it runs (see {@link observeKernels}). */
  observer?: ((kernel: string) => void) | undefined;
}

const recorder: Recorder = { on: false, calls: [], total: 0, limit: 0 };

type Info = { dataId: object; shape: number[]; dtype: string };
type Backend = { readSync(dataId: object): ArrayLike<number> };

function summaryOf(backend: Backend, info: Info): Summary {
  try {
    const values = backend.readSync(info.dataId);
    return summarize(values as ArrayLike<number>, info.shape, info.dtype);
  } catch {
    return summarize([], info.shape, info.dtype);
  }
}

function traceTensor(sink: TraceSink, backend: Backend, info: Info): TraceTensor {
  let id = sink.ids.get(info.dataId);
  if (id === undefined) {
    id = ++sink.nextId;
    sink.ids.set(info.dataId, id);
  }
  let values: TraceTensor['values'] = new Float32Array(0);
  if (info.dtype !== 'string' && info.dtype !== 'complex64') {
    try {
      const read = backend.readSync(info.dataId) as TraceTensor['values'];
      values = read.slice();
    } catch {
      // unreadable: left empty, the interpreter then cannot use it
    }
  }
  sink.elements += values.length;
  return { id, shape: [...info.shape], dtype: info.dtype, values };
}

function keepCall(sink: TraceSink, backend: Backend, step: number, kernel: string, args: Parameters<tf.KernelFunc>[0], outs: readonly Info[]): void {
  if (!sink.complete) return;
  if (sink.elements > TRACE_ELEMENT_LIMIT) {
    sink.complete = false;
    return;
  }
  const inputs: Record<string, TraceTensor> = {};
  for (const [name, t] of Object.entries(args.inputs)) {
    if (t) inputs[name] = traceTensor(sink, backend, t as unknown as Info);
  }
  const attrs = { ...((args.attrs ?? {}) as Record<string, unknown>) };
  sink.calls.push({ step, kernel, attrs, inputs, outputs: outs.map((o) => traceTensor(sink, backend, o)) });
}

const WRAPPED = Symbol.for('nanhunt.recordingKernel');

/**
 * Wrap every kernel of the backend that is not wrapped yet. Run before each recording, so a
 * kernel registered later (a user's custom kernel, a replaced one) is recorded too.
 */
function install(backendName: string): void {
  for (const config of tf.getKernelsForBackend(backendName)) {
    const original = config.kernelFunc;
    if ((original as unknown as Record<symbol, boolean>)[WRAPPED]) continue;
    const kernelFunc: tf.KernelFunc = (args) => {
      const result = original(args);
      if (!recorder.on) return result;
      recorder.total++;
      recorder.observer?.(config.kernelName);
      if (recorder.calls.length < recorder.limit) {
        const backend = args.backend as unknown as Backend;
        const inputs: Record<string, Summary> = {};
        for (const [name, t] of Object.entries(args.inputs)) {
          if (t) inputs[name] = summaryOf(backend, t as unknown as Info);
        }
        const outs = (Array.isArray(result) ? result : [result]) as unknown as Info[];
        recorder.calls.push({ step: recorder.total - 1, kernel: config.kernelName, inputs, outputs: outs.map((o) => summaryOf(backend, o)) });
        if (recorder.trace) keepCall(recorder.trace, backend, recorder.total - 1, config.kernelName, args, outs);
      } else if (recorder.trace) recorder.trace.complete = false;
      return result;
    };
    (kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED] = true;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc });
  }
}

function analyse(calls: readonly KernelCall[], total: number): Provenance {
  const hasNonFinite = (c: KernelCall): boolean => c.outputs.some((o) => nonFiniteCount(o) > 0);
  const inputsFinite = (c: KernelCall): boolean => Object.values(c.inputs).every((s) => nonFiniteCount(s) === 0);
  const firstNonFinite = calls.find(hasNonFinite);
  const born = calls.find((c) => hasNonFinite(c) && inputsFinite(c));
  const nanBorn = calls.find((c) => c.outputs.some((o) => o.nan > 0) && Object.values(c.inputs).every((s) => s.nan === 0));
  return { calls, total, ...(born ? { born } : {}), ...(firstNonFinite ? { firstNonFinite } : {}), ...(nanBorn ? { nanBorn } : {}) };
}

/**
 * Run `fn` with kernel recording on and return its result with the recorded provenance.
 * Only for re-running small cases: recording reads every kernel's data back.
 */
export function recordKernels<T>(fn: () => T, limit = 10_000, options: { trace?: boolean } = {}): { result: T; provenance: Provenance; trace?: Trace } {
  install(tf.getBackend());
  // a recording inside a recording (an invariant re-running the subject exactly) resumes the outer one after
  const outer = { ...recorder };
  recorder.on = true;
  recorder.calls = [];
  recorder.total = 0;
  recorder.limit = limit;
  recorder.observer = undefined;
  const sink: TraceSink | undefined = options.trace ? { calls: [], ids: new WeakMap(), nextId: 0, elements: 0, complete: true } : undefined;
  recorder.trace = sink;
  try {
    const result = fn();
    const provenance = analyse(recorder.calls, recorder.total);
    return sink ? { result, provenance, trace: { calls: sink.calls, complete: sink.complete } } : { result, provenance };
  } finally {
    Object.assign(recorder, outer.on ? outer : { on: false, calls: [], trace: undefined, observer: undefined });
  }
}

/**
 * Run `fn` with kernel recording on, telling `onKernel` the name of each kernel as it runs
 * (forward kernels and the ones tf.grad runs). Nothing is read back, so it is cheap enough for
 * long inputs: the catalog's coverage table measures which kernels its properties run with it.
 */
export function observeKernels<T>(fn: () => T, onKernel: (kernel: string) => void): T {
  install(tf.getBackend());
  recorder.on = true;
  recorder.calls = [];
  recorder.total = 0;
  recorder.limit = 0;
  recorder.observer = onKernel;
  try {
    return fn();
  } finally {
    recorder.on = false;
    recorder.observer = undefined;
  }
}

const fmt = formatNumber;

/** One line for a summary: `[2] min=-1 max=Infinity (1 +Inf)` or the values themselves when few. */
export function describeSummary(s: Summary): string {
  const shape = `[${s.shape.join(',')}]`;
  const bad = [s.nan ? `${s.nan} NaN` : '', s.posInf ? `${s.posInf} +Inf` : '', s.negInf ? `${s.negInf} -Inf` : ''].filter(Boolean).join(', ');
  if (s.size <= 4) return `${shape} ${s.head.map(fmt).join(', ') || '(empty)'}`;
  const range = s.min <= s.max ? ` min=${fmt(s.min)} max=${fmt(s.max)}` : '';
  return `${shape}${range}${bad ? ` (${bad})` : ''}${s.zeros ? ` ${s.zeros} zeros` : ''}`;
}

/** "Mul(a=[1] 0, b=[1] -Infinity) -> [1] NaN" */
export function describeCall(c: KernelCall): string {
  const ins = Object.entries(c.inputs)
    .map(([k, s]) => `${k}=${describeSummary(s)}`)
    .join(', ');
  return `${c.kernel}(${ins}) -> ${c.outputs.map(describeSummary).join('; ')}`;
}
