/**
 * Exact references for linear algebra and convolutions: dot products, batched matMul's
 * derivatives, N-d convolutions (conv1d, conv2d, conv3d, depthwise) and transposed convolutions,
 * with their derivatives.
 *
 * Every output element here is a sum of products Σ a_q·b_q of float32 values (or a sum of plain
 * terms, b_q = 1). {@link ProductSums} settles each one: a float64 evaluation whose error bound
 * is u·(Σ|partial sums| + Σ|products|) — float32 products are exact in float64 — and, when that
 * bound does not settle the float32 rounding (cancellation: 3e38·1 + 1·1 - 3e38·1), an exact
 * BigInt sum of the scaled products (rational.ts), rounded once. Every element is marked as an
 * accumulation (sum of |products|, number of products) so the `acc` allowance of the tolerance
 * applies: exact cancellation is never a finding, a sum much worse than a good float32 sum is.
 *
 * Non-finite inputs give the IEEE 754 result of the defining sum (0·Infinity = NaN,
 * Infinity - Infinity = NaN): float64 evaluates the same extended-real sum.
 *
 * Geometry follows TensorFlow: NHWC (channels last), filters [...window, inChannels, outChannels]
 * (depthwise: [...window, inChannels, multiplier]), padding 'valid', 'same' (output
 * ceil(in / stride), the padding split with the smaller half first) or explicit [before, after]
 * per spatial dimension; taps that fall into the padding contribute nothing.
 */
import { certifies32 } from '../core/float32.ts';
import { ETA, inflate } from './arith.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { formatShape, readInput, sizeOfShape, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';
import { commonScale, ratioToDouble, scaled } from './rational.ts';

const U = 2 ** -53;

/**
 * Settles output elements that are sums of products (or of terms: `push(v, 1)`), one at a time:
 * `push` the pairs of an element, then `finish(index)` (optionally dividing by a count, as a mean
 * does). Non-finite sums are stored by definition; finite ones in float64 when its error bound
 * settles the float32 rounding, else exactly.
 */
export class ProductSums {
  private pa = new Float64Array(16);
  private pb = new Float64Array(16);
  private n = 0;
  private s = 0;
  private run = 0;
  private abs = 0;

  constructor(
    readonly out: ExactBuilder,
    readonly options: ResolvedOptions,
  ) {
    out.magnitude ??= new Float64Array(out.size);
  }

  push(a: number, b: number): void {
    if (this.n === this.pa.length) {
      const grow = (x: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
        const y = new Float64Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.pa = grow(this.pa);
      this.pb = grow(this.pb);
    }
    this.pa[this.n] = a;
    this.pb[this.n] = b;
    this.n++;
    const p = a * b;
    this.s += p;
    this.run += Math.abs(this.s);
    this.abs += Math.abs(p);
  }

  /** Store the element at `index` (the sum divided by `divisor`, a positive integer), and start the next. */
  finish(index: number, divisor = 1): void {
    const { out, n } = this;
    const v = this.s / divisor;
    out.magnitude![index] = (this.run + this.abs) / divisor + (divisor === 1 ? 0 : Math.abs(v)) + 2 * n * ETA;
    out.accumulation(index, this.abs / divisor, n);
    if (!Number.isFinite(this.s) || Number.isNaN(this.run)) {
      out.definitional(index, v);
    } else if (this.options.mode === 'tiered' && certifies32(v, inflate((U * (this.run + this.abs)) / divisor + (divisor === 1 ? 0 : U * Math.abs(v))))) {
      out.finite(index, v);
    } else {
      out.slow++;
      const a = this.pa.subarray(0, n);
      const b = this.pb.subarray(0, n);
      const sa = commonScale(a);
      const sb = commonScale(b);
      let total = 0n;
      for (let q = 0; q < n; q++) total += scaled(a[q]!, sa) * scaled(b[q]!, sb);
      out.finite(index, ratioToDouble(total, BigInt(divisor), sa + sb));
    }
    this.n = 0;
    this.s = 0;
    this.run = 0;
    this.abs = 0;
  }
}

/**
 * Per-element lists of terms (gradients that scatter: a conv's input gradient, a gather's, a
 * segment sum's), settled as exact sums with their accumulation.
 */
export class TermSums {
  private readonly terms: number[][];

  constructor(
    readonly shape: readonly number[],
    readonly size = sizeOfShape(shape),
  ) {
    this.terms = Array.from({ length: size }, () => []);
  }

  add(index: number, term: number): void {
    this.terms[index]!.push(term);
  }

  build(options?: ReferenceOptions): ExactTensor {
    const out = new ExactBuilder(this.shape, this.size, true);
    const acc = new ProductSums(out, resolveOptions(options));
    for (let i = 0; i < this.size; i++) {
      for (const t of this.terms[i]!) acc.push(t, 1);
      acc.finish(i);
    }
    return out.build();
  }
}

// ---------------------------------------------------------------------------------------------
// dot and matMul

/** tf.dot(a, b): vector·vector (a scalar), matrix·vector, vector·matrix or matrix·matrix. */
export function dot(a: RefInput, b: RefInput, options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const A = readInput('dot', 'a', a, o);
  const B = readInput('dot', 'b', b, o);
  const ra = A.shape.length;
  const rb = B.shape.length;
  if (ra < 1 || ra > 2 || rb < 1 || rb > 2) {
    throw new RangeError(`dot: arguments must have rank 1 or 2; got ${formatShape(A.shape)} and ${formatShape(B.shape)}`);
  }
  const m = ra === 2 ? A.shape[0]! : 1;
  const k = A.shape[ra - 1]!;
  const kb = B.shape[0]!;
  const n = rb === 2 ? B.shape[1]! : 1;
  if (k !== kb) throw new RangeError(`dot: inner dimensions differ: 'a' ${formatShape(A.shape)} and 'b' ${formatShape(B.shape)}`);
  const shape = [...(ra === 2 ? [m] : []), ...(rb === 2 ? [n] : [])];
  const out = new ExactBuilder(shape, m * n, true);
  const acc = new ProductSums(out, o);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let q = 0; q < k; q++) acc.push(A.data[i * k + q]!, B.data[q * n + j]!);
      acc.finish(i * n + j);
    }
  }
  return out.build();
}

/** d/da and d/db of sum(dot(a, b)): row sums of b and column sums of a, each an accumulation. */
export function dotDerivative(a: RefInput, b: RefInput, options?: ReferenceOptions): { a: ExactTensor; b: ExactTensor } {
  const o = resolveOptions(options);
  const A = readInput("dot'", 'a', a, o);
  const B = readInput("dot'", 'b', b, o);
  const m = A.shape.length === 2 ? A.shape[0]! : 1;
  const k = A.shape[A.shape.length - 1]!;
  const n = B.shape.length === 2 ? B.shape[1]! : 1;
  const dA = new TermSums(A.shape);
  const dB = new TermSums(B.shape);
  for (let i = 0; i < m; i++) {
    for (let q = 0; q < k; q++) {
      for (let j = 0; j < n; j++) {
        dA.add(i * k + q, B.data[q * n + j]!);
        dB.add(q * n + j, A.data[i * k + q]!);
      }
    }
  }
  return { a: dA.build(options), b: dB.build(options) };
}

/** Broadcast batch shape of two matMul operands' leading dimensions, with each operand's flat batch index per output batch. */
function batchPlan(fn: string, A: Read, B: Read): { batch: number[]; ia: Int32Array; ib: Int32Array } {
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = batchA[batchA.length - rank + i] ?? 1;
    const db = batchB[batchB.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${fn}: batch dimensions of 'a' ${formatShape(A.shape)} and 'b' ${formatShape(B.shape)} cannot be broadcast together`);
    }
    batch.push(da === 1 ? db : da);
  }
  const count = sizeOfShape(batch);
  const index = (own: number[]): Int32Array => {
    const out = new Int32Array(count);
    for (let bi = 0; bi < count; bi++) {
      let rest = bi;
      let idx = 0;
      let stride = 1;
      for (let i = rank - 1; i >= 0; i--) {
        const d = batch[i]!;
        const c = rest % d;
        rest = Math.floor(rest / d);
        const dim = own[own.length - rank + i] ?? 1;
        if (dim !== 1) idx += c * stride;
        stride *= dim;
      }
      out[bi] = idx;
    }
    return out;
  };
  return { batch, ia: index(batchA), ib: index(batchB) };
}

/**
 * d/da and d/db of sum(matMul(a, b, transposeA, transposeB)) for any rank (batch dimensions
 * broadcast): d/d op(a)[i, k] = Σ_j op(b)[k, j], d/d op(b)[k, j] = Σ_i op(a)[i, k], summed over
 * the output batches an operand's batch element is broadcast to.
 */
export function batchMatMulDerivative(
  a: RefInput,
  b: RefInput,
  transposeA = false,
  transposeB = false,
  options?: ReferenceOptions,
): { a: ExactTensor; b: ExactTensor } {
  const o = resolveOptions(options);
  const A = readInput("matMul'", 'a', a, o);
  const B = readInput("matMul'", 'b', b, o);
  if (A.shape.length < 2 || B.shape.length < 2)
    throw new RangeError(`matMul': arguments must have rank >= 2; got ${formatShape(A.shape)} and ${formatShape(B.shape)}`);
  const ra = A.shape.length;
  const rb = B.shape.length;
  const [m, k] = transposeA ? [A.shape[ra - 1]!, A.shape[ra - 2]!] : [A.shape[ra - 2]!, A.shape[ra - 1]!];
  const [kb, n] = transposeB ? [B.shape[rb - 1]!, B.shape[rb - 2]!] : [B.shape[rb - 2]!, B.shape[rb - 1]!];
  if (k !== kb) throw new RangeError(`matMul': inner dimensions differ: 'a' ${formatShape(A.shape)} and 'b' ${formatShape(B.shape)}`);
  const { ia, ib } = batchPlan("matMul'", A, B);
  const aAt = (bi: number, i: number, q: number): number => ia[bi]! * m * k + (transposeA ? q * m + i : i * k + q);
  const bAt = (bi: number, q: number, j: number): number => ib[bi]! * k * n + (transposeB ? j * k + q : q * n + j);
  const dA = new TermSums(A.shape);
  const dB = new TermSums(B.shape);
  for (let bi = 0; bi < ia.length; bi++) {
    for (let i = 0; i < m; i++) {
      for (let q = 0; q < k; q++) {
        for (let j = 0; j < n; j++) {
          dA.add(aAt(bi, i, q), B.data[bAt(bi, q, j)]!);
          dB.add(bAt(bi, q, j), A.data[aAt(bi, i, q)]!);
        }
      }
    }
  }
  return { a: dA.build(options), b: dB.build(options) };
}

// ---------------------------------------------------------------------------------------------
// convolution geometry

/** Padding as TensorFlow takes it: 'valid', 'same', or [before, after] per spatial dimension. */
export type Padding = 'valid' | 'same' | readonly (readonly [number, number])[];

export interface ConvOptions {
  /** Per spatial dimension, or one number for all (default 1). */
  readonly strides?: number | readonly number[];
  readonly padding?: Padding;
  /** Per spatial dimension, or one number for all (default 1). */
  readonly dilations?: number | readonly number[];
}

/** Where a window over the spatial dimensions of an input lands. */
export interface ConvGeometry {
  readonly inSpatial: readonly number[];
  readonly window: readonly number[];
  readonly outSpatial: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBefore: readonly number[];
  /**
   * For each output position (flat over outSpatial): the taps that land inside the input, as
   * pairs (tap flat index over `window`, input flat index over `inSpatial`).
   */
  readonly taps: readonly Int32Array[];
}

function perDim(fn: string, name: string, v: number | readonly number[] | undefined, d: number): number[] {
  const list = v === undefined ? new Array<number>(d).fill(1) : typeof v === 'number' ? new Array<number>(d).fill(v) : [...v];
  if (list.length !== d || list.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`${fn}: parameter '${name}' must be a positive integer or ${d} of them; got ${JSON.stringify(v)}`);
  }
  return list;
}

/**
 * Geometries computed so far, by their parameters: a property runs one geometry on case after
 * case, and its tap lists cost more than a small convolution's sums (1.4 s of the cpu catalog).
 */
const geometries = new Map<string, ConvGeometry>();
const MAX_GEOMETRIES = 512;

/** The geometry of a window of shape `window` sliding over `inSpatial` (TensorFlow's rules). */
export function convGeometry(fn: string, inSpatial: readonly number[], window: readonly number[], options: ConvOptions = {}): ConvGeometry {
  const d = inSpatial.length;
  if (window.length !== d) throw new RangeError(`${fn}: the window ${formatShape(window)} must have ${d} spatial dimensions`);
  const strides = perDim(fn, 'strides', options.strides, d);
  const dilations = perDim(fn, 'dilations', options.dilations, d);
  const padding = options.padding ?? 'valid';
  const key = `${inSpatial.join()}|${window.join()}|${strides.join()}|${dilations.join()}|${typeof padding === 'string' ? padding : JSON.stringify(padding)}`;
  const known = geometries.get(key);
  if (known) return known;
  const g = computeGeometry(fn, inSpatial, window, strides, dilations, padding);
  if (geometries.size >= MAX_GEOMETRIES) geometries.clear();
  geometries.set(key, g);
  return g;
}

function computeGeometry(
  fn: string,
  inSpatial: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  padding: NonNullable<ConvOptions['padding']>,
): ConvGeometry {
  const d = inSpatial.length;
  const outSpatial: number[] = [];
  const padBefore: number[] = [];
  for (let i = 0; i < d; i++) {
    const n = inSpatial[i]!;
    const eff = (window[i]! - 1) * dilations[i]! + 1;
    const s = strides[i]!;
    if (padding === 'valid') {
      outSpatial.push(Math.max(0, Math.ceil((n - eff + 1) / s)));
      padBefore.push(0);
    } else if (padding === 'same') {
      const out = Math.ceil(n / s);
      const total = Math.max(0, (out - 1) * s + eff - n);
      outSpatial.push(out);
      padBefore.push(Math.floor(total / 2));
    } else {
      const p = padding[i];
      if (p === undefined || p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < 0)) {
        throw new RangeError(`${fn}: explicit padding needs [before, after] non-negative integers for each of ${d} dimensions`);
      }
      outSpatial.push(Math.max(0, Math.floor((n + p[0] + p[1] - eff) / s) + 1));
      padBefore.push(p[0]);
    }
  }
  const outCount = sizeOfShape(outSpatial);
  const tapCount = sizeOfShape(window);
  const taps: Int32Array[] = [];
  const oc = new Array<number>(d).fill(0);
  for (let of = 0; of < outCount; of++) {
    let rest = of;
    for (let i = d - 1; i >= 0; i--) {
      oc[i] = rest % outSpatial[i]!;
      rest = Math.floor(rest / outSpatial[i]!);
    }
    const pairs: number[] = [];
    for (let t = 0; t < tapCount; t++) {
      let tr = t;
      let inFlat = 0;
      let inside = true;
      let stride = 1;
      for (let i = d - 1; i >= 0; i--) {
        const k = tr % window[i]!;
        tr = Math.floor(tr / window[i]!);
        const p = oc[i]! * strides[i]! - padBefore[i]! + k * dilations[i]!;
        if (p < 0 || p >= inSpatial[i]!) {
          inside = false;
          break;
        }
        inFlat += p * stride;
        stride *= inSpatial[i]!;
      }
      if (inside) pairs.push(t, inFlat);
    }
    taps.push(Int32Array.from(pairs));
  }
  return { inSpatial: [...inSpatial], window: [...window], outSpatial, strides, dilations, padBefore, taps };
}

interface ConvShapes {
  batch: number;
  spatial: number[];
  inC: number;
  window: number[];
  /** Filter's last dimension: outChannels, or the multiplier of a depthwise filter. */
  last: number;
  geometry: ConvGeometry;
}

function convShapes(fn: string, X: Read, F: Read, options: ConvOptions): ConvShapes {
  const r = X.shape.length;
  if (r < 3 || F.shape.length !== r) {
    throw new RangeError(`${fn}: 'x' ${formatShape(X.shape)} needs rank >= 3 and a filter of the same rank; got ${formatShape(F.shape)}`);
  }
  const spatial = X.shape.slice(1, -1);
  const inC = X.shape[r - 1]!;
  const window = F.shape.slice(0, -2);
  if (F.shape[r - 2] !== inC) {
    throw new RangeError(`${fn}: the filter ${formatShape(F.shape)} must have ${inC} input channels (x ${formatShape(X.shape)})`);
  }
  return { batch: X.shape[0]!, spatial, inC, window, last: F.shape[r - 1]!, geometry: convGeometry(fn, spatial, window, options) };
}

/**
 * Convolution (cross-correlation, as TensorFlow computes it) of x [batch, ...spatial, inC] with
 * filter [...window, inC, outC]: conv1d, conv2d and conv3d. With `depthwise`, the filter is
 * [...window, inC, multiplier] and output channel c·multiplier + m sees input channel c only.
 */
export function conv(x: RefInput, filter: RefInput, options: ConvOptions & { readonly depthwise?: boolean } = {}, refOptions?: ReferenceOptions): ExactTensor {
  const fn = options.depthwise ? 'depthwiseConv' : 'conv';
  const o = resolveOptions(refOptions);
  const X = readInput(fn, 'x', x, o);
  const F = readInput(fn, 'filter', filter, o);
  const { batch, inC, last, geometry: g } = convShapes(fn, X, F, options);
  const outC = options.depthwise ? inC * last : last;
  const inPos = sizeOfShape(g.inSpatial);
  const outPos = sizeOfShape(g.outSpatial);
  const out = new ExactBuilder([batch, ...g.outSpatial, outC], batch * outPos * outC, true);
  const acc = new ProductSums(out, o);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let co = 0; co < outC; co++) {
        if (options.depthwise) {
          const c = Math.floor(co / last);
          const m = co % last;
          for (let t = 0; t < taps.length; t += 2) acc.push(X.data[(b * inPos + taps[t + 1]!) * inC + c]!, F.data[(taps[t]! * inC + c) * last + m]!);
        } else {
          for (let t = 0; t < taps.length; t += 2) {
            const xo = (b * inPos + taps[t + 1]!) * inC;
            const fo = taps[t]! * inC * outC + co;
            for (let ci = 0; ci < inC; ci++) acc.push(X.data[xo + ci]!, F.data[fo + ci * outC]!);
          }
        }
        acc.finish((b * outPos + p) * outC + co);
      }
    }
  }
  return out.build();
}

/**
 * d/dx and d/dfilter of sum(conv(x, filter)): each input element's derivative is the sum of the
 * filter taps that touch it (over every output channel), each filter tap's the sum of the inputs
 * it touches.
 */
export function convDerivative(
  x: RefInput,
  filter: RefInput,
  options: ConvOptions & { readonly depthwise?: boolean } = {},
  refOptions?: ReferenceOptions,
): { x: ExactTensor; filter: ExactTensor } {
  const fn = options.depthwise ? "depthwiseConv'" : "conv'";
  const o = resolveOptions(refOptions);
  const X = readInput(fn, 'x', x, o);
  const F = readInput(fn, 'filter', filter, o);
  const { batch, inC, last, geometry: g } = convShapes(fn, X, F, options);
  const inPos = sizeOfShape(g.inSpatial);
  const outPos = sizeOfShape(g.outSpatial);
  const dX = new TermSums(X.shape);
  const dF = new TermSums(F.shape);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let t = 0; t < taps.length; t += 2) {
        const xo = (b * inPos + taps[t + 1]!) * inC;
        const fo = taps[t]! * inC * last;
        for (let ci = 0; ci < inC; ci++) {
          for (let m = 0; m < last; m++) {
            // depthwise: (ci, m) is output channel ci·last + m; otherwise m is the output channel
            dX.add(xo + ci, F.data[fo + ci * last + m]!);
            dF.add(fo + ci * last + m, X.data[xo + ci]!);
          }
        }
      }
    }
  }
  return { x: dX.build(refOptions), filter: dF.build(refOptions) };
}

/**
 * tf.conv2dTranspose (and conv3dTranspose): x [batch, ...spatial, inC], filter [...window,
 * outC, inC], output [batch, ...outSpatial, outC] — the gradient of a convolution of an input of
 * shape `outputShape` with respect to that input: each input element scatters x·filter into the
 * output positions its taps reach.
 */
export function convTranspose(
  x: RefInput,
  filter: RefInput,
  outputShape: readonly number[],
  options: Omit<ConvOptions, 'dilations'> = {},
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('convTranspose', 'x', x, o);
  const F = readInput('convTranspose', 'filter', filter, o);
  const g = transposeGeometry(X, F, outputShape, options);
  const { inC, outC, xPos, outPos } = g;
  // terms of each output element: (x, filter) pairs
  const lists: number[][] = Array.from({ length: g.batch * outPos * outC }, () => []);
  for (let b = 0; b < g.batch; b++) {
    for (let p = 0; p < xPos; p++) {
      const taps = g.geometry.taps[p]!;
      for (let t = 0; t < taps.length; t += 2) {
        const yo = (b * outPos + taps[t + 1]!) * outC;
        const fo = taps[t]! * outC * inC;
        for (let co = 0; co < outC; co++) {
          for (let ci = 0; ci < inC; ci++) lists[yo + co]!.push(X.data[(b * xPos + p) * inC + ci]!, F.data[fo + co * inC + ci]!);
        }
      }
    }
  }
  const out = new ExactBuilder([g.batch, ...g.geometry.inSpatial, outC], lists.length, true);
  const acc = new ProductSums(out, o);
  lists.forEach((l, i) => {
    for (let q = 0; q < l.length; q += 2) acc.push(l[q]!, l[q + 1]!);
    acc.finish(i);
  });
  return out.build();
}

function transposeGeometry(X: Read, F: Read, outputShape: readonly number[], options: Omit<ConvOptions, 'dilations'>) {
  const r = X.shape.length;
  if (F.shape.length !== r || outputShape.length !== r) {
    throw new RangeError(
      `convTranspose: 'x' ${formatShape(X.shape)}, the filter ${formatShape(F.shape)} and the output shape ${formatShape(outputShape)} must have the same rank`,
    );
  }
  const inC = X.shape[r - 1]!;
  const outC = outputShape[r - 1]!;
  if (F.shape[r - 1] !== inC || F.shape[r - 2] !== outC) {
    throw new RangeError(`convTranspose: the filter ${formatShape(F.shape)} must be [...window, ${outC}, ${inC}]`);
  }
  // the forward convolution maps an input of outputShape to x's spatial shape
  const geometry = convGeometry('convTranspose', outputShape.slice(1, -1), F.shape.slice(0, -2), options);
  const xSpatial = X.shape.slice(1, -1);
  if (geometry.outSpatial.some((d, i) => d !== xSpatial[i])) {
    throw new RangeError(
      `convTranspose: a convolution of ${formatShape(outputShape)} gives spatial ${formatShape(geometry.outSpatial)}, not x's ${formatShape(xSpatial)}`,
    );
  }
  return { geometry, batch: X.shape[0]!, inC, outC, xPos: sizeOfShape(xSpatial), outPos: sizeOfShape(geometry.inSpatial) };
}

/** d/dx and d/dfilter of sum(convTranspose(x, filter, outputShape)). */
export function convTransposeDerivative(
  x: RefInput,
  filter: RefInput,
  outputShape: readonly number[],
  options: Omit<ConvOptions, 'dilations'> = {},
  refOptions?: ReferenceOptions,
): { x: ExactTensor; filter: ExactTensor } {
  const o = resolveOptions(refOptions);
  const X = readInput("convTranspose'", 'x', x, o);
  const F = readInput("convTranspose'", 'filter', filter, o);
  const g = transposeGeometry(X, F, outputShape, options);
  const { inC, outC, xPos } = g;
  const dX = new TermSums(X.shape);
  const dF = new TermSums(F.shape);
  for (let b = 0; b < g.batch; b++) {
    for (let p = 0; p < xPos; p++) {
      const taps = g.geometry.taps[p]!;
      for (let t = 0; t < taps.length; t += 2) {
        const fo = taps[t]! * outC * inC;
        for (let co = 0; co < outC; co++) {
          for (let ci = 0; ci < inC; ci++) {
            dX.add((b * xPos + p) * inC + ci, F.data[fo + co * inC + ci]!);
            dF.add(fo + co * inC + ci, X.data[(b * xPos + p) * inC + ci]!);
          }
        }
      }
    }
  }
  return { x: dX.build(refOptions), filter: dF.build(refOptions) };
}
