/**
 * Exact references for the layers networks are built from: pooling (max and average, 2-d and
 * 3-d), batch normalization, local response normalization, image resizing (bilinear and nearest
 * neighbour), and two compositions users write by hand — layer normalization
 * ((x - mean) / sqrt(variance + eps) * gamma + beta) and masked softmax (logits masked with
 * -1e9 or -Infinity) — with their derivatives.
 *
 * - Average pooling and bilinear interpolation are exact rational sums (linalg.ts's
 *   ProductSums): a mean of a window, a weighted sum of four pixels whose weights are the exact
 *   fractions of the source coordinate. Both are marked as accumulations.
 * - Max pooling is the maximum of its window; NaN propagates (IEEE 754's maximum), taps in the
 *   padding do not count.
 * - batchNorm, LRN and layer normalization are evaluated tiered (arith.ts): float64 with a
 *   proven bound, BigNumber where that does not settle the float32 rounding; their magnitudes
 *   are the first-order error factors of the float32 formulas, for `ctol`.
 *
 * Derivatives are of the sum of the outputs (what the gradient properties check). Sums of terms
 * are settled exactly as sums of the float64 terms (accumulation marked); a term that is itself
 * irrational (1/sqrt(v)) carries float64's rounding, far below any float32 tolerance.
 */
import { ETA, evaluate, type Arith } from './arith.ts';
import { ExactBuilder, KIND_NAN, type ExactTensor } from './exact.ts';
import type { DerivativeTensor } from './derivatives.ts';
import { broadcastIndex, formatShape, readInput, sizeOfShape, type Read, type RefInput } from './input.ts';
import { convGeometry, ProductSums, TermSums, type ConvOptions } from './linalg.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';
import { logSoftmax, softmax } from './softmax.ts';
import { logSoftmaxDerivative, softmaxDerivative } from './derivatives.ts';
import * as red from './reductions.ts';

// ---------------------------------------------------------------------------------------------
// pooling

export type PoolKind = 'max' | 'avg';

function poolSetup(fn: string, X: Read, window: readonly number[], options: Omit<ConvOptions, 'dilations'>) {
  const r = X.shape.length;
  if (r < 3 || window.length !== r - 2) {
    throw new RangeError(`${fn}: x ${formatShape(X.shape)} must be [batch, ...spatial, channels] with ${window.length} spatial dimensions`);
  }
  const g = convGeometry(fn, X.shape.slice(1, -1), window, options);
  return { g, batch: X.shape[0]!, c: X.shape[r - 1]!, inPos: sizeOfShape(g.inSpatial), outPos: sizeOfShape(g.outSpatial) };
}

/**
 * tf.maxPool / avgPool / maxPool3d / avgPool3d: x [batch, ...spatial, channels], a window over
 * the spatial dimensions. Average pooling divides by the number of taps inside the input (the
 * padding does not count), as TensorFlow does.
 */
export function pool(
  x: RefInput,
  kind: PoolKind,
  window: readonly number[],
  options: Omit<ConvOptions, 'dilations'> = {},
  refOptions?: ReferenceOptions,
): ExactTensor {
  const fn = `${kind}Pool`;
  const o = resolveOptions(refOptions);
  const X = readInput(fn, 'x', x, o);
  const { g, batch, c, inPos, outPos } = poolSetup(fn, X, window, options);
  const out = new ExactBuilder([batch, ...g.outSpatial, c], batch * outPos * c, true);
  const acc = new ProductSums(out, o);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let ch = 0; ch < c; ch++) {
        const idx = (b * outPos + p) * c + ch;
        if (kind === 'avg') {
          for (let t = 1; t < taps.length; t += 2) acc.push(X.data[(b * inPos + taps[t]!) * c + ch]!, 1);
          acc.finish(idx, taps.length / 2);
          continue;
        }
        let m = -Infinity;
        for (let t = 1; t < taps.length; t += 2) m = Math.max(m, X.data[(b * inPos + taps[t]!) * c + ch]!);
        out.definitional(idx, m);
        out.magnitude![idx] = Math.abs(m);
      }
    }
  }
  return out.build();
}

/**
 * d/dx of sum(pool(x)). Average pooling: each window gives 1/count to each of its taps. Max
 * pooling: each window gives 1 to its maximum; where several taps tie for the maximum the
 * derivative is set-valued — any split of the 1 among them — so each tied element accepts
 * [0, 1] from that window (`lower`/`upper`; `values` holds the even split). Windows whose
 * maximum is NaN make their elements' derivative undefined (kind nan).
 */
export function poolDerivative(
  x: RefInput,
  kind: PoolKind,
  window: readonly number[],
  options: Omit<ConvOptions, 'dilations'> = {},
  refOptions?: ReferenceOptions,
): DerivativeTensor {
  const fn = `${kind}Pool'`;
  const o = resolveOptions(refOptions);
  const X = readInput(fn, 'x', x, o);
  const { g, batch, c, inPos, outPos } = poolSetup(fn, X, window, options);
  if (kind === 'avg') {
    const d = new TermSums(X.shape);
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < outPos; p++) {
        const taps = g.taps[p]!;
        const w = 2 / taps.length;
        for (let t = 1; t < taps.length; t += 2) for (let ch = 0; ch < c; ch++) d.add((b * inPos + taps[t]!) * c + ch, w);
      }
    }
    return d.build(refOptions);
  }
  const size = X.size;
  const values = new Float64Array(size);
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  const undefinedAt = new Uint8Array(size);
  let ties = false;
  const members: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        let nan = false;
        for (let t = 1; t < taps.length; t += 2) {
          const v = X.data[(b * inPos + taps[t]!) * c + ch]!;
          if (Number.isNaN(v)) nan = true;
          else if (v > m) m = v;
        }
        members.length = 0;
        for (let t = 1; t < taps.length; t += 2) {
          const i = (b * inPos + taps[t]!) * c + ch;
          if (nan) undefinedAt[i] = 1;
          else if (X.data[i] === m) members.push(i);
        }
        if (nan) continue;
        if (members.length === 1) {
          const i = members[0]!;
          values[i]! += 1;
          lower[i]! += 1;
          upper[i]! += 1;
        } else {
          ties = true;
          for (const i of members) {
            values[i]! += 1 / members.length;
            upper[i]! += 1;
          }
        }
      }
    }
  }
  const out = new ExactBuilder(X.shape, size, true);
  for (let i = 0; i < size; i++) {
    if (undefinedAt[i]) out.set(i, NaN, KIND_NAN);
    else out.definitional(i, values[i]!);
    out.magnitude![i] = upper[i]!;
  }
  const t = out.build();
  if (!ties) return t;
  for (let i = 0; i < size; i++) {
    if (lower[i] === upper[i]) {
      lower[i] = NaN;
      upper[i] = NaN;
    }
  }
  return { ...t, lower, upper };
}

// ---------------------------------------------------------------------------------------------
// batch normalization

/** Inputs of batchNorm broadcast to x's shape (mean, variance, offset and scale: [channels] or x's shape). */
function broadcastParams(fn: string, X: Read, params: readonly { name: string; value: RefInput | undefined; fallback: number }[], o: ResolvedOptions) {
  return params.map((p) => {
    if (p.value === undefined) return { data: Float64Array.of(p.fallback), index: new Int32Array(X.size) };
    const r = readInput(fn, p.name, p.value, o);
    return { data: r.data, index: broadcastIndex(r.shape, X.shape) };
  });
}

/**
 * tf.batchNorm(x, mean, variance, offset, scale, varianceEpsilon):
 * offset + (x - mean)·scale / sqrt(variance + varianceEpsilon), with varianceEpsilon the number
 * passed (a double, as tfjs passes it to its kernels). NaN propagates; a variance below
 * -varianceEpsilon gives NaN (sqrt of a negative number).
 */
export function batchNorm(
  x: RefInput,
  mean: RefInput,
  variance: RefInput,
  offset?: RefInput,
  scale?: RefInput,
  varianceEpsilon = 0.001,
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('batchNorm', 'x', x, o);
  const [m, v, off, s] = broadcastParams(
    'batchNorm',
    X,
    [
      { name: 'mean', value: mean, fallback: 0 },
      { name: 'variance', value: variance, fallback: 1 },
      { name: 'offset', value: offset, fallback: 0 },
      { name: 'scale', value: scale, fallback: 1 },
    ],
    o,
  ) as [
    ReturnType<typeof broadcastParams>[0],
    ReturnType<typeof broadcastParams>[0],
    ReturnType<typeof broadcastParams>[0],
    ReturnType<typeof broadcastParams>[0],
  ];
  const out = new ExactBuilder(X.shape, X.size, true);
  for (let i = 0; i < X.size; i++) {
    const xi = X.data[i]!;
    const mi = m.data[m.index[i]!]!;
    const vi = v.data[v.index[i]!]!;
    const oi = off.data[off.index[i]!]!;
    const si = s.data[s.index[i]!]!;
    const plain = oi + ((xi - mi) * si) / Math.sqrt(vi + varianceEpsilon);
    if (!Number.isFinite(plain) || ![xi, mi, vi, oi, si].every(Number.isFinite)) {
      out.definitional(i, plain);
      out.magnitude![i] = Math.abs(plain);
      continue;
    }
    const r = evaluate(
      <T>(A: Arith<T>) => A.add(A.num(oi), A.div(A.mul(A.sub(A.num(xi), A.num(mi)), A.num(si)), A.sqrt(A.add(A.num(vi), A.num(varianceEpsilon))))),
      o,
    );
    out.set(i, r.value, r.kind);
    out.magnitude![i] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
    if (r.slow) out.slow++;
  }
  return out.build();
}

/**
 * d/d(x, mean, variance, offset, scale) of sum(batchNorm(...)): with r = 1/sqrt(variance + eps),
 * d/dx = scale·r, d/dmean = -Σ scale·r, d/dvariance = -Σ (x - mean)·scale·r³/2, d/doffset = Σ 1,
 * d/dscale = Σ (x - mean)·r, each sum over the elements a parameter is broadcast to.
 */
export function batchNormDerivative(
  x: RefInput,
  mean: RefInput,
  variance: RefInput,
  offset: RefInput,
  scale: RefInput,
  varianceEpsilon = 0.001,
  refOptions?: ReferenceOptions,
): { x: ExactTensor; mean: ExactTensor; variance: ExactTensor; offset: ExactTensor; scale: ExactTensor } {
  const o = resolveOptions(refOptions);
  const X = readInput("batchNorm'", 'x', x, o);
  const reads = (['mean', 'variance', 'offset', 'scale'] as const).map((name, k) => readInput("batchNorm'", name, [mean, variance, offset, scale][k], o));
  const [M, V, OFF, S] = reads as [Read, Read, Read, Read];
  const idx = reads.map((r) => broadcastIndex(r.shape, X.shape));
  const dX = new TermSums(X.shape);
  const dM = new TermSums(M.shape);
  const dV = new TermSums(V.shape);
  const dO = new TermSums(OFF.shape);
  const dS = new TermSums(S.shape);
  // A float32 evaluation of a product term whose partial products underflow errs by up to 2^-150
  // times the other factors (gradual underflow): per element, ETA · Σ Π max(1, |factor|).
  const under = [X, M, V, OFF, S].map((r) => new Float64Array(r.size));
  const big = (v: number): number => Math.max(1, Math.abs(v));
  for (let i = 0; i < X.size; i++) {
    const [im, iv, io, is] = [idx[0]![i]!, idx[1]![i]!, idx[2]![i]!, idx[3]![i]!];
    const d = X.data[i]! - M.data[im]!; // float64: exact for operands within 2^29 of each other, else within u
    const r = 1 / Math.sqrt(V.data[iv]! + varianceEpsilon);
    const s = S.data[is]!;
    dX.add(i, s * r);
    dM.add(im, -s * r);
    dV.add(iv, -0.5 * d * s * r * r * r);
    dO.add(io, 1);
    dS.add(is, d * r);
    under[0]![i]! += big(s) * big(r);
    under[1]![im]! += big(s) * big(r);
    under[2]![iv]! += big(d) * big(s) * big(r * r * r);
    under[4]![is]! += big(d) * big(r);
  }
  const [gx, gm, gv, go, gs] = [dX, dM, dV, dO, dS].map((t, k) => {
    const e = t.build(refOptions);
    for (let i = 0; i < e.values.length; i++) e.magnitude![i]! += 4 * ETA * under[k]![i]!;
    return e;
  }) as [ExactTensor, ExactTensor, ExactTensor, ExactTensor, ExactTensor];
  return { x: gx, mean: gm, variance: gv, offset: go, scale: gs };
}

// ---------------------------------------------------------------------------------------------
// local response normalization

/**
 * tf.localResponseNormalization(x, depthRadius, bias, alpha, beta) for x [batch, h, w, channels]:
 * x_c / (bias + alpha·Σ x_k²)^beta, the sum over channels k in [c - depthRadius, c + depthRadius].
 * An infinite x_c gives NaN (Infinity / Infinity); a finite x_c with an infinite neighbour gives 0.
 */
export function lrn(x: RefInput, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5, refOptions?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('localResponseNormalization', 'x', x, o);
  if (X.shape.length !== 4) throw new RangeError(`localResponseNormalization: x must have rank 4; got ${formatShape(X.shape)}`);
  const c = X.shape[3]!;
  const out = new ExactBuilder(X.shape, X.size, true);
  for (let i = 0; i < X.size; i++) {
    const ch = i % c;
    const base = i - ch;
    const lo = base + Math.max(0, ch - depthRadius);
    const hi = base + Math.min(c - 1, ch + depthRadius);
    let plainSum = 0;
    for (let k = lo; k <= hi; k++) plainSum += X.data[k]! * X.data[k]!;
    const xi = X.data[i]!;
    if (!Number.isFinite(plainSum) || !Number.isFinite(xi)) {
      const v = xi * Math.pow(bias + alpha * plainSum, -beta);
      out.definitional(i, v);
      out.magnitude![i] = Math.abs(v);
      continue;
    }
    const r = evaluate(<T>(A: Arith<T>) => {
      let s = A.num(0);
      for (let k = lo; k <= hi; k++) s = A.add(s, A.square(A.num(X.data[k]!)));
      return A.mul(A.num(xi), A.pow(A.add(A.num(bias), A.mul(A.num(alpha), s)), A.num(-beta)));
    }, o);
    out.set(i, r.value, r.kind);
    out.magnitude![i] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
    if (r.slow) out.slow++;
  }
  return out.build();
}

/**
 * d/dx of sum(lrn(x)): with B_j = bias + alpha·S_j,
 * d/dx_i = B_i^-beta - 2·alpha·beta·x_i·Σ_{j: i in window(j)} x_j·B_j^(-beta-1).
 */
export function lrnDerivative(x: RefInput, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5, refOptions?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput("localResponseNormalization'", 'x', x, o);
  const c = X.shape[3]!;
  const B = new Float64Array(X.size);
  for (let j = 0; j < X.size; j++) {
    const ch = j % c;
    const base = j - ch;
    let s = 0;
    for (let k = base + Math.max(0, ch - depthRadius); k <= base + Math.min(c - 1, ch + depthRadius); k++) s += X.data[k]! * X.data[k]!;
    B[j] = bias + alpha * s;
  }
  const d = new TermSums(X.shape);
  for (let i = 0; i < X.size; i++) {
    const ch = i % c;
    const base = i - ch;
    d.add(i, Math.pow(B[i]!, -beta));
    for (let j = base + Math.max(0, ch - depthRadius); j <= base + Math.min(c - 1, ch + depthRadius); j++) {
      d.add(i, -2 * alpha * beta * X.data[i]! * X.data[j]! * Math.pow(B[j]!, -beta - 1));
    }
  }
  return d.build(refOptions);
}

// ---------------------------------------------------------------------------------------------
// resizing

export interface ResizeOptions {
  readonly alignCorners?: boolean;
  readonly halfPixelCenters?: boolean;
}

/**
 * The source coordinate of output index `r` as an exact fraction num/den (TensorFlow's rules:
 * alignCorners maps corner pixels onto each other, halfPixelCenters samples pixel centres).
 */
function sourceFraction(r: number, inSize: number, outSize: number, o: ResizeOptions, bilinear: boolean): { num: number; den: number } {
  const align = o.alignCorners === true && outSize > 1;
  const ein = align ? inSize - 1 : inSize;
  const eout = align ? outSize - 1 : outSize;
  if (o.halfPixelCenters) {
    // ein·(r + 1/2)/eout, minus 1/2 for bilinear
    return bilinear ? { num: ein * (2 * r + 1) - eout, den: 2 * eout } : { num: ein * (2 * r + 1), den: 2 * eout };
  }
  return { num: ein * r, den: eout };
}

/** For one output index along an axis: the two source pixels and the exact weight of the second (wNum / den). */
function bilinearAxis(r: number, inSize: number, outSize: number, o: ResizeOptions): { lo: number; hi: number; wNum: number; den: number } {
  const { num, den } = sourceFraction(r, inSize, outSize, o, true);
  const fl = Math.floor(num / den);
  const lo = Math.max(0, fl);
  const hi = Math.min(inSize - 1, Math.ceil(num / den));
  // the fraction num/den - lo; when lo === hi its weight does not matter
  return { lo, hi, wNum: lo === hi ? 0 : num - lo * den, den };
}

function nearestAxis(r: number, inSize: number, outSize: number, o: ResizeOptions): number {
  const { num, den } = sourceFraction(r, inSize, outSize, o, false);
  // alignCorners rounds (half up, as Math.round and C's roundf do for non-negative values); otherwise floor
  const i = o.alignCorners ? Math.floor((2 * num + den) / (2 * den)) : Math.floor(num / den);
  return Math.max(0, Math.min(inSize - 1, i));
}

function imageShape(fn: string, X: Read): [number, number, number, number] {
  if (X.shape.length !== 4) throw new RangeError(`${fn}: images must be [batch, height, width, channels]; got ${formatShape(X.shape)}`);
  return X.shape as unknown as [number, number, number, number];
}

/**
 * tf.image.resizeBilinear(images, [newHeight, newWidth], alignCorners, halfPixelCenters): each
 * output is the exact weighted sum of its four source pixels (weights are exact fractions); a
 * pixel of weight 0 takes no part (an output on a pixel's own position is that pixel, even next
 * to an infinite one).
 */
export function resizeBilinear(images: RefInput, size: readonly [number, number], options: ResizeOptions = {}, refOptions?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('resizeBilinear', 'images', images, o);
  const [batch, h, w, c] = imageShape('resizeBilinear', X);
  const [nh, nw] = size;
  const out = new ExactBuilder([batch, nh, nw, c], batch * nh * nw * c, true);
  const acc = new ProductSums(out, o);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < nh; r++) {
      const y = bilinearAxis(r, h, nh, options);
      for (let q = 0; q < nw; q++) {
        const x = bilinearAxis(q, w, nw, options);
        for (let ch = 0; ch < c; ch++) {
          const at = (i: number, j: number) => X.data[((b * h + i) * w + j) * c + ch]!;
          const corners = [at(y.lo, x.lo), at(y.lo, x.hi), at(y.hi, x.lo), at(y.hi, x.hi)] as const;
          // integer weights over the common denominator y.den·x.den; a pixel of weight 0 takes no part
          const weights = [(y.den - y.wNum) * (x.den - x.wNum), (y.den - y.wNum) * x.wNum, y.wNum * (x.den - x.wNum), y.wNum * x.wNum];
          for (let k = 0; k < 4; k++) if (weights[k] !== 0) acc.push(corners[k]!, weights[k]!);
          const idx = ((b * nh + r) * nw + q) * c + ch;
          acc.finish(idx, y.den * x.den);
          // the error of a lerp (top + (bottom - top)·frac) scales with the pixels it mixes, whatever their weights
          out.magnitude![idx] =
            2 * (Math.abs(corners[0]) + Math.abs(corners[1]) + Math.abs(corners[2]) + Math.abs(corners[3])) + Math.abs(out.values[idx]!) + 4 * ETA;
        }
      }
    }
  }
  const t = out.build();
  return t;
}

/** d/dimages of sum(resizeBilinear(images, size)): the sum of the weights each pixel receives. */
export function resizeBilinearDerivative(
  images: RefInput,
  size: readonly [number, number],
  options: ResizeOptions = {},
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput("resizeBilinear'", 'images', images, o);
  const [batch, h, w, c] = imageShape("resizeBilinear'", X);
  const [nh, nw] = size;
  const d = new TermSums(X.shape);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < nh; r++) {
      const y = bilinearAxis(r, h, nh, options);
      for (let q = 0; q < nw; q++) {
        const x = bilinearAxis(q, w, nw, options);
        const D = y.den * x.den;
        for (let ch = 0; ch < c; ch++) {
          const at = (i: number, j: number) => ((b * h + i) * w + j) * c + ch;
          d.add(at(y.lo, x.lo), ((y.den - y.wNum) * (x.den - x.wNum)) / D);
          d.add(at(y.lo, x.hi), ((y.den - y.wNum) * x.wNum) / D);
          d.add(at(y.hi, x.lo), (y.wNum * (x.den - x.wNum)) / D);
          d.add(at(y.hi, x.hi), (y.wNum * x.wNum) / D);
        }
      }
    }
  }
  return d.build(refOptions);
}

/** For each output element of tf.image.resizeNearestNeighbor, the flat index of its source pixel. */
export function resizeNearestIndex(shape: readonly number[], size: readonly [number, number], options: ResizeOptions = {}): Int32Array {
  const [batch, h, w, c] = shape as [number, number, number, number];
  const [nh, nw] = size;
  const map = new Int32Array(batch * nh * nw * c);
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < nh; r++) {
      const i = nearestAxis(r, h, nh, options);
      for (let q = 0; q < nw; q++) {
        const j = nearestAxis(q, w, nw, options);
        for (let ch = 0; ch < c; ch++) map[k++] = ((b * h + i) * w + j) * c + ch;
      }
    }
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// compositions users write

/** The epsilon users add to the variance in a hand-written layer norm, as the float32 tensor holds it. */
export const LAYER_NORM_EPSILON = Math.fround(1e-5);

/**
 * Layer normalization over the last axis, as users write it with tf.moments:
 * (x - mean) / sqrt(variance + eps) * gamma + beta, gamma and beta of shape [n]. Exact: the
 * mean and (population) variance are those of the real numbers, eps is the float32 value the
 * program adds. A row with NaN or ±Infinity is NaN (Infinity - Infinity in the variance).
 */
export function layerNorm(x: RefInput, gamma: RefInput, beta: RefInput, eps = LAYER_NORM_EPSILON, refOptions?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('layerNorm', 'x', x, o);
  const G = readInput('layerNorm', 'gamma', gamma, o);
  const Bt = readInput('layerNorm', 'beta', beta, o);
  const n = X.shape[X.shape.length - 1] ?? 1;
  if (G.size !== n || Bt.size !== n) throw new RangeError(`layerNorm: gamma and beta must have ${n} elements (x ${formatShape(X.shape)})`);
  const out = new ExactBuilder(X.shape, X.size, true);
  for (let r = 0; r * n < X.size; r++) {
    const row = X.data.subarray(r * n, r * n + n);
    const finiteRow = row.every(Number.isFinite);
    for (let j = 0; j < n; j++) {
      const i = r * n + j;
      const g = G.data[j]!;
      const b = Bt.data[j]!;
      if (!finiteRow || !Number.isFinite(g) || !Number.isFinite(b)) {
        let mu = 0;
        for (const v of row) mu += v / n;
        let s2 = 0;
        for (const v of row) s2 += ((v - mu) * (v - mu)) / n;
        const v = ((row[j]! - mu) / Math.sqrt(s2 + eps)) * g + b;
        out.definitional(i, finiteRow ? v : NaN);
        out.magnitude![i] = Math.abs(out.values[i]!);
        continue;
      }
      const e = evaluate(<T>(A: Arith<T>) => {
        let s = A.num(0);
        for (const v of row) s = A.add(s, A.num(v));
        const mu = A.div(s, A.num(n));
        let ss = A.num(0);
        for (const v of row) ss = A.add(ss, A.square(A.sub(A.num(v), mu)));
        const sd = A.sqrt(A.add(A.div(ss, A.num(n)), A.num(eps)));
        return A.add(A.mul(A.div(A.sub(A.num(row[j]!), mu), sd), A.num(g)), A.num(b));
      }, o);
      out.set(i, e.value, e.kind);
      out.magnitude![i] = Number.isNaN(e.magnitude) ? Math.abs(e.value) : e.magnitude;
      if (e.slow) out.slow++;
    }
  }
  return out.build();
}

/**
 * d/d(x, gamma, beta) of sum(layerNorm(x, gamma, beta)): with d = x - mean and s = sqrt(variance + eps)
 * of each row, d/dx_i = gamma_i/s - Σ_j gamma_j/(n·s) - d_i·Σ_j gamma_j·d_j/(n·s³), d/dgamma_j = Σ_rows d_j/s,
 * d/dbeta_j = the number of rows. Each is settled as an exact sum of its float64 terms (accumulation
 * marked): the terms cancel exactly when gamma is constant, and float32 backward passes leave
 * rounding noise there. Rows with NaN or ±Infinity have no derivative (kind nan).
 */
export function layerNormDerivative(
  x: RefInput,
  gamma: RefInput,
  beta: RefInput,
  eps = LAYER_NORM_EPSILON,
  refOptions?: ReferenceOptions,
): { x: ExactTensor; gamma: ExactTensor; beta: ExactTensor } {
  const o = resolveOptions(refOptions);
  const X = readInput("layerNorm'", 'x', x, o);
  const G = readInput("layerNorm'", 'gamma', gamma, o);
  const Bt = readInput("layerNorm'", 'beta', beta, o);
  const n = X.shape[X.shape.length - 1] ?? 1;
  const dX = new TermSums(X.shape);
  const dG = new TermSums(G.shape);
  const dB = new TermSums(Bt.shape);
  const nan = new Uint8Array(X.size);
  // gradual underflow: a float32 backward pass whose partial products fall below 2^-126 errs by
  // 2^-150 times the factors applied after them; per element, ETA · Σ over terms of Π max(1, |factor|)
  const underX = new Float64Array(X.size);
  const underG = new Float64Array(G.size);
  const sens = new Float64Array(X.size);
  const sensG = new Float64Array(G.size);
  const big = (v: number): number => Math.max(1, Math.abs(v));
  for (let r = 0; r * n < X.size; r++) {
    const row = X.data.subarray(r * n, r * n + n);
    if (!row.every(Number.isFinite)) {
      nan.fill(1, r * n, r * n + n);
      continue;
    }
    const mu = red.mean(row, null, false, { ...refOptions, inputs: 'float64' }).values[0]!;
    const variance = red.moments(row, null, false, { ...refOptions, inputs: 'float64' }).variance.values[0]!;
    const sd = Math.sqrt(variance + eps);
    const inv = big(1 / sd);
    const d = Float64Array.from(row, (v) => v - mu);
    // first-order sensitivity of a float32 backward pass (in units of 2^-24): the mean's error
    // carries into every x - mean (A + |x|), the variance's into s (relS, relative)
    let A = Math.abs(mu);
    let relS = 1;
    let gd = 0;
    let gsum = 0;
    for (let k = 0; k < n; k++) {
      A += Math.abs(row[k]!) / n;
      relS += (Math.abs(d[k]!) * (Math.abs(row[k]!) + Math.abs(mu))) / (n * sd * sd);
      gd += Math.abs(G.data[k]! * d[k]!);
      gsum += Math.abs(G.data[k]!);
    }
    for (let j = 0; j < n; j++) {
      const i = r * n + j;
      const ej = A + Math.abs(row[j]!);
      dX.add(i, G.data[j]! / sd);
      underX[i]! += big(G.data[j]!) * inv;
      sens[i]! +=
        (Math.abs(G.data[j]!) / sd + gsum / (n * sd)) * relS + (ej * (gd + Math.abs(d[j]!) * gsum) + 3 * relS * gd * Math.abs(d[j]!)) / (n * sd * sd * sd);
      for (let k = 0; k < n; k++) {
        dX.add(i, -G.data[k]! / (n * sd));
        dX.add(i, -(d[j]! * G.data[k]! * d[k]!) / (n * sd * sd * sd));
        underX[i]! += big(G.data[k]!) * inv * (1 + big(d[j]!) * big(d[k]!) * inv * inv);
      }
      dG.add(j, d[j]! / sd);
      underG[j]! += big(d[j]!) * inv + big(mu) * inv;
      sensG[j]! += (ej + Math.abs(d[j]!) * relS) / sd;
      dB.add(j, 1);
    }
  }
  const gx = dX.build(refOptions);
  for (let i = 0; i < X.size; i++) {
    if (nan[i]) gx.kinds[i] = KIND_NAN;
    gx.magnitude![i]! += 4 * ETA * underX[i]! + sens[i]!;
  }
  const gg = dG.build(refOptions);
  for (let j = 0; j < G.size; j++) gg.magnitude![j]! += 4 * ETA * underG[j]! + sensG[j]!;
  return { x: gx, gamma: gg, beta: dB.build(refOptions) };
}

/** How a masked-softmax composition masks its logits. */
export type MaskKind = 'where -Infinity' | 'add -1e9';

/**
 * The logits after masking (mask 1 keeps, 0 masks), as the float32 ops compute them:
 * tf.where(mask, logits, -Infinity), or logits + (1 - mask)·(-1e9) rounded to float32.
 */
export function maskLogits(logits: RefInput, mask: RefInput, kind: MaskKind, refOptions?: ReferenceOptions): Read {
  const o = resolveOptions(refOptions);
  const L = readInput('maskedSoftmax', 'logits', logits, o);
  const M = readInput('maskedSoftmax', 'mask', mask, o);
  if (M.size !== L.size) throw new RangeError(`maskedSoftmax: the mask ${formatShape(M.shape)} must have the logits' shape ${formatShape(L.shape)}`);
  const data = Float64Array.from(L.data, (v, i) => (M.data[i] ? v : kind === 'where -Infinity' ? -Infinity : Math.fround(v - 1e9)));
  return { shape: L.shape, size: L.size, data };
}

/** softmax (or logSoftmax) over the last axis of the masked logits. */
export function maskedSoftmax(logits: RefInput, mask: RefInput, kind: MaskKind, log = false, refOptions?: ReferenceOptions): ExactTensor {
  const masked = maskLogits(logits, mask, kind, refOptions);
  const t = { shape: masked.shape, data: masked.data };
  const opts = { ...refOptions, inputs: 'float64' as const };
  return log ? logSoftmax(t, -1, opts) : softmax(t, -1, opts);
}

/**
 * d/dlogits of sum(maskedSoftmax): 0 for softmax (rows sum to 1), 1 - n·softmax for logSoftmax;
 * a where-masked logit gets 0 (its gradient goes to the -Infinity fill), an add-masked one the
 * derivative at its masked value; rows whose softmax is NaN (all -Infinity) have none.
 */
export function maskedSoftmaxDerivative(logits: RefInput, mask: RefInput, kind: MaskKind, log = false, refOptions?: ReferenceOptions): ExactTensor {
  const masked = maskLogits(logits, mask, kind, refOptions);
  const t = { shape: masked.shape, data: masked.data };
  const opts = { ...refOptions, inputs: 'float64' as const };
  const d = (log ? logSoftmaxDerivative(t, opts) : softmaxDerivative(t, opts)).logits!;
  if (kind !== 'where -Infinity') return d;
  const o = resolveOptions(refOptions);
  const M = readInput('maskedSoftmax', 'mask', mask, o);
  const n = masked.shape[masked.shape.length - 1] ?? 1;
  const out = new ExactBuilder(d.shape, d.values.length, true);
  for (let i = 0; i < d.values.length; i++) {
    const rowNaN = masked.data.subarray(i - (i % n), i - (i % n) + n).every((v) => v === -Infinity);
    if (rowNaN) out.set(i, NaN, KIND_NAN);
    else if (!M.data[i]) out.definitional(i, 0);
    else out.set(i, d.values[i]!, d.kinds[i]!);
    out.magnitude![i] = d.magnitude?.[i] ?? Math.abs(d.values[i]!) + ETA;
  }
  return out.build();
}

// ---------------------------------------------------------------------------------------------
// morphology and pooling with positions

export interface Dilation2DOptions {
  readonly strides?: number | readonly number[];
  readonly padding?: 'valid' | 'same';
  readonly dilations?: number | readonly number[];
}

function dilationSetup(fn: string, X: Read, F: Read, options: Dilation2DOptions) {
  if (X.shape.length !== 4 || F.shape.length !== 3 || F.shape[2] !== X.shape[3]) {
    throw new RangeError(`${fn}: x ${formatShape(X.shape)} must be [batch, h, w, c] and the filter ${formatShape(F.shape)} [fh, fw, c]`);
  }
  const g = convGeometry(fn, X.shape.slice(1, 3), F.shape.slice(0, 2), options);
  return { g, batch: X.shape[0]!, c: X.shape[3]!, inPos: sizeOfShape(g.inSpatial), outPos: sizeOfShape(g.outSpatial) };
}

/**
 * tf.dilation2d(x, filter, strides, pad, dilations): grayscale morphological dilation, each output
 * the largest x + filter over its window (taps in the padding take no part, as TensorFlow defines
 * it). The largest of the exact sums is rounded once, which is what a float32 evaluation gives
 * (rounding is monotone): an exact answer. NaN propagates (a window holding NaN, or
 * Infinity + -Infinity, has no maximum), as max does; a window of -Infinity gives -Infinity.
 */
export function dilation2d(x: RefInput, filter: RefInput, options: Dilation2DOptions = {}, refOptions?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('dilation2d', 'x', x, o);
  const F = readInput('dilation2d', 'filter', filter, o);
  const { g, batch, c, inPos, outPos } = dilationSetup('dilation2d', X, F, options);
  const out = new ExactBuilder([batch, ...g.outSpatial, c], batch * outPos * c, true);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        for (let t = 0; t < taps.length; t += 2) {
          // float32 + float32 in float64: exact, or within float64's rounding where the exponents are
          // far apart, which never moves its float32 rounding (see the module comment of exact.ts)
          const s = X.data[(b * inPos + taps[t + 1]!) * c + ch]! + F.data[taps[t]! * c + ch]!;
          m = Number.isNaN(s) || Number.isNaN(m) ? NaN : Math.max(m, s);
        }
        const idx = (b * outPos + p) * c + ch;
        out.definitional(idx, m);
        out.magnitude![idx] = Math.abs(m);
      }
    }
  }
  return out.build();
}

/**
 * d/dx and d/dfilter of sum(dilation2d(x, filter)): each window gives 1 to the x element and the
 * filter tap of its maximum. Where taps tie for the maximum — as float32 sums: two exact sums
 * that round to the same float32 are a tie for a float32 kernel — the derivative is set-valued
 * (any split of the 1 among them; `lower`/`upper`, as for max pooling). A window whose maximum
 * is NaN makes its elements' derivative undefined.
 */
export function dilation2dDerivative(
  x: RefInput,
  filter: RefInput,
  options: Dilation2DOptions = {},
  refOptions?: ReferenceOptions,
): { x: DerivativeTensor; filter: DerivativeTensor } {
  const o = resolveOptions(refOptions);
  const X = readInput("dilation2d'", 'x', x, o);
  const F = readInput("dilation2d'", 'filter', filter, o);
  const { g, batch, c, inPos, outPos } = dilationSetup("dilation2d'", X, F, options);
  const acc = (size: number) => ({
    values: new Float64Array(size),
    lower: new Float64Array(size),
    upper: new Float64Array(size),
    nan: new Uint8Array(size),
  });
  const dx = acc(X.size);
  const df = acc(F.size);
  let ties = false;
  const members: [number, number][] = [];
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        let nan = false;
        for (let t = 0; t < taps.length; t += 2) {
          const s = Math.fround(X.data[(b * inPos + taps[t + 1]!) * c + ch]! + F.data[taps[t]! * c + ch]!);
          if (Number.isNaN(s)) nan = true;
          else if (s > m) m = s;
        }
        members.length = 0;
        for (let t = 0; t < taps.length; t += 2) {
          const xi = (b * inPos + taps[t + 1]!) * c + ch;
          const fi = taps[t]! * c + ch;
          if (nan) {
            dx.nan[xi] = 1;
            df.nan[fi] = 1;
          } else if (Math.fround(X.data[xi]! + F.data[fi]!) === m) members.push([xi, fi]);
        }
        if (nan) continue;
        const share = 1 / members.length;
        if (members.length > 1) ties = true;
        for (const [xi, fi] of members) {
          for (const [d, i] of [
            [dx, xi],
            [df, fi],
          ] as const) {
            d.values[i]! += share;
            d.upper[i]! += 1;
            if (members.length === 1) d.lower[i]! += 1;
          }
        }
      }
    }
  }
  const build = (d: ReturnType<typeof acc>, shape: readonly number[]): DerivativeTensor => {
    const out = new ExactBuilder(shape, d.values.length, true);
    for (let i = 0; i < d.values.length; i++) {
      if (d.nan[i]) out.set(i, NaN, KIND_NAN);
      else out.definitional(i, d.values[i]!);
      out.magnitude![i] = d.upper[i]!;
    }
    const t = out.build();
    if (!ties) return t;
    const lower = Float64Array.from(d.lower, (v, i) => (v === d.upper[i] ? NaN : v));
    const upper = Float64Array.from(d.upper, (v, i) => (v === d.lower[i] ? NaN : v));
    return { ...t, lower, upper };
  };
  return { x: build(dx, X.shape), filter: build(df, F.shape) };
}

/**
 * tf.maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex): the max pool and, for
 * each window, the flat index of its maximum — (y·width + x)·channels + c, plus
 * batch·height·width·channels with includeBatchInIndex — the first in scan order where several
 * elements tie (tfjs's and TensorFlow's order). NaN has no order: windows holding NaN are not
 * given a position here (the entries exclude NaN; max pooling's NaN is judged by maxPool).
 */
export function maxPoolWithArgmax(
  x: RefInput,
  window: readonly [number, number],
  options: Omit<ConvOptions, 'dilations'> = {},
  includeBatchInIndex = false,
  refOptions?: ReferenceOptions,
): [ExactTensor, ExactTensor] {
  const o = resolveOptions(refOptions);
  const X = readInput('maxPoolWithArgmax', 'x', x, o);
  const values = pool(X, 'max', window, options, refOptions);
  const { g, batch, c, inPos, outPos } = poolSetup('maxPoolWithArgmax', X, window, options);
  const out = new ExactBuilder([batch, ...g.outSpatial, c], batch * outPos * c);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < outPos; p++) {
      const taps = g.taps[p]!;
      for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        let at = -1;
        let nan = false;
        for (let t = 1; t < taps.length; t += 2) {
          const v = X.data[(b * inPos + taps[t]!) * c + ch]!;
          if (Number.isNaN(v)) nan = true;
          else if (at < 0 || v > m) {
            m = v;
            at = taps[t]!;
          }
        }
        const idx = (b * outPos + p) * c + ch;
        if (nan) out.set(idx, NaN, KIND_NAN);
        else out.definitional(idx, (includeBatchInIndex ? b * inPos : 0) * c + at * c + ch);
      }
    }
  }
  return [values, out.build()];
}
