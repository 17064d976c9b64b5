/**
 * Exact references for shape ops: slice, gather, concat, stack, unstack, split, pad, mirrorPad,
 * tile, transpose, reverse, reshape, squeeze, expandDims, batchToSpaceND, spaceToBatchND,
 * depthToSpace, oneHot, scatterND, tensorScatterUpdate, resizeNearestNeighbor.
 *
 * Most of them only move elements: each output element is one input element, or a constant
 * (padding). An {@link IndexMap} says which — for each output element the flat index into the
 * inputs laid end to end, or -1 for the constant — and {@link gatherMap} turns it into the exact
 * answer (a copy: NaN, ±Infinity, -0 and subnormals included). The derivative of the sum of the
 * outputs with respect to an input element is the number of output elements that copy it
 * ({@link mapDerivative}): an exact count, 0 for elements nothing copies.
 *
 * The maps are computed here from the ops' definitions (TensorFlow's documentation), never by
 * running tfjs.
 */
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { formatShape, readInput, sizeOfShape, type Read, type RefInput } from './input.ts';
import { TermSums } from './linalg.ts';
import { resolveOptions, type ReferenceOptions } from './options.ts';

/** Output shape and, for each output element, the flat index into the inputs laid end to end (-1: the constant). */
export interface IndexMap {
  readonly shape: readonly number[];
  readonly map: Int32Array;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Visit every coordinate of `shape` in row-major order (`coords` is reused: copy it to keep it). */
export function forEachCoord(shape: readonly number[], f: (coords: readonly number[], flat: number) => void): void {
  const n = sizeOfShape(shape);
  const c = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(c, flat);
    for (let a = shape.length - 1; a >= 0; a--) {
      c[a]!++;
      if (c[a]! < shape[a]!) break;
      c[a] = 0;
    }
  }
}

/** Build a map from a function of the output coordinates (returning a flat input index or -1). */
export function mapOf(shape: readonly number[], source: (coords: readonly number[]) => number): IndexMap {
  const map = new Int32Array(sizeOfShape(shape));
  forEachCoord(shape, (c, flat) => {
    map[flat] = source(c);
  });
  return { shape: [...shape], map };
}

/** The exact output of a map over the inputs' data (laid end to end). */
export function gatherMap(inputs: readonly ArrayLike<number>[], m: IndexMap, constant = 0): ExactTensor {
  const all: number[] = [];
  for (const d of inputs) for (let i = 0; i < d.length; i++) all.push(d[i]!);
  const out = new ExactBuilder(m.shape, m.map.length);
  for (let i = 0; i < m.map.length; i++) {
    const j = m.map[i]!;
    out.definitional(i, j < 0 ? constant : all[j]!);
  }
  return out.build();
}

/** d(sum of outputs)/d(input element): how many output elements copy it, per input (shapes given). */
export function mapDerivative(inputShapes: readonly (readonly number[])[], m: IndexMap): ExactTensor[] {
  const sizes = inputShapes.map(sizeOfShape);
  const counts = new Float64Array(sizes.reduce((a, b) => a + b, 0));
  for (const j of m.map) if (j >= 0) counts[j]!++;
  let start = 0;
  return inputShapes.map((shape, k) => {
    const out = new ExactBuilder(shape, sizes[k]!);
    for (let i = 0; i < sizes[k]!; i++) {
      const c = counts[start + i]!;
      out.definitional(i, c);
      // a sum of c ones
      out.accumulation(i, c, c);
    }
    start += sizes[k]!;
    return out.build();
  });
}

function axisOf(fn: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new RangeError(`${fn}: axis ${axis} is outside [${-rank}, ${rank})`);
  return axis < 0 ? axis + rank : axis;
}

// ---------------------------------------------------------------------------------------------
// the maps

/** tf.slice(x, begin, size): size -1 means "to the end". */
export function sliceMap(shape: readonly number[], begin: readonly number[], size: readonly number[]): IndexMap {
  const st = strides(shape);
  const out = shape.map((d, a) => (size[a] === undefined || size[a] === -1 ? d - (begin[a] ?? 0) : size[a]!));
  return mapOf(out, (c) => c.reduce((acc, v, a) => acc + (v + (begin[a] ?? 0)) * st[a]!, 0));
}

/** tf.stridedSlice(x, begin, end, strides) with no masks and begin/end inside the tensor (positive or negative strides). */
export function stridedSliceMap(shape: readonly number[], begin: readonly number[], end: readonly number[], step: readonly number[]): IndexMap {
  const st = strides(shape);
  const out = shape.map((_, a) => {
    const s = step[a] ?? 1;
    const n = s > 0 ? Math.ceil((end[a]! - begin[a]!) / s) : Math.ceil((begin[a]! - end[a]!) / -s);
    return Math.max(0, n);
  });
  return mapOf(out, (c) => c.reduce((acc, v, a) => acc + (begin[a]! + v * (step[a] ?? 1)) * st[a]!, 0));
}

/** tf.gather(x, indices, axis): indices (integers in [0, dim)) replace the axis. */
export function gatherIndexMap(shape: readonly number[], indices: Read, axis = 0): IndexMap {
  const ax = axisOf('gather', axis, shape.length);
  const st = strides(shape);
  const out = [...shape.slice(0, ax), ...indices.shape, ...shape.slice(ax + 1)];
  const ir = indices.shape.length;
  const ist = strides(indices.shape);
  return mapOf(out, (c) => {
    let flatIdx = 0;
    for (let k = 0; k < ir; k++) flatIdx += c[ax + k]! * ist[k]!;
    const idx = indices.data[flatIdx]!;
    if (!(idx >= 0 && idx < shape[ax]!)) return -1; // tfjs's cpu kernel writes 0 for out-of-range indices
    let src = idx * st[ax]!;
    for (let a = 0; a < ax; a++) src += c[a]! * st[a]!;
    for (let a = ax + 1; a < shape.length; a++) src += c[a + ir - 1]! * st[a]!;
    return src;
  });
}

/** tf.gatherND(x, indices): indices [..., k] address the first k axes of x. */
export function gatherNDMap(shape: readonly number[], indices: Read): IndexMap {
  const k = indices.shape[indices.shape.length - 1]!;
  const st = strides(shape);
  const lead = indices.shape.slice(0, -1);
  const out = [...lead, ...shape.slice(k)];
  const inner = sizeOfShape(shape.slice(k));
  return mapOf(out, (c) => {
    let row = 0;
    for (let a = 0; a < lead.length; a++) row = row * lead[a]! + c[a]!;
    let src = 0;
    for (let j = 0; j < k; j++) {
      const v = indices.data[row * k + j]!;
      if (!(v >= 0 && v < shape[j]!)) return -1;
      src += v * st[j]!;
    }
    let rest = 0;
    for (let a = lead.length; a < c.length; a++) rest = rest * out[a]! + c[a]!;
    return src + (inner > 0 ? rest : 0);
  });
}

/** tf.concat(xs, axis). */
export function concatMap(shapes: readonly (readonly number[])[], axis: number): IndexMap {
  const r = shapes[0]!.length;
  const ax = axisOf('concat', axis, r);
  const starts: number[] = [];
  let total = 0;
  let offset = 0;
  const offsets: number[] = [];
  for (const s of shapes) {
    starts.push(total);
    total += s[ax]!;
    offsets.push(offset);
    offset += sizeOfShape(s);
  }
  const out = shapes[0]!.map((d, a) => (a === ax ? total : d));
  return mapOf(out, (c) => {
    let k = shapes.length - 1;
    while (k > 0 && c[ax]! < starts[k]!) k--;
    const st = strides(shapes[k]!);
    let src = offsets[k]!;
    for (let a = 0; a < r; a++) src += (a === ax ? c[a]! - starts[k]! : c[a]!) * st[a]!;
    return src;
  });
}

/** tf.stack(xs, axis): a new axis of length xs.length. */
export function stackMap(shape: readonly number[], count: number, axis = 0): IndexMap {
  const ax = axisOf('stack', axis, shape.length + 1);
  const size = sizeOfShape(shape);
  const st = strides(shape);
  const out = [...shape.slice(0, ax), count, ...shape.slice(ax)];
  return mapOf(out, (c) => {
    let src = c[ax]! * size;
    for (let a = 0, b = 0; a < out.length; a++) {
      if (a === ax) continue;
      src += c[a]! * st[b++]!;
    }
    return src;
  });
}

/** tf.unstack(x, axis): one map per output. */
export function unstackMaps(shape: readonly number[], axis = 0): IndexMap[] {
  const ax = axisOf('unstack', axis, shape.length);
  const st = strides(shape);
  const out = [...shape.slice(0, ax), ...shape.slice(ax + 1)];
  return Array.from({ length: shape[ax]! }, (_, k) =>
    mapOf(out, (c) => {
      let src = k * st[ax]!;
      for (let a = 0, b = 0; a < shape.length; a++) {
        if (a === ax) continue;
        src += c[b++]! * st[a]!;
      }
      return src;
    }),
  );
}

/** tf.split(x, sizes, axis): one map per piece. */
export function splitMaps(shape: readonly number[], sizes: readonly number[], axis = 0): IndexMap[] {
  const ax = axisOf('split', axis, shape.length);
  let start = 0;
  return sizes.map((len) => {
    const begin = shape.map((_, a) => (a === ax ? start : 0));
    const size = shape.map((d, a) => (a === ax ? len : d));
    start += len;
    return sliceMap(shape, begin, size);
  });
}

/** tf.pad(x, paddings) (constant) or tf.mirrorPad(x, paddings, mode). */
export function padMap(
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
  mode: 'constant' | 'reflect' | 'symmetric' = 'constant',
): IndexMap {
  const st = strides(shape);
  const out = shape.map((d, a) => d + paddings[a]![0] + paddings[a]![1]);
  return mapOf(out, (c) => {
    let src = 0;
    for (let a = 0; a < shape.length; a++) {
      const n = shape[a]!;
      let i = c[a]! - paddings[a]![0];
      if (i < 0 || i >= n) {
        if (mode === 'constant') return -1;
        const off = mode === 'reflect' ? 0 : 1;
        if (i < 0) i = -i - off;
        else i = 2 * n - 2 - i + off;
      }
      src += i * st[a]!;
    }
    return src;
  });
}

/** tf.tile(x, reps). */
export function tileMap(shape: readonly number[], reps: readonly number[]): IndexMap {
  const st = strides(shape);
  return mapOf(
    shape.map((d, a) => d * reps[a]!),
    (c) => c.reduce((acc, v, a) => acc + (v % shape[a]!) * st[a]!, 0),
  );
}

/** tf.transpose(x, perm) (default: reversed axes). */
export function transposeMap(shape: readonly number[], perm?: readonly number[]): IndexMap {
  const p = perm ?? shape.map((_, a) => shape.length - 1 - a);
  const st = strides(shape);
  return mapOf(
    p.map((a) => shape[a]!),
    (c) => c.reduce((acc, v, k) => acc + v * st[p[k]!]!, 0),
  );
}

/** tf.reverse(x, axes). */
export function reverseMap(shape: readonly number[], axes: readonly number[]): IndexMap {
  const rev = new Set(axes.map((a) => axisOf('reverse', a, shape.length)));
  const st = strides(shape);
  return mapOf(shape, (c) => c.reduce((acc, v, a) => acc + (rev.has(a) ? shape[a]! - 1 - v : v) * st[a]!, 0));
}

/** tf.reshape / squeeze / expandDims: the same elements in the same order, a new shape. */
export function reshapeMap(shape: readonly number[], newShape: readonly number[]): IndexMap {
  if (sizeOfShape(shape) !== sizeOfShape(newShape))
    throw new RangeError(`reshape: ${formatShape(shape)} and ${formatShape(newShape)} hold different numbers of elements`);
  return mapOf(newShape, (c) => c.reduce((acc, v, a) => acc * newShape[a]! + v, 0));
}

/**
 * tf.spaceToBatchND(x, blockShape, paddings): x [batch, ...spatial, ...rest]; output batch
 * index (by, bx, b) = ((by·blockW + bx)·batch + b), spatial position of the padded input
 * (i·block + offset).
 */
export function spaceToBatchMap(shape: readonly number[], block: readonly number[], paddings: readonly (readonly [number, number])[]): IndexMap {
  const m = block.length;
  const batch = shape[0]!;
  const st = strides(shape);
  const padded = block.map((_, k) => shape[k + 1]! + paddings[k]![0] + paddings[k]![1]);
  const out = [batch * sizeOfShape(block), ...padded.map((d, k) => d / block[k]!), ...shape.slice(m + 1)];
  return mapOf(out, (c) => {
    const b = c[0]! % batch;
    let rest = Math.floor(c[0]! / batch);
    const offs = new Array<number>(m);
    for (let k = m - 1; k >= 0; k--) {
      offs[k] = rest % block[k]!;
      rest = Math.floor(rest / block[k]!);
    }
    let src = b * st[0]!;
    for (let k = 0; k < m; k++) {
      const p = c[k + 1]! * block[k]! + offs[k]! - paddings[k]![0];
      if (p < 0 || p >= shape[k + 1]!) return -1;
      src += p * st[k + 1]!;
    }
    for (let a = m + 1; a < shape.length; a++) src += c[a]! * st[a]!;
    return src;
  });
}

/** tf.batchToSpaceND(x, blockShape, crops): the inverse of spaceToBatchND, cropped. */
export function batchToSpaceMap(shape: readonly number[], block: readonly number[], crops: readonly (readonly [number, number])[]): IndexMap {
  const m = block.length;
  const prod = sizeOfShape(block);
  const batch = shape[0]! / prod;
  const st = strides(shape);
  const out = [batch, ...block.map((bk, k) => shape[k + 1]! * bk - crops[k]![0] - crops[k]![1]), ...shape.slice(m + 1)];
  return mapOf(out, (c) => {
    let blockIndex = 0;
    let src = 0;
    for (let k = 0; k < m; k++) {
      const p = c[k + 1]! + crops[k]![0];
      blockIndex = blockIndex * block[k]! + (p % block[k]!);
      src += Math.floor(p / block[k]!) * st[k + 1]!;
    }
    src += (blockIndex * batch + c[0]!) * st[0]!;
    for (let a = m + 1; a < shape.length; a++) src += c[a]! * st[a]!;
    return src;
  });
}

/** tf.depthToSpace(x, blockSize) for NHWC: channel (by·b + bx)·C' + c moves to pixel (h·b + by, w·b + bx). */
export function depthToSpaceMap(shape: readonly number[], blockSize: number): IndexMap {
  const [n, h, w, c] = shape as [number, number, number, number];
  const b = blockSize;
  const oc = c / (b * b);
  const st = strides(shape);
  return mapOf([n, h * b, w * b, oc], (co) => {
    const [bn, y, x, ch] = co as [number, number, number, number];
    const srcC = ((y % b) * b + (x % b)) * oc + ch;
    return bn * st[0]! + Math.floor(y / b) * st[1]! + Math.floor(x / b) * st[2]! + srcC;
  });
}

// ---------------------------------------------------------------------------------------------
// ops that make values

/** tf.oneHot(indices, depth, onValue, offValue): out-of-range indices give a row of offValue. */
export function oneHot(indices: RefInput, depth: number, onValue = 1, offValue = 0, options?: ReferenceOptions): ExactTensor {
  const I = readInput('oneHot', 'indices', indices, resolveOptions(options));
  const out = new ExactBuilder([...I.shape, depth], I.size * depth);
  for (let i = 0; i < I.size; i++) for (let d = 0; d < depth; d++) out.definitional(i * depth + d, I.data[i] === d ? onValue : offValue);
  return out.build();
}

/**
 * tf.scatterND(indices, updates, shape): zeros of `shape` with each update slice added at its
 * index; duplicate indices add up (an exact sum, marked as an accumulation).
 */
export function scatterND(indices: RefInput, updates: RefInput, shape: readonly number[], options?: ReferenceOptions): ExactTensor {
  const o = resolveOptions(options);
  const I = readInput('scatterND', 'indices', indices, o);
  const Upd = readInput('scatterND', 'updates', updates, o);
  const k = I.shape[I.shape.length - 1]!;
  const rows = I.size / k;
  const inner = sizeOfShape(shape.slice(k));
  const st = strides(shape);
  const sums = new TermSums(shape);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let j = 0; j < k; j++) base += I.data[r * k + j]! * st[j]!;
    for (let q = 0; q < inner; q++) sums.add(base + q, Upd.data[r * inner + q]!);
  }
  return sums.build(options);
}

/**
 * tf.tensorScatterUpdate(tensor, indices, updates): a copy of `tensor` with the slices at
 * `indices` replaced (indices distinct), as an index map over [tensor, updates].
 */
export function tensorScatterUpdateMap(shape: readonly number[], indices: Read, updatesSize: number): IndexMap {
  const k = indices.shape[indices.shape.length - 1]!;
  const rows = indices.size / k;
  const inner = sizeOfShape(shape.slice(k));
  const st = strides(shape);
  const map = Int32Array.from({ length: sizeOfShape(shape) }, (_, i) => i);
  const size = map.length;
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let j = 0; j < k; j++) base += indices.data[r * k + j]! * st[j]!;
    for (let q = 0; q < inner; q++) map[base + q] = size + Math.min(updatesSize - 1, r * inner + q);
  }
  return { shape: [...shape], map };
}
