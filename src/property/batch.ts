/**
 * Batched screening: many generated cases of a batch-polymorphic subject in one call.
 *
 * A subject is batch-polymorphic when stacking cases on a new leading axis computes each of them
 * independently: elementwise ops, row-wise ops over the last axis (softmax), losses with a batch
 * axis. A property declares it ({@link BatchKind}); the screen then
 *
 *  1. groups the generated cases that can share a call (`rows`: same input shapes, stacked on a
 *     new leading axis; `elementwise`: all of them, flattened and concatenated), in chunks of at
 *     most {@link MAX_BATCH_ELEMENTS} elements;
 *  2. runs each group once and slices its outputs and gradients back into one observation per
 *     case, exactly as that case alone would be observed;
 *  3. checks the invariants on each case (the caller's `judge`) and returns the indices of the
 *     failing ones, for the engine to replay one by one from their path (src/property/engine.ts).
 *
 * Correctness comes first: a group that errors, outputs of the wrong shape, or a case whose
 * values differ from the same case run alone (the first case of every call is run alone and
 * compared bit for bit, and in the first window of a search also the second and last — the
 * detection of a subject that is not batch-polymorphic — and so is every failing case) make the
 * screen decline, and the cases run one by one as without it. Cases of more than
 * {@link MAX_CASE_ELEMENTS} elements always run alone.
 * Error samples are gathered per case in generation order and handed over only once the screen
 * is accepted, so they are those of a run without it.
 */
import { isTensorValue, sizeOf, type TensorValue, type TypedData } from '../core/tensor-value.ts';
import type { ErrorSample } from '../check/invariant.ts';
import { execute, tensorPaths, type Outcome } from '../run/execute.ts';
import type { Observation, ReadTensor } from '../run/observation.ts';
import type { Property } from './property.ts';

/**
 * How a subject is batch-polymorphic: `rows` — cases stacked on a new leading axis compute
 * independently (row-wise ops over the last axis, losses with a batch axis, and elementwise ops);
 * `elementwise` — every element independently of its position and of the shape (cases of any shapes
 * are flattened and concatenated into one call; all tensor inputs of a case have the same shape).
 */
export type BatchKind = 'rows' | 'elementwise';

/** Most elements (over all tensor inputs) in one batched call. */
export const MAX_BATCH_ELEMENTS = 1 << 20;
/**
 * Cases with more elements (over all tensor inputs) run alone: the cost of a call is then its
 * elements, not its overhead, and batching them only adds copies (bench/overhead.ts: 0.6-0.9x the
 * hand loop at 1,024 elements and more).
 */
export const MAX_CASE_ELEMENTS = 256;

/** Where error samples of one case go until the screen is accepted. */
export interface SampleSink {
  add(s: ErrorSample): void;
}

type Path = readonly (string | number)[];

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
}

function setAt<T>(value: T, path: Path, leaf: unknown): T {
  if (path.length === 0) return leaf as T;
  const [k, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[k!] = setAt(copy[k!], rest, leaf);
  return copy as T;
}

/** Plain data as a string that tells apart what a subject could (-0, NaN), tensors by dtype (and shape for `rows`). */
function describe(value: unknown, kind: BatchKind): string | undefined {
  if (isTensorValue(value)) return kind === 'rows' ? `T${value.dtype}[${value.shape.join()}]` : `T${value.dtype}`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || value === null || value === undefined) return String(value);
  const parts = Array.isArray(value) ? value.map((v) => describe(v, kind)) : undefined;
  if (parts) return parts.includes(undefined) ? undefined : `[${parts.join(',')}]`;
  if (typeof value !== 'object' || ![Object.prototype, null].includes(Object.getPrototypeOf(value))) return undefined;
  const entries = Object.entries(value).map(([k, v]) => [k, describe(v, kind)] as const);
  return entries.some(([, d]) => d === undefined) ? undefined : `{${entries.map(([k, d]) => `${JSON.stringify(k)}:${d}`).join(',')}}`;
}

/** What cases must share to go in one call: the non-tensor parts, the dtypes and (`rows`) the shapes. */
function groupKey(inputs: unknown, kind: BatchKind, paths: readonly Path[]): string | undefined {
  const tensors = paths.map((p) => getAt(inputs, p) as TensorValue);
  if (kind === 'elementwise' && tensors.some((t) => t.shape.join() !== tensors[0]!.shape.join())) return undefined;
  const rest = describe(inputs, kind);
  if (rest === undefined) return undefined; // not plain data: the case runs alone
  return `${paths.map((p) => p.join('.')).join('|')}#${rest}`;
}

function concat(dtype: TensorValue['dtype'], parts: readonly TypedData[]): TypedData {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One call's inputs: each tensor input of the cases stacked (`rows`) or concatenated flat (`elementwise`). */
function stack<I>(cases: readonly I[], kind: BatchKind, paths: readonly Path[]): I {
  let batched = cases[0]!;
  for (const p of paths) {
    const ts = cases.map((c) => getAt(c, p) as TensorValue);
    const data = concat(
      ts[0]!.dtype,
      ts.map((t) => t.data),
    );
    const shape = kind === 'rows' ? [cases.length, ...ts[0]!.shape] : [data.length];
    batched = setAt(batched, p, { ...ts[0]!, shape, data });
  }
  return batched;
}

/** The part of a batched tensor that belongs to each case (undefined when its shape is not a batch of them). */
function split(t: ReadTensor, sizes: readonly number[], shapes: readonly (readonly number[])[], kind: BatchKind): ReadTensor[] | undefined {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (kind === 'rows' ? t.shape[0] !== sizes.length : t.shape.length !== 1 || t.shape[0] !== total) return undefined;
  const rowShape = t.shape.slice(1);
  const rowSize = kind === 'rows' ? sizeOf(rowShape) : 0;
  const out: ReadTensor[] = [];
  let at = 0;
  for (let i = 0; i < sizes.length; i++) {
    const n = kind === 'rows' ? rowSize : sizes[i]!;
    out.push({ ...t, shape: kind === 'rows' ? rowShape : [...shapes[i]!], data: t.data.subarray(at, at + n) });
    at += n;
  }
  return out;
}

/** Run one group of cases in one call; an outcome per case, or undefined when the call cannot stand for them. */
function runGroup<I>(property: Property<I>, cases: readonly I[], kind: BatchKind, paths: readonly Path[]): Outcome[] | undefined {
  const batched = execute(property.subject, stack(cases, kind, paths), { gradients: property.gradients });
  if (batched.kind !== 'ok') return undefined;
  const first = paths.map((p) => getAt(cases[0], p) as TensorValue);
  const shapes = cases.map((c) => (getAt(c, paths[0]!) as TensorValue).shape);
  const sizes = shapes.map(sizeOf);
  const cut = (ts: readonly ReadTensor[]) => ts.map((t) => split(t, sizes, shapes, kind));
  const outputs = cut(batched.observation.outputs);
  const gradients = cut(batched.observation.gradients);
  if (first.length === 0 || outputs.some((o) => !o) || gradients.some((g) => !g)) return undefined;
  return cases.map((inputs, i) => {
    const observation: Observation = {
      inputs,
      outputs: outputs.map((o) => o![i]!),
      gradients: gradients.map((g) => g![i]!),
      backend: batched.observation.backend,
    };
    return { kind: 'ok', observation };
  });
}

function sameData(a: TypedData, b: TypedData): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameTensors(a: readonly ReadTensor[], b: readonly ReadTensor[]): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => {
      const u = b[i]!;
      return t.name === u.name && t.dtype === u.dtype && t.wrt === u.wrt && t.shape.join() === u.shape.join() && sameData(t.data, u.data);
    })
  );
}

/** The case run alone gives bit for bit what its slice of the batch gave. */
function sameAsAlone<I>(property: Property<I>, inputs: I, batched: Outcome): boolean {
  const alone = execute(property.subject, inputs, { gradients: property.gradients });
  if (alone.kind !== 'ok' || batched.kind !== 'ok') return false;
  return sameTensors(alone.observation.outputs, batched.observation.outputs) && sameTensors(alone.observation.gradients, batched.observation.gradients);
}

/**
 * The outcome of every case, from as few calls as the property's {@link BatchKind} allows (a case
 * alone in its group runs alone); undefined when batching cannot stand for these cases. The first
 * case of every call is run alone too and must give the same values bit for bit (with
 * `verifyAll`, also its second and last cases: the detection a search runs on its first window).
 */
export function batchOutcomes<I>(property: Property<I>, cases: readonly I[], kind: BatchKind, verifyAll = false): Outcome[] | undefined {
  const groups = new Map<string, { paths: Path[]; members: number[] }>();
  const alone: number[] = [];
  for (let i = 0; i < cases.length; i++) {
    const paths = tensorPaths(cases[i]);
    const big = paths.reduce((a, p) => a + sizeOf((getAt(cases[i], p) as TensorValue).shape), 0) > MAX_CASE_ELEMENTS;
    const key = paths.length > 0 && !big ? groupKey(cases[i], kind, paths) : undefined;
    if (key === undefined) {
      alone.push(i);
      continue;
    }
    const group = groups.get(key);
    if (group) group.members.push(i);
    else groups.set(key, { paths, members: [i] });
  }
  // nothing to batch (every case alone): declined before running anything, the cases run as without a screen
  if (![...groups.values()].some((g) => g.members.length > 1)) return undefined;
  const outcomes: Outcome[] = new Array(cases.length);
  for (const i of alone) outcomes[i] = execute(property.subject, cases[i]!, { gradients: property.gradients });
  for (const { paths, members } of groups.values()) {
    for (const chunk of chunks(members, cases, paths)) {
      if (chunk.length === 1) {
        outcomes[chunk[0]!] = execute(property.subject, cases[chunk[0]!]!, { gradients: property.gradients });
        continue;
      }
      const got = runGroup(
        property,
        chunk.map((i) => cases[i]!),
        kind,
        paths,
      );
      if (!got) return undefined;
      // the first case; in the detection also the second and the last (a case away from the start of the call)
      const checked = verifyAll ? [...new Set([0, 1, chunk.length - 1])] : [0];
      for (const j of checked) if (!sameAsAlone(property, cases[chunk[j]!]!, got[j]!)) return undefined;
      chunk.forEach((i, j) => {
        outcomes[i] = got[j]!;
      });
    }
  }
  return outcomes;
}

/** A group cut into calls of at most {@link MAX_BATCH_ELEMENTS} elements. */
function chunks<I>(members: readonly number[], cases: readonly I[], paths: readonly Path[]): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let elements = 0;
  for (const i of members) {
    const n = paths.reduce((a, p) => a + sizeOf((getAt(cases[i], p) as TensorValue).shape), 0);
    if (current.length > 0 && elements + n > MAX_BATCH_ELEMENTS) {
      out.push(current);
      current = [];
      elements = 0;
    }
    current.push(i);
    elements += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Screen cases in bulk: the indices of those that fail (`judge` on each case's outcome, which may
 * add error samples to the sink it is given), ascending; undefined when batching cannot stand for
 * them. Error samples reach `keep` in case order, and only when the screen is accepted.
 */
export function screenCases<I>(
  property: Property<I>,
  cases: readonly I[],
  kind: BatchKind,
  judge: (inputs: I, outcome: Outcome, sink: SampleSink) => boolean,
  keep?: SampleSink,
  verifyAll = false,
): number[] | undefined {
  const outcomes = batchOutcomes(property, cases, kind, verifyAll);
  if (!outcomes) return undefined;
  const samples: ErrorSample[][] = [];
  const failing: number[] = [];
  for (let i = 0; i < cases.length; i++) {
    const mine: ErrorSample[] = [];
    if (judge(cases[i]!, outcomes[i]!, { add: (s) => mine.push(s) })) failing.push(i);
    samples.push(mine);
  }
  // a failing case is what the per-case run will replay: it must be the same case there
  if (failing.some((i) => outcomes[i]!.kind === 'ok' && !sameAsAlone(property, cases[i]!, outcomes[i]!))) return undefined;
  if (keep) for (const mine of samples) for (const s of mine) keep.add(s);
  return failing;
}

/**
 * A search's screen (engine.ts, `SearchSpec.screen`) for a property: {@link screenCases} on each
 * window it is given, the first one with the detection (more of its cases run alone); a fault of its own
 * declines the window. `screened(accepted)` says, before the search tries any case of the window,
 * whether the screen judged and sampled it (accepted) or the window is to be tried one by one.
 */
export function screenOf<I>(
  property: Property<I>,
  kind: BatchKind,
  judge: (inputs: I, outcome: Outcome, sink: SampleSink) => boolean,
  keep: SampleSink,
  screened: (accepted: boolean) => void,
): (cases: readonly I[]) => number[] | undefined {
  let windows = 0;
  return (cases) => {
    let failing: number[] | undefined;
    try {
      failing = screenCases(property, cases, kind, judge, keep, windows++ === 0);
    } catch {
      failing = undefined; // batching cannot stand for these cases: they run one by one
    }
    screened(failing !== undefined);
    return failing;
  };
}
