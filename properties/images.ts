/**
 * Catalog: tf.image's sampling ops — flipLeftRight, cropAndResize (bilinear and nearest),
 * rotateWithOffset and transform (projective, bilinear with constant fill and nearest with
 * clamped coordinates). Each output is a copy of a pixel, the fill value, or the exact weighted
 * sum of up to four pixels (src/reference/images.ts), judged on every float32 image, special
 * values included.
 *
 * The geometry is generated so that what is sampled is decided by exact coordinates, not by the
 * rounding of them: box corners and transform coefficients lie on short dyadic grids (multiples
 * of 1/16, 1/8, 1/64) and crop sizes minus one are powers of two, so every coordinate is exact in
 * float32 and float64 arithmetic alike; rotations skip the angles that put a pixel within 1e-5 of
 * a rounding tie (rotateAmbiguous), where float32 rounding of the coordinate decides. A crop edge, a floor or a nearest-pixel choice that differs
 * from the reference is then the kernel's, not rounding noise.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { float32, integers, scalar, specialValues, tensorValue, tensors, type TensorValue } from '../src/index.ts';
import { elementwise, type Elements } from '../src/generate/elements.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import * as images from '../src/reference/images.ts';
import * as shapes from '../src/reference/shapes.ts';
import { TOLERANCES } from '../src/reference/index.ts';

const dim = (min: number, max: number) => ({ min, max });
const as4 = (t: tf.Tensor) => t as tf.Tensor4D;
/** Multiples of 1/den in [lo, hi]: exact in float32, short enough that sums and products of them stay exact (shrinking toward simpler multiples). */
const grid = (lo: number, hi: number, den: number): Elements =>
  elementwise(
    `multiples of 1/${den} in [${lo}, ${hi}]`,
    (mrng) => mrng.nextInt(Math.round(lo * den), Math.round(hi * den)) / den,
    (v) => Number.isInteger(v * den) && v >= lo && v <= hi,
  );

type Img = { x: TensorValue };
const image = (e: Elements) =>
  tensors({ dims: { b: dim(1, 2), h: dim(1, 5), w: dim(1, 5), c: dim(1, 2) }, tensors: { x: { shape: ['b', 'h', 'w', 'c'], elements: e } } }).map((t) => t.x);

const flipLeftRight: OpInfo = opInfo<Img>({
  name: 'image.flipLeftRight',
  family: 'layer',
  promise: 'every output copies the pixel mirrored across the vertical axis, exactly (NaN and ±Infinity included)',
  inputs: { x: image(float32()) },
  special: { x: image(specialValues()) },
  op: ({ x }) => tf.image.flipLeftRight(as4(x)),
  source: '({ x }) => tf.image.flipLeftRight(x)',
  reference: { exact: ({ x }) => shapes.gatherMap([x.data], { shape: x.shape, map: images.flipLeftRightIndex(x.shape) }), tolerance: TOLERANCES.exact },
  runs: 300,
}) as OpInfo;

/** Crop sizes 1, 2, 3, 5 (crop - 1 a power of two: exact coordinates), read from the shape [h, w] of `size`. */
const CROP = [1, 2, 3, 5] as const;
const EXTRAPOLATION = -0.5;
type Crop = { t: { image: TensorValue; boxes: TensorValue; boxInd: TensorValue; size: TensorValue } };
const cropSize = (size: { readonly shape: readonly number[] }): [number, number] => [CROP[size.shape[0]! - 1]!, CROP[size.shape[1]! - 1]!];
const cropInputs = (e: Elements) => ({
  t: tensors({
    dims: { b: dim(1, 2), h: dim(1, 5), w: dim(1, 5), c: dim(1, 2), n: dim(1, 3), ch: dim(1, 4), cw: dim(1, 4) },
    tensors: {
      image: { shape: ['b', 'h', 'w', 'c'], elements: e },
      // corners in [-0.5, 1.5]: crops inside, across and outside the image, flipped boxes too
      boxes: { shape: ['n', 4], elements: grid(-0.5, 1.5, 16) },
      boxInd: { shape: ['n'], elements: integers(0, 1, 'int32') },
      size: { shape: ['ch', 'cw'], elements: integers(0, 0, 'int32') },
    },
  }).map((t) => ({
    ...t,
    boxInd: tensorValue(
      t.boxInd.shape,
      Int32Array.from(t.boxInd.data, (v) => v % t.image.shape[0]!),
      'int32',
    ),
  })),
});

function cropEntry(method: images.CropMethod): OpInfo {
  return opInfo<Crop>({
    name: `image.cropAndResize ${method}`,
    family: 'layer',
    promise:
      method === 'bilinear'
        ? `every output is the exact weighted sum of the pixels around its sampling coordinate (a pixel of weight 0 takes no part: a sample on an infinite pixel is that pixel), within the error of the lerp formula; rows and columns sampled outside the image are the extrapolation value ${EXTRAPOLATION}`
        : `every output copies the pixel nearest to its sampling coordinate (TensorFlow's rounding, half away from zero), exactly; samples outside the image are the extrapolation value ${EXTRAPOLATION}`,
    inputs: cropInputs(float32()),
    special: cropInputs(specialValues()),
    op: ({ t }) => tf.image.cropAndResize(as4(t.image), t.boxes as tf.Tensor2D, t.boxInd as tf.Tensor1D, cropSize(t.size), method, EXTRAPOLATION),
    source: `({ t }) => tf.image.cropAndResize(t.image, t.boxes, t.boxInd, [[1, 2, 3, 5][t.size.shape[0] - 1], [1, 2, 3, 5][t.size.shape[1] - 1]], '${method}', ${EXTRAPOLATION})`,
    reference: {
      exact: ({ t }) => images.cropAndResize(t.image, t.boxes, t.boxInd, cropSize(t.size), method, EXTRAPOLATION),
      tolerance: method === 'bilinear' ? TOLERANCES.resize : TOLERANCES.exact,
    },
    runs: 300,
  }) as OpInfo;
}

type Rot = { p: { image: TensorValue; radians: number; fill: number; center: [number, number] } };
const HALF_TURNS = [0, 1, 2, 3, -1].flatMap((k) => [(k * Math.PI) / 2, Math.fround((k * Math.PI) / 2)]);
/** tfjs documents the fill of rotateWithOffset as a grayscale value in 0-255 (the wasm backend keeps its integer part only). */
const grayscale = () => integers(0, 255, 'int32');
const rotateInputs = (e: Elements) => ({
  p: fc
    .record({
      image: image(e),
      radians: fc.oneof(scalar(float32({ min: -7, max: 7 })), fc.constantFrom(...HALF_TURNS)),
      fill: scalar(grayscale()),
      center: fc.tuple(scalar(grid(0, 1, 8)), scalar(grid(0, 1, 8))),
    })
    .filter((p) => !images.rotateAmbiguous(p.image.shape, p.radians, p.center)),
});

const rotateWithOffset: OpInfo = opInfo<Rot>({
  name: 'image.rotateWithOffset',
  family: 'layer',
  promise:
    'every output copies the pixel nearest to its rotation about the centre (center·[width, height]), or is the fill value (a grayscale value in 0-255, as documented) outside the image, exactly; angles that put a pixel within 1e-5 of a rounding tie are not generated (there float32 rounding of the coordinate decides)',
  inputs: rotateInputs(float32()),
  special: rotateInputs(specialValues()),
  op: ({ p }) => tf.image.rotateWithOffset(as4(p.image), p.radians, p.fill, p.center),
  source: '({ p }) => tf.image.rotateWithOffset(p.image, p.radians, p.fill, p.center)',
  reference: { exact: ({ p }) => images.rotateWithOffset(p.image, p.radians, p.fill, p.center), tolerance: TOLERANCES.exact },
  runs: 300,
}) as OpInfo;

const FILL = 0.5;
type Tr = { t: { image: TensorValue; transforms: TensorValue } };
const transformInputs = (e: Elements) => ({
  t: tensors({
    dims: { b: dim(1, 2), h: dim(1, 5), w: dim(1, 5), c: dim(1, 2) },
    tensors: { image: { shape: ['b', 'h', 'w', 'c'], elements: e }, transforms: { shape: ['b', 8], elements: grid(-2, 2, 8) } },
  }).map((t) => ({
    image: t.image,
    // the projective terms c0, c1 in [-1/4, 1/4] (multiples of 1/64)
    transforms: tensorValue(
      t.transforms.shape,
      Float32Array.from(t.transforms.data, (v, i) => (i % 8 >= 6 ? v / 8 : v)),
      'float32',
    ),
  })),
});

function transformEntry(interpolation: images.TransformInterpolation, fillMode: images.TransformFill): OpInfo {
  return opInfo<Tr>({
    name: `image.transform ${interpolation}`,
    family: 'layer',
    promise:
      interpolation === 'bilinear'
        ? `every output pixel of every image is the exact weighted sum of the four pixels around its projected coordinate (pixels outside the image read the fill value ${FILL}; a pixel of weight 0 takes no part), within the error of the lerp formula`
        : 'every output pixel of every image copies the pixel nearest to its projected coordinate clamped to the image (fillMode nearest), exactly',
    inputs: transformInputs(float32()),
    special: transformInputs(specialValues()),
    op: ({ t }) => tf.image.transform(as4(t.image), t.transforms as tf.Tensor2D, interpolation, fillMode, FILL),
    source: `({ t }) => tf.image.transform(t.image, t.transforms, '${interpolation}', '${fillMode}', ${FILL})`,
    reference: {
      exact: ({ t }) => images.transform(t.image, t.transforms, interpolation, fillMode, FILL),
      tolerance: interpolation === 'bilinear' ? TOLERANCES.resize : TOLERANCES.exact,
    },
    runs: 300,
  }) as OpInfo;
}

export const imageTable: OpInfo[] = [
  flipLeftRight,
  cropEntry('bilinear'),
  cropEntry('nearest'),
  rotateWithOffset,
  transformEntry('bilinear', 'constant'),
  transformEntry('nearest', 'nearest'),
];
