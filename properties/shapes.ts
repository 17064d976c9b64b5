/**
 * Catalog: shape ops. Their values are exact by definition — each output element is a copy of
 * one input element (or a constant) — so every entry runs on tensors mixing ±Infinity, NaN, ±0
 * and subnormals with ordinary values and must copy them bit for bit (-0 and +0 aside). Their
 * gradients are exact too: the gradient of the sum of the outputs with respect to an input
 * element is the number of outputs that copy it (a scatter of ones), checked through tfjs's
 * gradient of each op (Slice, GatherV2, Concat, Pack, Unpack, SplitV, PadV2, MirrorPad, Tile,
 * Transpose, Reverse, Reshape, ExpandDims, SpaceToBatchND, BatchToSpaceND).
 *
 * The op's parameters (begin and size of a slice, paddings, ...) are functions of the generated
 * shapes, so they vary from case to case and shrink with them.
 */
import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import type { Elements } from '../src/generate/elements.ts';
import { integers, MAX_FLOAT32, specialValues, tensor, tensors, type TensorValue } from '../src/index.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import type { ExactTensor } from '../src/reference/index.ts';
import { TOLERANCES } from '../src/reference/index.ts';
import * as sh from '../src/reference/shapes.ts';
import type { IndexMap } from '../src/reference/shapes.ts';

/** Shape ops are cheap to check and exact: fewer runs keep the catalog within its time budget. */
const RUNS = 200;

type X = { x: TensorValue };
const values = () => specialValues();
const x = (minRank = 1, maxRank = 3, minDim = 1) => ({ x: tensor({ shape: { minRank, maxRank, minDim, maxDim: 5, maxSize: 24 }, elements: values() }) });

interface CopySpec<I> {
  readonly name: string;
  readonly promise: string;
  readonly inputs: Record<string, unknown>;
  readonly op: (inputs: any) => tf.Tensor | tf.Tensor[];
  readonly source: string;
  /** The float32 inputs whose elements the maps index, in the order they are laid end to end, with their gradient names. */
  readonly sources: (inputs: I) => readonly { readonly path: string; readonly value: TensorValue }[];
  /** One map per output. */
  readonly maps: (inputs: I) => IndexMap | readonly IndexMap[];
  readonly constant?: number;
  /** tfjs registers a gradient for the op. */
  readonly gradient: boolean;
}

/** An entry whose outputs copy input elements (see IndexMap). */
function copyOp<I>(c: CopySpec<I>): OpInfo {
  const mapsOf = (i: I): readonly IndexMap[] => {
    const m = c.maps(i);
    return Array.isArray(m) ? (m as readonly IndexMap[]) : [m as IndexMap];
  };
  const exact = (i: I): ExactTensor | ExactTensor[] => {
    const data = c.sources(i).map((s) => s.value.data);
    const m = c.maps(i);
    if (!Array.isArray(m)) return sh.gatherMap(data, m as IndexMap, c.constant ?? 0);
    return (m as readonly IndexMap[]).map((one) => sh.gatherMap(data, one, c.constant ?? 0));
  };
  return opInfo<I>({
    name: c.name,
    family: 'shape',
    promise: c.promise,
    inputs: c.inputs as never,
    op: c.op as never,
    source: c.source,
    reference: { exact, tolerance: TOLERANCES.exact },
    ...(c.gradient
      ? {
          gradient: {
            promise: 'the gradient of each input element is the number of outputs that copy it (exact)',
            derivative: (i: I) => {
              const srcs = c.sources(i);
              const all = mapsOf(i);
              const joined: IndexMap = { shape: [], map: Int32Array.from(all.flatMap((m) => Array.from(m.map))) };
              const d = sh.mapDerivative(
                srcs.map((s) => s.value.shape),
                joined,
              );
              return Object.fromEntries(srcs.map((s, k) => [s.path, d[k]!]));
            },
          },
        }
      : {}),
    runs: RUNS,
  }) as OpInfo;
}

const begin = (shape: readonly number[]) => shape.map((d) => Math.floor(d / 3));
const size = (shape: readonly number[]) => shape.map((d) => Math.ceil((d - Math.floor(d / 3)) / 2));
const padsOf = (rank: number) =>
  (
    [
      [1, 0],
      [0, 2],
      [1, 1],
    ] as const
  ).slice(0, rank) as unknown as [number, number][];

type T<K extends string> = { t: Record<K, TensorValue> };
const idx = (lo: number, hi: number) => integers(lo, hi, 'int32');

/** k update rows [k, m] and their indices [k, 1] for scatterND. */
const scatterInputs = (indices: Elements, updates: Elements) =>
  tensors({
    dims: { k: { min: 1, max: 6 }, m: { min: 1, max: 3 } },
    tensors: { indices: { shape: ['k', 1], elements: indices }, updates: { shape: ['k', 'm'], elements: updates } },
  });

export const shapeTable: OpInfo[] = [
  copyOp<X>({
    name: 'slice',
    promise: 'copies the slice (begin d/3, size half the rest along every axis), special values included',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.slice(x, begin(x.shape), size(x.shape)),
    source: '({ x }) => tf.slice(x, x.shape.map((d) => Math.floor(d / 3)), x.shape.map((d) => Math.ceil((d - Math.floor(d / 3)) / 2)))',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.sliceMap(x.shape, begin(x.shape), size(x.shape)),
    gradient: true,
  }),
  copyOp<X>({
    name: 'stridedSlice',
    promise: 'copies every other element from d/4 on along every axis (tfjs registers no gradient for StridedSlice)',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) =>
      tf.stridedSlice(
        x,
        x.shape.map((d) => Math.floor(d / 4)),
        x.shape.map((d) => d),
        x.shape.map(() => 2),
      ),
    source: '({ x }) => tf.stridedSlice(x, x.shape.map((d) => Math.floor(d / 4)), x.shape, x.shape.map(() => 2))',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) =>
      sh.stridedSliceMap(
        x.shape,
        x.shape.map((d) => Math.floor(d / 4)),
        x.shape,
        x.shape.map(() => 2),
      ),
    gradient: false,
  }),
  ...([0, 1] as const).map((axis) =>
    copyOp<T<'x' | 'indices'>>({
      name: `gather axis ${axis}`,
      promise: `copies the rows (axis ${axis}) the int32 indices name, repeats included; the gradient scatters ones back (repeated rows add up)`,
      inputs: {
        t: tensors({
          dims: { n: { min: 4, max: 5 }, m: { min: 1, max: 4 }, k: { min: 1, max: 6 } },
          tensors: { x: { shape: axis === 0 ? ['n', 'm'] : ['m', 'n'], elements: values() }, indices: { shape: ['k'], elements: idx(0, 3) } },
        }),
      },
      op: ({ t }: { t: { x: tf.Tensor; indices: tf.Tensor } }) => tf.gather(t.x, t.indices, axis),
      source: `({ t }) => tf.gather(t.x, t.indices, ${axis})`,
      sources: ({ t }) => [{ path: 't.x', value: t.x }],
      maps: ({ t }) => sh.gatherIndexMap(t.x.shape, { shape: t.indices.shape, size: t.indices.data.length, data: Float64Array.from(t.indices.data) }, axis),
      gradient: true,
    }),
  ),
  copyOp<T<'x' | 'indices'>>({
    name: 'gatherND',
    promise: 'copies the slices the [k, 2] int32 indices name (tfjs registers no gradient for GatherNd)',
    inputs: {
      t: tensors({
        dims: { m: { min: 1, max: 3 }, k: { min: 1, max: 5 } },
        tensors: { x: { shape: [3, 3, 'm'], elements: values() }, indices: { shape: ['k', 2], elements: idx(0, 2) } },
      }),
    },
    op: ({ t }: { t: { x: tf.Tensor; indices: tf.Tensor } }) => tf.gatherND(t.x, t.indices),
    source: '({ t }) => tf.gatherND(t.x, t.indices)',
    sources: ({ t }) => [{ path: 't.x', value: t.x }],
    maps: ({ t }) => sh.gatherNDMap(t.x.shape, { shape: t.indices.shape, size: t.indices.data.length, data: Float64Array.from(t.indices.data) }),
    gradient: false,
  }),
  copyOp<T<'a' | 'b'>>({
    name: 'concat',
    promise: 'lays a and b side by side along axis 1; the gradient splits the ones back',
    inputs: {
      t: tensors({
        dims: { r: { min: 1, max: 3 }, c1: { min: 1, max: 4 }, c2: { min: 1, max: 4 } },
        tensors: { a: { shape: ['r', 'c1'], elements: values() }, b: { shape: ['r', 'c2'], elements: values() } },
      }),
    },
    op: ({ t }: { t: { a: tf.Tensor; b: tf.Tensor } }) => tf.concat([t.a, t.b], 1),
    source: '({ t }) => tf.concat([t.a, t.b], 1)',
    sources: ({ t }) => [
      { path: 't.a', value: t.a },
      { path: 't.b', value: t.b },
    ],
    maps: ({ t }) => sh.concatMap([t.a.shape, t.b.shape], 1),
    gradient: true,
  }),
  copyOp<T<'a' | 'b'>>({
    name: 'stack',
    promise: 'stacks a and b along a new axis 1',
    inputs: {
      t: tensors({
        dims: { r: { min: 1, max: 3 }, c: { min: 1, max: 4 } },
        tensors: { a: { shape: ['r', 'c'], elements: values() }, b: { shape: ['r', 'c'], elements: values() } },
      }),
    },
    op: ({ t }: { t: { a: tf.Tensor; b: tf.Tensor } }) => tf.stack([t.a, t.b], 1),
    source: '({ t }) => tf.stack([t.a, t.b], 1)',
    sources: ({ t }) => [
      { path: 't.a', value: t.a },
      { path: 't.b', value: t.b },
    ],
    maps: ({ t }) => sh.stackMap(t.a.shape, 2, 1),
    gradient: true,
  }),
  copyOp<X>({
    name: 'unstack',
    promise: 'splits x into its columns (axis 1), one output each',
    inputs: { x: tensor({ shape: { minRank: 2, maxRank: 2, maxDim: 4 }, elements: values() }) },
    op: ({ x }: { x: tf.Tensor }) => tf.unstack(x, 1),
    source: '({ x }) => tf.unstack(x, 1)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.unstackMaps(x.shape, 1),
    gradient: true,
  }),
  copyOp<X>({
    name: 'split',
    promise: 'splits x along axis 1 into pieces of 1 and n - 1 columns',
    inputs: { x: tensor({ shape: { minRank: 2, maxRank: 2, minDim: 2, maxDim: 5 }, elements: values() }) },
    op: ({ x }: { x: tf.Tensor }) => tf.split(x, [1, x.shape[1]! - 1], 1),
    source: '({ x }) => tf.split(x, [1, x.shape[1] - 1], 1)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.splitMaps(x.shape, [1, x.shape[1]! - 1], 1),
    gradient: true,
  }),
  copyOp<X>({
    name: 'pad',
    promise: 'copies x into the middle of a tensor of 0.5 (paddings [1, 0], [0, 2], [1, 1])',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.pad(x, padsOf(x.rank), 0.5),
    source: '({ x }) => tf.pad(x, [[1, 0], [0, 2], [1, 1]].slice(0, x.rank), 0.5)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.padMap(x.shape, padsOf(x.shape.length)),
    constant: 0.5,
    gradient: true,
  }),
  ...(['reflect', 'symmetric'] as const).map((mode) =>
    copyOp<X>({
      name: `mirrorPad ${mode}`,
      promise: `pads by mirroring x (${mode}, paddings [1, 1] on every axis); border elements are copied twice and get a gradient of 2`,
      inputs: x(1, 3, 2),
      op: ({ x }: { x: tf.Tensor }) =>
        tf.mirrorPad(
          x,
          x.shape.map(() => [1, 1] as [number, number]),
          mode,
        ),
      source: `({ x }) => tf.mirrorPad(x, x.shape.map(() => [1, 1]), '${mode}')`,
      sources: ({ x }) => [{ path: 'x', value: x }],
      maps: ({ x }) =>
        sh.padMap(
          x.shape,
          x.shape.map(() => [1, 1] as const),
          mode,
        ),
      gradient: true,
    }),
  ),
  copyOp<X>({
    name: 'tile',
    promise: 'repeats x 2, 1 and 3 times along its axes; the gradient counts the copies',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.tile(x, [2, 1, 3].slice(0, x.rank)),
    source: '({ x }) => tf.tile(x, [2, 1, 3].slice(0, x.rank))',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.tileMap(x.shape, [2, 1, 3].slice(0, x.shape.length)),
    gradient: true,
  }),
  copyOp<X>({
    name: 'transpose',
    promise: 'reverses the axes of x',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.transpose(x),
    source: '({ x }) => tf.transpose(x)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.transposeMap(x.shape),
    gradient: true,
  }),
  copyOp<X>({
    name: 'reverse',
    promise: 'reverses x along its first and last axes',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.reverse(x, x.rank === 1 ? [0] : [0, x.rank - 1]),
    source: '({ x }) => tf.reverse(x, x.rank === 1 ? [0] : [0, x.rank - 1])',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.reverseMap(x.shape, x.shape.length === 1 ? [0] : [0, x.shape.length - 1]),
    gradient: true,
  }),
  copyOp<X>({
    name: 'reshape',
    promise: 'flattens x (same elements, same order)',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.reshape(x, [-1]),
    source: '({ x }) => tf.reshape(x, [-1])',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.reshapeMap(x.shape, [x.data.length]),
    gradient: true,
  }),
  copyOp<X>({
    name: 'squeeze',
    promise: 'drops the axes of length 1',
    inputs: { x: tensor({ shape: { minRank: 1, maxRank: 3, maxDim: 2, maxSize: 8 }, elements: values() }) },
    op: ({ x }: { x: tf.Tensor }) => tf.squeeze(x),
    source: '({ x }) => tf.squeeze(x)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) =>
      sh.reshapeMap(
        x.shape,
        x.shape.filter((d) => d !== 1),
      ),
    gradient: true,
  }),
  copyOp<X>({
    name: 'expandDims',
    promise: 'inserts an axis of length 1 at position 1',
    inputs: x(),
    op: ({ x }: { x: tf.Tensor }) => tf.expandDims(x, 1),
    source: '({ x }) => tf.expandDims(x, 1)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.reshapeMap(x.shape, [x.shape[0]!, 1, ...x.shape.slice(1)]),
    gradient: true,
  }),
  copyOp<X>({
    name: 'spaceToBatchND',
    promise: 'moves 2x2 blocks of the (padded) image into the batch',
    inputs: {
      x: tensors({
        dims: { h: { min: 1, max: 4 }, w: { min: 1, max: 4 }, c: { min: 1, max: 2 } },
        tensors: { x: { shape: [1, 'h', 'w', 'c'], elements: values() } },
      }).map((t) => t.x),
    },
    op: ({ x }: { x: tf.Tensor }) =>
      tf.spaceToBatchND(
        x,
        [2, 2],
        [
          [0, x.shape[1]! % 2],
          [1, (x.shape[2]! + 1) % 2],
        ],
      ),
    source: '({ x }) => tf.spaceToBatchND(x, [2, 2], [[0, x.shape[1] % 2], [1, (x.shape[2] + 1) % 2]])',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) =>
      sh.spaceToBatchMap(
        x.shape,
        [2, 2],
        [
          [0, x.shape[1]! % 2],
          [1, (x.shape[2]! + 1) % 2],
        ],
      ),
    gradient: true,
  }),
  copyOp<X>({
    name: 'batchToSpaceND',
    promise: 'moves the batch of 4 into 2x2 blocks of the image, cropping a row at the bottom and a column at the left',
    inputs: {
      x: tensors({
        dims: { h: { min: 1, max: 3 }, w: { min: 1, max: 3 }, c: { min: 1, max: 2 } },
        tensors: { x: { shape: [4, 'h', 'w', 'c'], elements: values() } },
      }).map((t) => t.x),
    },
    op: ({ x }: { x: tf.Tensor }) =>
      tf.batchToSpaceND(
        x,
        [2, 2],
        [
          [0, 1],
          [1, 0],
        ],
      ),
    source: '({ x }) => tf.batchToSpaceND(x, [2, 2], [[0, 1], [1, 0]])',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) =>
      sh.batchToSpaceMap(
        x.shape,
        [2, 2],
        [
          [0, 1],
          [1, 0],
        ],
      ),
    gradient: true,
  }),
  copyOp<X>({
    name: 'depthToSpace',
    promise: 'moves blocks of 8 channels into 2x2 pixels of 2 channels (tfjs registers no gradient for DepthToSpace)',
    inputs: {
      x: tensors({ dims: { h: { min: 1, max: 3 }, w: { min: 1, max: 3 } }, tensors: { x: { shape: [1, 'h', 'w', 8], elements: values() } } }).map((t) => t.x),
    },
    op: ({ x }: { x: tf.Tensor }) => tf.depthToSpace(x as tf.Tensor4D, 2),
    source: '({ x }) => tf.depthToSpace(x, 2)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.depthToSpaceMap(x.shape, 2),
    gradient: false,
  }),
  copyOp<T<'x' | 'updates'>>({
    name: 'tensorScatterUpdate',
    promise: 'replaces rows 1 and 3 of x by the updates (tfjs registers no gradient for TensorScatterUpdate)',
    inputs: {
      t: tensors({
        dims: { m: { min: 1, max: 4 } },
        tensors: { x: { shape: [4, 'm'], elements: values() }, updates: { shape: [2, 'm'], elements: values() } },
      }),
    },
    op: ({ t }: { t: { x: tf.Tensor; updates: tf.Tensor } }) => tf.tensorScatterUpdate(t.x, tf.tensor2d([[1], [3]], [2, 1], 'int32'), t.updates),
    source: "({ t }) => tf.tensorScatterUpdate(t.x, tf.tensor2d([[1], [3]], [2, 1], 'int32'), t.updates)",
    sources: ({ t }) => [
      { path: 't.x', value: t.x },
      { path: 't.updates', value: t.updates },
    ],
    maps: ({ t }) => sh.tensorScatterUpdateMap(t.x.shape, { shape: [2, 1], size: 2, data: Float64Array.of(1, 3) }, t.updates.data.length),
    gradient: false,
  }),
  copyOp<X>({
    name: 'diag',
    promise: 'puts x on the diagonal of a matrix of zeros (tfjs registers no gradient for Diag)',
    inputs: { x: tensor({ shape: { minRank: 1, maxRank: 1, maxDim: 6 }, elements: values() }) },
    op: ({ x }: { x: tf.Tensor }) => tf.diag(x),
    source: '({ x }) => tf.diag(x)',
    sources: ({ x }) => [{ path: 'x', value: x }],
    maps: ({ x }) => sh.mapOf([x.shape[0]!, x.shape[0]!], (c) => (c[0] === c[1] ? c[0]! : -1)),
    gradient: false,
  }),
  opInfo<{ i: TensorValue }>({
    name: 'oneHot',
    family: 'shape',
    promise: 'a row of 0 with a 1 at each index in [0, 5); indices -1 and 5 give rows of 0',
    inputs: { i: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 12 }, elements: idx(-1, 5) }) },
    op: ({ i }) => tf.oneHot(i as tf.Tensor1D, 5),
    source: '({ i }) => tf.oneHot(i, 5)',
    reference: { exact: ({ i }) => sh.oneHot(i, 5), tolerance: TOLERANCES.exact },
    runs: RUNS,
  }) as OpInfo,
  opInfo<T<'indices' | 'updates'>>({
    name: 'scatterND',
    family: 'shape',
    promise:
      'zeros of shape [4, m] with each update row added at its index: repeated indices add up, an exact sum within ACCUMULATION (tfjs registers no gradient for ScatterNd)',
    // one case in ten: every update at index 0 and about ±3.4e38, so that the partial sums of a
    // repeated index overflow where the exact sum does not (independent draws rarely meet there)
    inputs: {
      t: fc.oneof(
        { arbitrary: scatterInputs(idx(0, 3), values()), weight: 9 },
        { arbitrary: scatterInputs(idx(0, 0), specialValues({ focus: { p: 1, at: [MAX_FLOAT32] } })), weight: 1 },
      ),
    },
    op: ({ t }) => tf.scatterND(t.indices, t.updates, [4, t.updates.shape[1]!]),
    source: '({ t }) => tf.scatterND(t.indices, t.updates, [4, t.updates.shape[1]])',
    reference: { exact: ({ t }) => sh.scatterND(t.indices, t.updates, [4, t.updates.shape[1]!]), tolerance: TOLERANCES.sum },
    runs: RUNS,
  }) as OpInfo,
];
