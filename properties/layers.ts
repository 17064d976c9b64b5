/**
 * Catalog: the layers networks are built from — convolutions (1-d, 2-d, 3-d, depthwise,
 * transposed, fused), pooling, batch and local response normalization, resizing — and two
 * compositions users write by hand: masked softmax and layer normalization.
 *
 * Convolutions and average pooling are exact sums judged within ACCUMULATION (their `large`
 * properties run one long accumulation over input channels or a long window); max pooling
 * propagates NaN like max; batchNorm, LRN and layer normalization are judged against their exact
 * values. Gradients run tfjs's backprop kernels (Conv2DBackpropInput/Filter, the depthwise and 3-d
 * ones, AvgPoolGrad, MaxPoolGrad, LRNGrad, ResizeBilinearGrad, ...) against exact derivatives.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import { float32, integers, MAX_FLOAT32, specialValues, structured, tensorValue, tensors, UNDERFLOWING_SUMS, type TensorValue } from '../src/index.ts';
import type { Elements } from '../src/generate/elements.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import * as ref from '../src/reference/index.ts';
import * as linalg from '../src/reference/linalg.ts';
import * as layers from '../src/reference/layers.ts';
import * as shapes from '../src/reference/shapes.ts';
import { TOLERANCES } from '../src/reference/index.ts';

const dim = (min: number, max: number) => ({ min, max });
type T<K extends string> = { t: Record<K, TensorValue> };
type XF = T<'x' | 'f'>;
const ordinary = () => float32();
const special = () => specialValues();
/**
 * Special values for filters: finite ones only. A non-finite tap over the zero padding is NaN
 * under TensorFlow's definition (the input padded with zeros: 0·Infinity) and absent in tfjs's cpu
 * kernels, which skip the padding; there is no one convention to judge it by.
 */
const finiteSpecial = () => specialValues({ exclude: (v) => !Number.isFinite(v) });
const filterElements = (e: () => Elements): (() => Elements) => (e === special ? finiteSpecial : e);
/** Values whose products and sums stay inside float32 in a few dozen terms (gradient domains). */
const moderate = () => float32({ min: -1e18, max: 1e18 });
/**
 * Gradient domains of the convolutions, whose derivatives are sums of inputs and of filter taps:
 * moderate values, and one tensor in five at the bottom of the normal range, where partial sums
 * pass through subnormals (a kernel that flushes them loses the answer).
 */
const sums = () => float32({ min: -1e18, max: 1e18, focus: UNDERFLOWING_SUMS });
/** Every float32, one tensor in five all -[MAX/2, MAX] (sums that overflow to -Infinity). */
const overflowingDown = () => float32({ focus: { p: 0.2, at: [MAX_FLOAT32], sign: -1 } });

interface ConvSpec {
  readonly name: string;
  /** Spatial rank: 1, 2 or 3. */
  readonly rank: 1 | 2 | 3;
  readonly depthwise?: boolean;
  readonly strides?: number;
  readonly dilations?: number;
  readonly padding: 'valid' | 'same';
  readonly op: (x: tf.Tensor, f: tf.Tensor) => tf.Tensor;
  readonly source: string;
  readonly large?: boolean;
  readonly runs?: number;
  /** tfjs computes the gradient (false: it throws by design, e.g. for dilations > 1). */
  readonly gradient?: boolean;
}

/** x [b, ...spatial, cin] and a filter [...window, cin, cout|multiplier]. */
function convInputs(rank: 1 | 2 | 3, elements: () => Elements) {
  const sp = ['s1', 's2', 's3'].slice(0, rank);
  const win = ['k1', 'k2', 'k3'].slice(0, rank);
  return {
    t: tensors({
      dims: {
        b: dim(1, 2),
        ...Object.fromEntries(sp.map((s) => [s, dim(3, rank === 3 ? 4 : 6)])),
        ...Object.fromEntries(win.map((k) => [k, dim(1, 3)])),
        cin: dim(1, 3),
        cout: dim(1, 3),
      },
      tensors: { x: { shape: ['b', ...sp, 'cin'], elements: elements() }, f: { shape: [...win, 'cin', 'cout'], elements: filterElements(elements)() } },
    }),
  };
}

function convEntry(c: ConvSpec): OpInfo {
  const options = { strides: c.strides ?? 1, dilations: c.dilations ?? 1, padding: c.padding, depthwise: c.depthwise ?? false };
  const long =
    c.rank === 1
      ? { x: (n: number) => [1, 1, n], f: (n: number) => [1, n, 1] }
      : c.rank === 2
        ? { x: (n: number) => [1, 1, 1, n], f: (n: number) => [1, 1, n, 1] }
        : { x: (n: number) => [1, 1, 1, 1, n], f: (n: number) => [1, 1, 1, n, 1] };
  // depthwise convolutions accumulate over the window only: one long row under a [1, n] window
  const longDepthwise = { x: (n: number) => [1, 1, n, 1], f: (n: number) => [1, n, 1, 1] };
  return opInfo<XF>({
    name: c.name,
    family: 'layer',
    promise: `every output is the exact sum of its ${c.depthwise ? 'window' : 'window × input channels'} products within ACCUMULATION, for every float32 x and filter (${c.padding} padding${c.strides && c.strides > 1 ? `, stride ${c.strides}` : ''}${c.dilations && c.dilations > 1 ? `, dilation ${c.dilations}` : ''})`,
    inputs: convInputs(c.rank, ordinary),
    special: convInputs(c.rank, special),
    op: ({ t }) => c.op(t.x, t.f),
    source: c.source,
    reference: { exact: ({ t }) => linalg.conv(t.x, t.f, options), tolerance: TOLERANCES.conv },
    ...(c.large ? { large: { inputs: { t: structured(['x', 'f'], { shapes: c.depthwise ? longDepthwise : long }) } } } : {}),
    ...(c.gradient === false
      ? {}
      : {
          gradient: {
            inputs: convInputs(c.rank, sums),
            promise: 'd/dx is the sum of the filter taps over each input element, d/dfilter the sum of the inputs under each tap: exact within ACCUMULATION',
            derivative: ({ t }: { t: { x: TensorValue; f: TensorValue } }) => {
              const d = linalg.convDerivative(t.x, t.f, options);
              return { 't.x': d.x, 't.f': d.filter };
            },
            wrt: 'x, filter',
          },
        }),
    ...(c.runs ? { runs: c.runs } : {}),
  }) as OpInfo;
}

const as3 = (t: tf.Tensor) => t as tf.Tensor3D;
const as4 = (t: tf.Tensor) => t as tf.Tensor4D;
const as5 = (t: tf.Tensor) => t as tf.Tensor5D;

/** conv2dTranspose: x [b, h, w, inC], filter [kh, kw, outC, inC], output [b, oh, ow, outC] with oh = h·stride (same padding). */
function convTransposeEntry(stride: number): OpInfo {
  const inputs = (elements: () => Elements) => ({
    t: tensors({
      dims: { b: dim(1, 2), h: dim(1, 4), w: dim(1, 4), k1: dim(1, 3), k2: dim(1, 3), outC: dim(1, 3), inC: dim(1, 3) },
      tensors: { x: { shape: ['b', 'h', 'w', 'inC'], elements: elements() }, f: { shape: ['k1', 'k2', 'outC', 'inC'], elements: filterElements(elements)() } },
    }),
  });
  const outShape = (x: { shape: readonly number[] }, f: { shape: readonly number[] }): [number, number, number, number] => [
    x.shape[0]!,
    x.shape[1]! * stride,
    x.shape[2]! * stride,
    f.shape[2]!,
  ];
  return opInfo<XF>({
    name: `conv2dTranspose${stride > 1 ? ` stride ${stride}` : ''}`,
    family: 'layer',
    promise: `every output is the exact sum of the products scattered into it within ACCUMULATION, for every float32 x and filter (same padding${stride > 1 ? `, stride ${stride}` : ''})`,
    inputs: inputs(ordinary),
    special: inputs(special),
    op: ({ t }) => tf.conv2dTranspose(as4(t.x), as4(t.f), outShape(t.x, t.f), stride, 'same'),
    source: `({ t }) => tf.conv2dTranspose(t.x, t.f, [t.x.shape[0], t.x.shape[1] * ${stride}, t.x.shape[2] * ${stride}, t.f.shape[2]], ${stride}, 'same')`,
    reference: { exact: ({ t }) => linalg.convTranspose(t.x, t.f, outShape(t.x, t.f), { strides: stride, padding: 'same' }), tolerance: TOLERANCES.conv },
    // one long sum over the input channels; more runs than the default: a TensorFlow-style float32
    // accumulation shows only past about 1e5 terms of products that are not exact
    ...(stride === 1 ? { large: { inputs: { t: structured(['x', 'f'], { shapes: { x: (n) => [1, 1, 1, n], f: (n) => [1, 1, 1, n] } }) }, runs: 100 } } : {}),
    gradient: {
      inputs: inputs(sums),
      promise: 'the gradients (a convolution of ones and the filter taps, the input sums) are exact within ACCUMULATION',
      derivative: ({ t }) => {
        const d = linalg.convTransposeDerivative(t.x, t.f, outShape(t.x, t.f), { strides: stride, padding: 'same' });
        return { 't.x': d.x, 't.f': d.filter };
      },
      wrt: 'x, filter',
    },
  }) as OpInfo;
}

type PX = { x: TensorValue };

/** Pooling over [b, ...spatial, c] with a window of `win` and stride `stride`. */
function poolEntry(kind: 'max' | 'avg', rank: 2 | 3, win: number, stride: number, padding: 'valid' | 'same'): OpInfo {
  const window = new Array<number>(rank).fill(win);
  const shape = (elements: Elements) =>
    tensors({
      dims: { b: dim(1, 2), s: dim(win, rank === 3 ? 4 : 6), s2: dim(win, rank === 3 ? 4 : 6), s3: dim(win, 4), c: dim(1, 3) },
      tensors: { x: { shape: rank === 2 ? ['b', 's', 's2', 'c'] : ['b', 's', 's2', 's3', 'c'], elements } },
    }).map((t) => t.x);
  const op = (x: tf.Tensor): tf.Tensor =>
    rank === 2
      ? kind === 'max'
        ? tf.maxPool(as4(x), win, stride, padding)
        : tf.avgPool(as4(x), win, stride, padding)
      : kind === 'max'
        ? tf.maxPool3d(as5(x), win, stride, padding)
        : tf.avgPool3d(as5(x), win, stride, padding);
  const fn = `${kind}Pool${rank === 3 ? '3d' : ''}`;
  return opInfo<PX>({
    name: `${fn} ${win}${rank === 2 ? 'x' : 'x'}${win}${rank === 3 ? `x${win}` : ''} stride ${stride} ${padding}`,
    family: 'layer',
    promise:
      kind === 'max'
        ? 'the largest element of each window, exactly; NaN if the window holds NaN (as max does)'
        : 'the exact mean of each window (padding not counted) within ACCUMULATION, for every float32 x',
    inputs: { x: shape(ordinary()) },
    special: { x: shape(special()) },
    op: ({ x }) => op(x),
    source: `({ x }) => tf.${fn}(x, ${win}, ${stride}, '${padding}')`,
    reference: {
      exact: ({ x }) => layers.pool(x, kind, window, { strides: stride, padding }),
      tolerance: kind === 'max' ? TOLERANCES.extremum : TOLERANCES.conv,
    },
    gradient: {
      inputs: { x: shape(moderate()) },
      promise:
        kind === 'max'
          ? 'the gradient is 1 at each window maximum (any split among tied maxima), summed over windows'
          : 'the gradient is the sum of 1/count over the windows holding each element, exact within ACCUMULATION',
      derivative: ({ x }) => ({ x: layers.poolDerivative(x, kind, window, { strides: stride, padding }) }),
    },
  }) as OpInfo;
}

/** avgPool over one long row: the mean of n elements under a [1, n] window. */
const avgPoolLarge: OpInfo = opInfo<PX>({
  name: 'avgPool long window',
  family: 'layer',
  promise: 'the exact mean of one long window (1 x n, n up to 65,536) within ACCUMULATION',
  inputs: { x: structured(['x'], { size: { min: 1000, max: 65536 }, shapes: { x: (n) => [1, 1, n, 1] } }).map((t) => t.x) },
  op: ({ x }) => tf.avgPool(as4(x), [1, x.shape[2]!], 1, 'valid'),
  source: "({ x }) => tf.avgPool(x, [1, x.shape[2]], 1, 'valid')",
  reference: { exact: ({ x }) => layers.pool(x, 'avg', [1, x.shape[2]!]), tolerance: TOLERANCES.conv },
  // wasm's naive sum of the window shows in about one case in thirty (long, inexact values): 30 runs
  // found it at 13 of 20 seeds, 100 at 20 of 20
  runs: 100,
});

/** dilation2d: x [b, h, w, c] and a filter [fh, fw, c]. */
function dilationEntry(padding: 'valid' | 'same', dilations: number): OpInfo {
  const inputs = (elements: () => Elements, filter = elements) => ({
    t: tensors({
      dims: { b: dim(1, 2), h: dim(3, 6), w: dim(3, 6), fh: dim(1, 3), fw: dim(1, 3), c: dim(1, 3) },
      tensors: { x: { shape: ['b', 'h', 'w', 'c'], elements: elements() }, f: { shape: ['fh', 'fw', 'c'], elements: filter() } },
    }),
  });
  const options = { strides: 1, padding, dilations };
  return opInfo<XF>({
    name: `dilation2d ${padding}${dilations > 1 ? ` dilation ${dilations}` : ''}`,
    family: 'layer',
    promise: `every output is the largest x + filter over its window (${padding} padding${dilations > 1 ? `, dilation ${dilations}` : ''}; taps in the padding take no part), exactly, for every float32 x and filter: -Infinity for a window of -Infinity sums, NaN where a sum is NaN (as max does)`,
    // one x and one filter in five all about -MAX: windows whose every sum overflows to -Infinity
    inputs: inputs(overflowingDown),
    special: inputs(special),
    op: ({ t }) => tf.dilation2d(as4(t.x), t.f as tf.Tensor3D, 1, padding, dilations),
    source: `({ t }) => tf.dilation2d(t.x, t.f, 1, '${padding}', ${dilations})`,
    reference: { exact: ({ t }) => layers.dilation2d(t.x, t.f, options), tolerance: TOLERANCES.extremum },
    gradient: {
      // one filter in five is all about -1e17: windows whose every sum is below -2^53, where a
      // search for the maximum that starts from Number.MIN_SAFE_INTEGER never moves; and x and
      // filters at the bottom of the normal range, where x + filter is subnormal (flushed, it ties)
      inputs: inputs(sums, () => float32({ min: -1e18, max: 1e18, focus: [{ p: 0.2, at: [1e17], sign: -1 }, UNDERFLOWING_SUMS] })),
      promise: 'each window gives 1 to the x element and the filter tap of its maximum (any split among tied maxima)',
      derivative: ({ t }) => {
        const d = layers.dilation2dDerivative(t.x, t.f, options);
        return { 't.x': d.x, 't.f': d.filter };
      },
      wrt: 'x, filter',
      runs: 300,
    },
    runs: 300,
  }) as OpInfo;
}

/** maxPoolWithArgmax 3x3, stride 2, same padding: the pooled values and the flat index of each maximum. */
function maxPoolWithArgmaxEntry(): OpInfo {
  const shape = (elements: Elements) =>
    tensors({ dims: { b: dim(1, 2), h: dim(3, 6), w: dim(3, 6), c: dim(1, 3) }, tensors: { x: { shape: ['b', 'h', 'w', 'c'], elements } } }).map((t) => t.x);
  const noNaN = (v: number) => Number.isNaN(v);
  return opInfo<PX>({
    name: 'maxPoolWithArgmax 3x3 stride 2 same',
    family: 'layer',
    promise:
      'the largest element of each window, exactly, and its flat index (y·width + x)·channels + c, the first in scan order among ties, for every float32 x and ±Infinity (a window of -Infinity included); NaN has no position and is not generated (maxPool judges it)',
    inputs: { x: shape(float32()) },
    special: { x: shape(specialValues({ exclude: noNaN })) },
    op: ({ x }) => {
      const r = tf.maxPoolWithArgmax(as4(x), 3, 2, 'same');
      return { result: r.result!, indexes: r.indexes! };
    },
    source: "({ x }) => { const r = tf.maxPoolWithArgmax(x, 3, 2, 'same'); return { result: r.result, indexes: r.indexes }; }",
    reference: { exact: ({ x }) => layers.maxPoolWithArgmax(x, [3, 3], { strides: 2, padding: 'same' }), tolerance: TOLERANCES.extremum },
    runs: 300,
  }) as OpInfo;
}

type BN = T<'x' | 'mean' | 'variance' | 'offset' | 'scale'>;
const bnInputs = (e: () => Elements, variance: Elements) => ({
  t: tensors({
    dims: { n: dim(1, 4), c: dim(1, 6) },
    tensors: {
      x: { shape: ['n', 'c'], elements: e() },
      mean: { shape: ['c'], elements: e() },
      variance: { shape: ['c'], elements: variance },
      offset: { shape: ['c'], elements: e() },
      scale: { shape: ['c'], elements: e() },
    },
  }),
});

type LR = { x: TensorValue };
const lrnInputs = (e: Elements) => ({
  x: tensors({ dims: { h: dim(1, 3), w: dim(1, 3), c: dim(1, 8) }, tensors: { x: { shape: [1, 'h', 'w', 'c'], elements: e } } }).map((t) => t.x),
});

type RS = T<'images' | 'size'>;
/** images [b, h, w, c] and a `size` tensor whose shape [newH, newW] is the target size. */
const resizeInputs = (e: Elements, minSide = 1) => ({
  t: tensors({
    dims: { b: dim(1, 2), h: dim(minSide, 5), w: dim(minSide, 5), c: dim(1, 2), nh: dim(1, 7), nw: dim(1, 7) },
    tensors: { images: { shape: ['b', 'h', 'w', 'c'], elements: e }, size: { shape: ['nh', 'nw'], elements: integers(0, 0, 'int32') } },
  }),
});
const target = (t: { size: { shape: readonly number[] } }): [number, number] => [t.size.shape[0]!, t.size.shape[1]!];

/** images [b, h, w, c] without their last column: [b, h, w - 1, c]. */
function withoutLastColumn(images: TensorValue): TensorValue {
  const [b, h, w, c] = images.shape as [number, number, number, number];
  const data = new Float32Array(b * h * (w - 1) * c);
  let k = 0;
  for (let i = 0; i < b * h; i++) for (let j = 0; j < (w - 1) * c; j++) data[k++] = images.data[i * w * c + j]!;
  return tensorValue([b, h, w - 1, c], data);
}

/**
 * Gradient inputs of resizeBilinear halfPixelCenters: tfjs's gradient swaps height and width, which
 * the cpu backend reports as an error on a non-square image and as wrong values on a square one.
 * Nine square images in ten lose their last column, so that the first failing case of every seed
 * is non-square (the finding the baseline lists) while square images are still tried.
 */
const mostlyNonSquare = (inputs: { t: fc.Arbitrary<RS['t']> }) => ({
  t: fc.tuple(inputs.t, fc.integer({ min: 0, max: 9 })).map(([t, r]) => {
    const [, h, w] = t.images.shape as [number, number, number, number];
    return r > 0 && h === w && w >= 2 ? { ...t, images: withoutLastColumn(t.images) } : t;
  }),
});

function resizeEntry(kind: 'bilinear' | 'nearest', options: layers.ResizeOptions): OpInfo {
  const flags = `${options.alignCorners ?? false}, ${options.halfPixelCenters ?? false}`;
  const suffix = options.alignCorners ? ' alignCorners' : options.halfPixelCenters ? ' halfPixelCenters' : '';
  const fn = kind === 'bilinear' ? 'resizeBilinear' : 'resizeNearestNeighbor';
  return opInfo<RS>({
    name: `${fn}${suffix}`,
    family: 'layer',
    promise:
      kind === 'bilinear'
        ? 'every output is the exact weighted sum of its four source pixels (weights: the exact fractions of the source coordinate), within the error of the lerp formula, for every float32 image'
        : "every output is exactly its nearest source pixel by TensorFlow's rule computed in exact arithmetic (round half up with alignCorners, floor otherwise)",
    inputs: resizeInputs(float32()),
    special: resizeInputs(specialValues()),
    op: ({ t }) => tf.image[fn](as4(t.images), target(t), options.alignCorners ?? false, options.halfPixelCenters ?? false),
    source: `({ t }) => tf.image.${fn}(t.images, [t.size.shape[0], t.size.shape[1]], ${flags})`,
    reference: {
      exact: ({ t }) =>
        kind === 'bilinear'
          ? layers.resizeBilinear(t.images, target(t), options)
          : shapes.gatherMap([t.images.data], {
              shape: [t.images.shape[0]!, ...target(t), t.images.shape[3]!],
              map: layers.resizeNearestIndex(t.images.shape, target(t), options),
            }),
      tolerance: kind === 'bilinear' ? TOLERANCES.resize : TOLERANCES.exact,
    },
    gradient: {
      // tfjs 4.22's ResizeNearestNeighborGrad loops forever with alignCorners when a side of the image is 1 (its window is Infinity)
      inputs:
        kind === 'bilinear' && options.halfPixelCenters
          ? mostlyNonSquare(resizeInputs(float32({ min: -1e30, max: 1e30 })))
          : resizeInputs(float32({ min: -1e30, max: 1e30 }), kind === 'nearest' && options.alignCorners ? 2 : 1),
      promise:
        kind === 'bilinear' ? 'each pixel receives the exact sum of its interpolation weights' : 'each pixel receives the number of outputs that copy it',
      derivative: ({ t }) => ({
        't.images':
          kind === 'bilinear'
            ? layers.resizeBilinearDerivative(t.images, target(t), options)
            : shapes.mapDerivative([t.images.shape], { shape: [], map: layers.resizeNearestIndex(t.images.shape, target(t), options) })[0]!,
      }),
      wrt: 'images',
    },
  }) as OpInfo;
}

type MS = T<'logits' | 'mask'>;
const maskInputs = (e: Elements) => ({
  t: tensors({
    dims: { b: dim(1, 4), n: dim(1, 6) },
    tensors: { logits: { shape: ['b', 'n'], elements: e }, mask: { shape: ['b', 'n'], elements: integers(0, 1, 'int32') } },
  }),
});

function maskedEntry(kind: layers.MaskKind, log: boolean): OpInfo {
  const f = log ? 'logSoftmax' : 'softmax';
  const masked =
    kind === 'where -Infinity'
      ? (l: tf.Tensor, m: tf.Tensor) => tf.where(tf.cast(m, 'bool'), l, tf.fill(l.shape, -Infinity))
      : (l: tf.Tensor, m: tf.Tensor) => tf.add(l, tf.mul(tf.sub(1, tf.cast(m, 'float32')), -1e9));
  const maskSource =
    kind === 'where -Infinity'
      ? "tf.where(tf.cast(t.mask, 'bool'), t.logits, tf.fill(t.logits.shape, -Infinity))"
      : "tf.add(t.logits, tf.mul(tf.sub(1, tf.cast(t.mask, 'float32')), -1e9))";
  return opInfo<MS>({
    name: `${f} masked ${kind === 'where -Infinity' ? '-Infinity' : '-1e9'}`,
    family: 'layer',
    promise: `the exact ${f} of the masked logits (${kind === 'where -Infinity' ? 'tf.where(mask, logits, -Infinity)' : 'logits + (1 - mask)·(-1e9), rounded as float32 adds'}); masked entries get ${log ? '-Infinity (or their exact log-probability for -1e9)' : 'probability 0'}, a row masked entirely with -Infinity is NaN (0/0)`,
    inputs: maskInputs(float32()),
    special: maskInputs(specialValues()),
    op: ({ t }) => (log ? tf.logSoftmax : tf.softmax)(masked(t.logits, t.mask)),
    source: `({ t }) => tf.${f}(${maskSource})`,
    reference: { exact: ({ t }) => layers.maskedSoftmax(t.logits, t.mask, kind, log), tolerance: log ? TOLERANCES.logSoftmax : TOLERANCES.softmax },
    gradient: {
      promise: log
        ? 'the gradient 1 - n·softmax on kept logits (0 through tf.where for masked ones), exact'
        : 'the gradient of a sum of probabilities is 0 (each row sums to 1), masked logits included',
      derivative: ({ t }) => ({ 't.logits': layers.maskedSoftmaxDerivative(t.logits, t.mask, kind, log) }),
      wrt: 'logits',
    },
  }) as OpInfo;
}

type LN = T<'x' | 'gamma' | 'beta'>;
const lnInputs = (e: Elements, ge: Elements) => ({
  t: tensors({
    dims: { r: dim(1, 3), n: dim(1, 8) },
    tensors: { x: { shape: ['r', 'n'], elements: e }, gamma: { shape: ['n'], elements: ge }, beta: { shape: ['n'], elements: ge } },
  }),
});

export const layerTable: OpInfo[] = [
  convEntry({
    name: 'conv1d',
    rank: 1,
    padding: 'same',
    op: (x, f) => tf.conv1d(as3(x), as3(f), 1, 'same'),
    source: "({ t }) => tf.conv1d(t.x, t.f, 1, 'same')",
  }),
  convEntry({
    name: 'conv2d',
    rank: 2,
    padding: 'valid',
    op: (x, f) => tf.conv2d(as4(x), as4(f), 1, 'valid'),
    source: "({ t }) => tf.conv2d(t.x, t.f, 1, 'valid')",
    large: true,
  }),
  convEntry({
    name: 'conv2d stride 2 same',
    rank: 2,
    padding: 'same',
    strides: 2,
    op: (x, f) => tf.conv2d(as4(x), as4(f), 2, 'same'),
    source: "({ t }) => tf.conv2d(t.x, t.f, 2, 'same')",
  }),
  convEntry({
    name: 'conv2d dilation 2',
    rank: 2,
    padding: 'same',
    dilations: 2,
    op: (x, f) => tf.conv2d(as4(x), as4(f), 1, 'same', 'NHWC', 2),
    source: "({ t }) => tf.conv2d(t.x, t.f, 1, 'same', 'NHWC', 2)",
    // tfjs 4.22: "dilation rates greater than 1 are not yet supported in gradients"
    gradient: false,
  }),
  convEntry({
    name: 'conv3d',
    rank: 3,
    padding: 'same',
    op: (x, f) => tf.conv3d(as5(x), as5(f), 1, 'same'),
    source: "({ t }) => tf.conv3d(t.x, t.f, 1, 'same')",
    large: true,
  }),
  convEntry({
    name: 'depthwiseConv2d',
    rank: 2,
    padding: 'valid',
    depthwise: true,
    op: (x, f) => tf.depthwiseConv2d(as4(x), as4(f), 1, 'valid'),
    source: "({ t }) => tf.depthwiseConv2d(t.x, t.f, 1, 'valid')",
    large: true,
  }),
  convEntry({
    name: 'fused.conv2d',
    rank: 2,
    padding: 'valid',
    op: (x, f) => tf.fused.conv2d({ x: as4(x), filter: as4(f), strides: 1, pad: 'valid' }),
    source: "({ t }) => tf.fused.conv2d({ x: t.x, filter: t.f, strides: 1, pad: 'valid' })",
    runs: 300,
  }),
  convEntry({
    name: 'fused.depthwiseConv2d same',
    rank: 2,
    padding: 'same',
    depthwise: true,
    op: (x, f) => tf.fused.depthwiseConv2d({ x: as4(x), filter: as4(f), strides: 1, pad: 'same' }),
    source: "({ t }) => tf.fused.depthwiseConv2d({ x: t.x, filter: t.f, strides: 1, pad: 'same' })",
    runs: 300,
  }),
  convTransposeEntry(1),
  convTransposeEntry(2),
  poolEntry('max', 2, 2, 2, 'valid'),
  poolEntry('max', 2, 3, 1, 'same'),
  poolEntry('avg', 2, 2, 2, 'valid'),
  poolEntry('avg', 2, 3, 1, 'same'),
  poolEntry('max', 3, 2, 1, 'same'),
  poolEntry('avg', 3, 2, 1, 'same'),
  avgPoolLarge,
  maxPoolWithArgmaxEntry(),
  dilationEntry('valid', 1),
  dilationEntry('same', 2),
  opInfo<BN>({
    name: 'batchNorm',
    family: 'layer',
    promise:
      'offset + (x - mean)·scale / sqrt(variance + 0.001), exactly (within the error of that float32 formula), for every float32 input with variance >= 0',
    inputs: bnInputs(ordinary, float32({ min: 0 })),
    special: bnInputs(special, specialValues({ min: 0 })),
    op: ({ t }) => tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 0.001),
    source: '({ t }) => tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 0.001)',
    reference: { exact: ({ t }) => layers.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 0.001), tolerance: TOLERANCES.batchNorm },
    gradient: {
      inputs: bnInputs(() => float32({ min: -1e15, max: 1e15 }), float32({ min: 0, max: 1e30 })),
      promise: 'the gradients with respect to x, mean, variance, offset and scale are the exact derivatives (sums over the batch within ACCUMULATION)',
      derivative: ({ t }) => {
        const d = layers.batchNormDerivative(t.x, t.mean, t.variance, t.offset, t.scale, 0.001);
        return { 't.x': d.x, 't.mean': d.mean, 't.variance': d.variance, 't.offset': d.offset, 't.scale': d.scale };
      },
      wrt: 'x, mean, variance, offset, scale',
    },
  }) as OpInfo,
  opInfo<LR>({
    name: 'localResponseNormalization',
    family: 'layer',
    promise:
      'x / (1 + Σ x²)^0.5 over a depth radius of 2, exactly (within the error of that formula), for every float32 x: finite even where x² overflows float32',
    inputs: lrnInputs(float32()),
    special: lrnInputs(specialValues()),
    op: ({ x }) => tf.localResponseNormalization(as4(x), 2, 1, 1, 0.5),
    source: '({ x }) => tf.localResponseNormalization(x, 2, 1, 1, 0.5)',
    reference: { exact: ({ x }) => layers.lrn(x, 2, 1, 1, 0.5), tolerance: TOLERANCES.lrn },
    gradient: {
      inputs: lrnInputs(float32({ min: -1e15, max: 1e15 })),
      promise: 'the gradient (LRNGrad) matches the exact derivative',
      derivative: ({ x }) => ({ x: layers.lrnDerivative(x, 2, 1, 1, 0.5) }),
    },
  }) as OpInfo,
  resizeEntry('bilinear', {}),
  resizeEntry('bilinear', { alignCorners: true }),
  resizeEntry('bilinear', { halfPixelCenters: true }),
  resizeEntry('nearest', {}),
  resizeEntry('nearest', { alignCorners: true }),
  resizeEntry('nearest', { halfPixelCenters: true }),
  maskedEntry('where -Infinity', false),
  maskedEntry('add -1e9', false),
  maskedEntry('where -Infinity', true),
  maskedEntry('add -1e9', true),
  opInfo<LN>({
    name: 'layerNorm composition',
    family: 'layer',
    promise:
      '(x - mean) / sqrt(variance + 1e-5) * gamma + beta over the last axis, written with tf.moments, matches its exact value within the error of that float32 formula, for |x| <= 1e18 (where (x - mean)² cannot overflow float32); a row with NaN or ±Infinity is NaN',
    inputs: lnInputs(float32({ min: -1e18, max: 1e18 }), float32({ min: -1e18, max: 1e18 })),
    special: lnInputs(specialValues({ min: -1e18, max: 1e18 }), specialValues({ min: -1e18, max: 1e18 })),
    op: ({ t }) => {
      const { mean, variance } = tf.moments(t.x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(t.x, mean), tf.sqrt(tf.add(variance, 1e-5))), t.gamma), t.beta);
    },
    source:
      '({ t }) => { const { mean, variance } = tf.moments(t.x, -1, true); return tf.add(tf.mul(tf.div(tf.sub(t.x, mean), tf.sqrt(tf.add(variance, 1e-5))), t.gamma), t.beta); }',
    reference: { exact: ({ t }) => layers.layerNorm(t.x, t.gamma, t.beta), tolerance: TOLERANCES.layerNorm },
    gradient: {
      inputs: lnInputs(float32({ min: -1e15, max: 1e15 }), float32({ min: -1e15, max: 1e15 })),
      promise: 'the gradients through tf.moments match the exact derivatives (sums over the row within ACCUMULATION)',
      runs: 500,
      derivative: ({ t }) => {
        const d = layers.layerNormDerivative(t.x, t.gamma, t.beta);
        return { 't.x': d.x, 't.gamma': d.gamma, 't.beta': d.beta };
      },
      wrt: 'x, gamma, beta',
    },
  }) as OpInfo,
];

void ref;
