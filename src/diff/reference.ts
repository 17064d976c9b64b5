/**
 * Which backend is right: an optional exact reference decides a disagreement.
 *
 * A reference computes the exact (or at least far more accurate, e.g. float64) values of a
 * subject's outputs from the generated inputs. A property carries one with `withReference`, or
 * the caller passes one to `diffProperty`. When two backends disagree on an element, each
 * backend's value is measured in ULPs against the reference rounded to float32: the backends
 * within tolerance are right, and the report says so. Errors are src/check/error.ts's measure.
 */
import type { ExactTensor } from '../reference/exact.ts';
import type { Tolerance } from '../reference/tolerances.ts';
import { withFlushAllowance, withinTolerance } from '../check/accuracy.ts';
import type { Property } from '../property/property.ts';
import { flushSubnormalInputs, formatNumber } from '../core/tensor-value.ts';
import { flushesSubnormals } from '../core/float32.ts';
import type { Disagreement, AgreementTolerance } from './compare.ts';
import { measureError } from '../check/error.ts';

/**
 * The exact values of one tensor, row-major: an array, or anything with a `values` array — such
 * as the ExactTensor that src/reference's functions (`exp`, `sigmoid`, `softmax`, ...) return.
 */
export type ReferenceColumn = ArrayLike<number> | { readonly values: ArrayLike<number> };

/**
 * Exact values of the outputs: one column (the single output `output`), columns keyed by
 * tensor name (`output`, `output[1]`, `output.loss`, `grad(x)`), or one column per output in
 * order (as src/reference's functions return them for a subject of several outputs). Missing
 * names have no reference.
 */
export type ReferenceValues = ReferenceColumn | readonly { readonly values: ArrayLike<number> }[] | { readonly [tensor: string]: ReferenceColumn };

/** Computes exact outputs from the generated inputs (TensorValues: read `.data`). */
export type Reference<I = unknown> = (inputs: I) => ReferenceValues;

/** A property that carries an exact reference for differential testing. */
export type ReferencedProperty<I = unknown> = Property<I> & { readonly diffReference: Reference<I> };

/**
 * Attach a reference to a property. The result is still a Property (loaders and runners take it).
 *
 * ```ts
 * import { exp } from '../reference/elementwise.ts'; // nanhunt's exact references, or any float64 code
 * const expProp = withReference(
 *   property({ name: 'exp', inputs: { x: tensor() }, subject: ({ x }) => tf.exp(x) }),
 *   ({ x }) => exp(x), // or: Array.from(x.data, Math.exp)
 * );
 * ```
 */
export function withReference<I>(p: Property<I>, reference: Reference<I>): ReferencedProperty<I> {
  if (typeof reference !== 'function') throw new TypeError(`withReference('${p.name}'): the reference must be a function`);
  return Object.freeze({ ...p, diffReference: reference });
}

/**
 * The reference a property carries, if any: the one attached with withReference, else the
 * property's own exact reference (catalog entries have one), its outputs in order.
 */
export function referenceOf<I>(p: Property<I>): Reference<I> | undefined {
  const r = (p as { diffReference?: unknown }).diffReference;
  if (typeof r === 'function') return r as Reference<I>;
  const exact = p.reference?.exact;
  return exact ? (inputs) => exact(inputs) : undefined;
}

/** What the reference says about one disagreeing element. */
export interface ReferenceVerdict {
  readonly tensor: string;
  readonly index: number;
  /** The reference value as computed (float64). */
  readonly exact: number;
  /** The reference rounded to float32: what a correctly rounded backend returns. */
  readonly rounded: number;
  /** Each backend's distance from `rounded`, in ULPs (Infinity across finiteness). */
  readonly ulps: Readonly<Record<string, number>>;
  /** Backends within tolerance of the reference. */
  readonly right: readonly string[];
  /** The backend strictly closest to the reference (absent on a tie). */
  readonly closest?: string;
  /** One line: `exact 22026.465794806718: cpu is right (0 ULPs), wasm is 22 ULPs off`. */
  readonly message: string;
}

interface Column {
  readonly values: ArrayLike<number>;
  /** ExactTensor kind codes (finite, +inf, -inf, nan by definition), when the reference gives them. */
  readonly kinds?: ArrayLike<number>;
  /** The ExactTensor itself, when the reference gives one (magnitudes and accumulations for tolerances). */
  readonly exact?: ExactTensor;
}

function columnOf(x: unknown): Column | undefined {
  if (isArrayLike(x)) return { values: x };
  const v = (x as { values?: unknown; kinds?: unknown } | null)?.values;
  if (!isArrayLike(v)) return undefined;
  const kinds = (x as { kinds?: unknown }).kinds;
  if (!isArrayLike(kinds)) return { values: v };
  return v instanceof Float64Array && kinds instanceof Uint8Array ? { values: v, kinds, exact: x as ExactTensor } : { values: v, kinds };
}

function valuesFor(values: ReferenceValues, tensor: string, outputNames: readonly string[]): Column | undefined {
  if (Array.isArray(values) && values.length > 0 && typeof values[0] === 'object') {
    // one column per output, in the order of the subject's outputs
    const i = outputNames.indexOf(tensor);
    return i >= 0 ? columnOf(values[i]) : undefined;
  }
  const single = columnOf(values);
  if (single) return tensor === 'output' || (outputNames.length === 1 && outputNames[0] === tensor) ? single : undefined;
  const record = values as { readonly [tensor: string]: ReferenceColumn };
  return Object.hasOwn(record, tensor) ? columnOf(record[tensor]) : undefined;
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}

/**
 * Decide a disagreement with the reference. Returns undefined when the disagreement has no element
 * (one backend threw) or the reference has no value for it; `{ error }` when the reference failed.
 */
export function judge(
  d: Disagreement,
  inputs: unknown,
  reference: Reference,
  tolerance: AgreementTolerance,
  outputNames: readonly string[] = [],
  /** Each backend's tolerance of the exact answer (the property's reference tolerance); default: within `tolerance.ulps`. */
  toleranceOf?: (backend: string) => Tolerance,
): ReferenceVerdict | { readonly error: string } | undefined {
  const e = d.element;
  if (!e) return undefined;
  let values: ReferenceValues;
  try {
    values = reference(inputs);
  } catch (err) {
    return { error: `the reference threw: ${err instanceof Error ? err.message : String(err)}` };
  }
  const column = values ? valuesFor(values, e.tensor, outputNames) : undefined;
  if (!column) return undefined;
  if (e.index >= column.values.length) return { error: `the reference for ${e.tensor} has ${column.values.length} values, element ${e.index} was asked` };
  const exact = Number(column.values[e.index]);
  const kind = column.kinds ? Number(column.kinds[e.index]) : undefined;
  const rounded = Math.fround(exact);
  const ulps: Record<string, number> = {};
  const within: Record<string, boolean> = {};
  const ex = column.exact;
  const magnitude = ex?.magnitude?.[e.index] ?? Math.abs(exact);
  const acc = ex?.absSum && ex.terms ? { absSum: ex.absSum[e.index]!, terms: ex.terms[e.index]! } : undefined;
  // src/check/error.ts's measure: a correctly rounded overflow is exact, NaN where the answer is defined is worst
  d.backends.forEach((b, i) => {
    const m = measureError(e.values[i]!, exact, kind);
    ulps[b] = m.ulps;
    within[b] = toleranceOf ? withinTolerance(m, toleranceOf(b), exact, magnitude, 0, acc) : m.ulps <= tolerance.ulps;
    // TensorFlow's kernels read subnormals as 0 and flush subnormal results (src/core/float32.ts): its convention
    if (!within[b] && toleranceOf && flushesSubnormals(b)) within[b] = flushedWithin(e.values[i]!, b);
  });
  function flushedWithin(got: number, b: string): boolean {
    try {
      const v = reference(flushSubnormalInputs(inputs));
      const col = v ? valuesFor(v, e!.tensor, outputNames) : undefined;
      if (!col || e!.index >= col.values.length) return false;
      const x = Number(col.values[e!.index]);
      const k = col.kinds ? Number(col.kinds[e!.index]) : undefined;
      const mag = col.exact?.magnitude?.[e!.index] ?? Math.abs(x);
      return withinTolerance(measureError(got, x, k), withFlushAllowance(toleranceOf!(b)), x, mag, 0, acc);
    } catch {
      return false;
    }
  }
  const right = d.backends.filter((b) => within[b]);
  const [a, b] = d.backends;
  const closest = ulps[a]! < ulps[b]! ? a : ulps[b]! < ulps[a]! ? b : undefined;
  const off = (x: string) =>
    ulps[x] === 0 ? 'exact' : Number.isFinite(ulps[x]!) ? `${ulps[x]} ULPs off` : `wrong (${formatNumber(e.values[d.backends.indexOf(x)]!)})`;
  const judgement =
    right.length === 1
      ? `${right[0]} is right (${off(right[0]!)}), ${d.backends.find((x) => x !== right[0])} is ${off(d.backends.find((x) => x !== right[0])!)}`
      : right.length === 2
        ? `both within tolerance (${a} ${off(a)}, ${b} ${off(b)})`
        : `both wrong (${a} ${off(a)}, ${b} ${off(b)})${closest ? `; ${closest} is closer` : ''}`;
  return {
    tensor: e.tensor,
    index: e.index,
    exact,
    rounded,
    ulps,
    right,
    ...(closest ? { closest } : {}),
    message: `exact ${formatNumber(exact)}${rounded !== exact && Number.isFinite(exact) ? ` (float32 ${formatNumber(rounded)})` : ''}: ${judgement}`,
  };
}
