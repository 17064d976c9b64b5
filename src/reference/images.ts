/**
 * Exact references for tf.image's sampling ops: flipLeftRight, cropAndResize (bilinear and
 * nearest), rotateWithOffset and transform (projective, bilinear or nearest).
 *
 * Each output is a copy of one input pixel, the fill (extrapolation) value, or — bilinear — the
 * exact weighted sum of up to four pixels (linalg.ts's ProductSums; a pixel of weight 0 takes no
 * part, as for resizeBilinear). What is sampled is decided on exact coordinates:
 *
 * - cropAndResize's sampling coordinates are rationals of the float32 box corners, computed
 *   exactly with BigInt (the crop edge test, floor/ceil and nearest rounding are exact);
 * - transform's are (a0·x + a1·y + a2) / (c0·x + c1·y + 1): numerator and denominator exactly,
 *   the quotient rounded once (exact for the dyadic coefficients the catalog generates);
 * - rotateWithOffset's involve sin and cos of the angle, irrational for every angle but 0: the
 *   float64 coordinate decides the nearest pixel when it lies farther than {@link ROTATE_MARGIN}
 *   (1e-5) from a rounding tie, and {@link rotateAmbiguous} tells the inputs where it does not (the
 *   catalog does not generate them).
 *
 * Geometry follows TensorFlow (tfjs copies its kernels): NHWC images, boxes [y1, x1, y2, x2] in
 * normalized coordinates, TensorFlow's rounding (half away from zero: half up for the
 * non-negative coordinates that sample pixels).
 */
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { formatShape, readInput, type Read, type RefInput } from './input.ts';
import { ProductSums } from './linalg.ts';
import { resolveOptions, type ReferenceOptions } from './options.ts';
import { ETA } from './arith.ts';
import { commonScale, scaled } from './rational.ts';

function imageShape(fn: string, X: Read): [number, number, number, number] {
  if (X.shape.length !== 4) throw new RangeError(`${fn}: images must be [batch, height, width, channels]; got ${formatShape(X.shape)}`);
  return X.shape as unknown as [number, number, number, number];
}

/** For each output element of tf.image.flipLeftRight, the flat index of the pixel it copies. */
export function flipLeftRightIndex(shape: readonly number[]): Int32Array {
  const [batch, h, w, c] = shape as [number, number, number, number];
  const map = new Int32Array(batch * h * w * c);
  let k = 0;
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) for (let ch = 0; ch < c; ch++) map[k++] = ((b * h + r) * w + (w - 1 - q)) * c + ch;
  return map;
}

/** An exact rational num / den (den > 0). */
interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

/**
 * The sampling coordinate of crop index `i` along one axis (TensorFlow's crop_and_resize):
 * v1·(n - 1) + i·(v2 - v1)·(n - 1)/(crop - 1), or (v1 + v2)·(n - 1)/2 for a crop of 1, exactly.
 */
function cropCoordinate(v1: number, v2: number, n: number, crop: number, i: number): Ratio {
  const s = commonScale([v1, v2]);
  const a = scaled(v1, s);
  const b = scaled(v2, s);
  const N = BigInt(n - 1);
  const unit = 1n << BigInt(s);
  if (crop > 1) {
    const C = BigInt(crop - 1);
    return { num: a * N * C + BigInt(i) * (b - a) * N, den: C * unit };
  }
  return { num: (a + b) * N, den: 2n * unit };
}

export type CropMethod = 'bilinear' | 'nearest';

/**
 * tf.image.cropAndResize(image, boxes, boxInd, [cropHeight, cropWidth], method,
 * extrapolationValue): for each box, a crop sampled at exact coordinates; a row or column whose
 * coordinate falls outside [0, size - 1] is the extrapolation value. Bilinear: the exact weighted
 * sum of the (up to four) pixels around the coordinate; nearest: the pixel at the coordinate
 * rounded half up.
 */
export function cropAndResize(
  image: RefInput,
  boxes: RefInput,
  boxInd: RefInput,
  cropSize: readonly [number, number],
  method: CropMethod = 'bilinear',
  extrapolationValue = 0,
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('cropAndResize', 'image', image, o);
  const B = readInput('cropAndResize', 'boxes', boxes, o);
  const I = readInput('cropAndResize', 'boxInd', boxInd, o);
  const [batch, h, w, c] = imageShape('cropAndResize', X);
  const n = B.shape[0] ?? 0;
  const [ch, cw] = cropSize;
  const out = new ExactBuilder([n, ch, cw, c], n * ch * cw * c, true);
  const acc = new ProductSums(out, o);
  const at = (bi: number, i: number, j: number, k: number) => X.data[((bi * h + i) * w + j) * c + k]!;
  for (let q = 0; q < n; q++) {
    const [y1, x1, y2, x2] = [B.data[4 * q]!, B.data[4 * q + 1]!, B.data[4 * q + 2]!, B.data[4 * q + 3]!];
    const bi = I.data[q]!;
    if (!(bi >= 0 && bi < batch)) throw new RangeError(`cropAndResize: box ${q} names image ${bi}, outside [0, ${batch})`);
    for (let y = 0; y < ch; y++) {
      const ry = cropCoordinate(y1, y2, h, ch, y);
      const yOut = ry.num < 0n || ry.num > BigInt(h - 1) * ry.den;
      for (let x = 0; x < cw; x++) {
        const rx = cropCoordinate(x1, x2, w, cw, x);
        const xOut = rx.num < 0n || rx.num > BigInt(w - 1) * rx.den;
        for (let k = 0; k < c; k++) {
          const idx = ((q * ch + y) * cw + x) * c + k;
          if (yOut || xOut) {
            out.definitional(idx, extrapolationValue);
            out.magnitude![idx] = Math.abs(extrapolationValue);
            continue;
          }
          if (method === 'nearest') {
            const yi = Number(floorDiv(2n * ry.num + ry.den, 2n * ry.den));
            const xi = Number(floorDiv(2n * rx.num + rx.den, 2n * rx.den));
            const v = at(bi, yi, xi, k);
            out.definitional(idx, v);
            out.magnitude![idx] = Math.abs(v);
            continue;
          }
          const top = Number(floorDiv(ry.num, ry.den));
          const left = Number(floorDiv(rx.num, rx.den));
          // the fractions, exact as rationals; as float64 weights they carry at most float64's rounding
          const fyNum = ry.num - BigInt(top) * ry.den;
          const fxNum = rx.num - BigInt(left) * rx.den;
          const fy = Number(fyNum) / Number(ry.den);
          const fx = Number(fxNum) / Number(rx.den);
          const corners: [number, number][] = [];
          const weigh = (i: number, j: number, wy: number, wx: number, zero: boolean) => {
            if (!zero) corners.push([at(bi, i, j, k), wy * wx]);
          };
          weigh(top, left, 1 - fy, 1 - fx, false);
          weigh(top, left + 1, 1 - fy, fx, fxNum === 0n);
          weigh(top + 1, left, fy, 1 - fx, fyNum === 0n);
          weigh(top + 1, left + 1, fy, fx, fxNum === 0n || fyNum === 0n);
          let mag = 0;
          for (const [v, wt] of corners) {
            acc.push(v, wt);
            mag += Math.abs(v);
          }
          acc.finish(idx);
          // the lerps top + (bottom - top)·frac err with the pixels they mix, whatever their weights
          out.magnitude![idx] = 2 * mag + Math.abs(out.values[idx]!) + 4 * ETA;
        }
      }
    }
  }
  return out.build();
}

/**
 * How far (in pixels) a rotated coordinate must lie from a rounding tie for its nearest pixel to
 * be decided by the rotation rather than by the rounding of the coordinate: backends evaluate it
 * in float32 (the wasm backend), whose error on coordinates of a few pixels is about 1e-6.
 */
export const ROTATE_MARGIN = 1e-5;

/** The image centre of tf.image.rotateWithOffset: a fraction of the width and height (one number for both). */
function rotateCenter(center: number | readonly [number, number], h: number, w: number): [number, number] {
  return typeof center === 'number' ? [w * center, h * center] : [w * center[0], h * center[1]];
}

/** The rotated source coordinates of output pixel (row, col), unrounded (float64 evaluation of the exact rotation). */
function rotated(row: number, col: number, cx: number, cy: number, sin: number, cos: number): [number, number] {
  const dx = col - cx;
  const dy = row - cy;
  return [dx * cos - dy * sin + cx, dx * sin + dy * cos + cy];
}

const nearTie = (v: number): boolean => Math.abs(v - Math.floor(v) - 0.5) < ROTATE_MARGIN;

/**
 * True when some output pixel of rotateWithOffset lies within {@link ROTATE_MARGIN} of a rounding
 * tie: its nearest pixel is decided by the rounding of the coordinate, not by the rotation.
 */
export function rotateAmbiguous(shape: readonly number[], radians: number, center: number | readonly [number, number] = 0.5): boolean {
  const [, h, w] = shape as [number, number, number, number];
  const [cx, cy] = rotateCenter(center, h, w);
  const sin = Math.sin(radians);
  const cos = Math.cos(radians);
  if (radians === 0) return false;
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      const [x, y] = rotated(r, q, cx, cy, sin, cos);
      if (nearTie(x) || nearTie(y)) return true;
    }
  }
  return false;
}

/**
 * tf.image.rotateWithOffset(image, radians, fillValue, center): output pixel (row, col) copies the
 * input pixel nearest to its rotation by `radians` about the centre (center·[width, height]):
 * x' = (col - cx)·cos - (row - cy)·sin + cx, y' = (col - cx)·sin + (row - cy)·cos + cy, rounded to
 * the nearest pixel; outside the image it is fillValue. Throws on inputs {@link rotateAmbiguous}
 * calls ambiguous.
 */
export function rotateWithOffset(
  image: RefInput,
  radians: number,
  fillValue = 0,
  center: number | readonly [number, number] = 0.5,
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('rotateWithOffset', 'image', image, o);
  const [batch, h, w, c] = imageShape('rotateWithOffset', X);
  if (rotateAmbiguous(X.shape, radians, center)) {
    throw new RangeError(`rotateWithOffset: a rotated coordinate lies within ${ROTATE_MARGIN} of a rounding tie; its nearest pixel is not decided`);
  }
  const [cx, cy] = rotateCenter(center, h, w);
  const sin = radians === 0 ? 0 : Math.sin(radians);
  const cos = radians === 0 ? 1 : Math.cos(radians);
  const out = new ExactBuilder(X.shape, X.size);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const [x, y] = rotated(r, q, cx, cy, sin, cos);
        const xi = Math.floor(x + 0.5);
        const yi = Math.floor(y + 0.5);
        const inside = xi >= 0 && xi < w && yi >= 0 && yi < h;
        for (let k = 0; k < c; k++) out.definitional(((b * h + r) * w + q) * c + k, inside ? X.data[((b * h + yi) * w + xi) * c + k]! : fillValue);
      }
    }
  }
  return out.build();
}

export type TransformInterpolation = 'bilinear' | 'nearest';
export type TransformFill = 'constant' | 'nearest';

/** A coordinate as TensorFlow's fill modes map it: unchanged (constant) or clamped to [0, n - 1] (nearest). */
function mapCoordinate(v: number, n: number, mode: TransformFill): number {
  return mode === 'nearest' ? Math.min(Math.max(v, 0), n - 1) : v;
}

/**
 * tf.image.transform(images, transforms, interpolation, fillMode, fillValue): output pixel (x, y)
 * of image b samples the input at ((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k) with
 * k = c0·x + c1·y + 1 (transforms[b] = [a0, a1, a2, b0, b1, b2, c0, c1]); k = 0 gives fillValue.
 * Fill modes 'constant' (pixels outside the image read fillValue) and 'nearest' (the coordinate
 * is clamped to the image). Bilinear: the exact weighted sum of the four pixels around the
 * coordinate (a pixel of weight 0 takes no part); nearest: the pixel at the coordinate rounded
 * half up. The quotient is rounded once from exact numerator and denominator (exact for short
 * dyadic coefficients).
 */
export function transform(
  images: RefInput,
  transforms: RefInput,
  interpolation: TransformInterpolation,
  fillMode: TransformFill,
  fillValue = 0,
  refOptions?: ReferenceOptions,
): ExactTensor {
  const o = resolveOptions(refOptions);
  const X = readInput('transform', 'images', images, o);
  const T = readInput('transform', 'transforms', transforms, o);
  const [batch, h, w, c] = imageShape('transform', X);
  if (T.shape.length !== 2 || T.shape[1] !== 8 || (T.shape[0] !== 1 && T.shape[0] !== batch)) {
    throw new RangeError(`transform: transforms must be [1, 8] or [${batch}, 8]; got ${formatShape(T.shape)}`);
  }
  const out = new ExactBuilder(X.shape, X.size, true);
  const acc = new ProductSums(out, o);
  const read = (b: number, i: number, j: number, k: number): number =>
    i >= 0 && i < h && j >= 0 && j < w ? X.data[((b * h + i) * w + j) * c + k]! : fillValue;
  // a0·x + a1·y + a2 exactly (products of float32 coefficients and small integers, summed once)
  const affine = (p: number, q: number, r: number, x: number, y: number): number => p * x + q * y + r;
  for (let b = 0; b < batch; b++) {
    const t = T.shape[0] === 1 ? 0 : b;
    const m = Array.from({ length: 8 }, (_, i) => T.data[t * 8 + i]!);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = affine(m[6]!, m[7]!, 1, x, y);
        const inX = mapCoordinate(affine(m[0]!, m[1]!, m[2]!, x, y) / k, w, fillMode);
        const inY = mapCoordinate(affine(m[3]!, m[4]!, m[5]!, x, y) / k, h, fillMode);
        for (let ch = 0; ch < c; ch++) {
          const idx = ((b * h + y) * w + x) * c + ch;
          if (k === 0 || !Number.isFinite(inX) || !Number.isFinite(inY)) {
            out.definitional(idx, fillValue);
            out.magnitude![idx] = Math.abs(fillValue);
            continue;
          }
          if (interpolation === 'nearest') {
            const v = read(b, Math.floor(inY + 0.5), Math.floor(inX + 0.5), ch);
            out.definitional(idx, v);
            out.magnitude![idx] = Math.abs(v);
            continue;
          }
          const yf = Math.floor(inY);
          const xf = Math.floor(inX);
          const fy = inY - yf;
          const fx = inX - xf;
          let mag = 0;
          const push = (i: number, j: number, wt: number): void => {
            if (wt === 0) return;
            const v = read(b, i, j, ch);
            acc.push(v, wt);
            mag += Math.abs(v);
          };
          push(yf, xf, (1 - fy) * (1 - fx));
          push(yf, xf + 1, (1 - fy) * fx);
          push(yf + 1, xf, fy * (1 - fx));
          push(yf + 1, xf + 1, fy * fx);
          acc.finish(idx);
          out.magnitude![idx] = 2 * mag + Math.abs(out.values[idx]!) + 4 * ETA;
        }
      }
    }
  }
  return out.build();
}
