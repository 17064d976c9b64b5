/**
 * The entries of the last kernels covered (issue 14): addN, sparse segment sums and means,
 * dilation2d and its gradient, maxPoolWithArgmax and tf.image's flipLeftRight, cropAndResize,
 * rotateWithOffset and transform, on real tfjs cpu kernels: planted defects are found in their
 * zone while the real kernels pass there, negative controls are not findings, and the tfjs 4.22
 * bugs these entries report are found on a minimal input.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkOnce, float32, runProperty, tensors, tensorValue, type Property, type TensorValue } from '../../src/index.ts';
import { catalogProperties, type OpInfo } from '../../src/catalog/op-info.ts';
import { OP_TABLE } from '../../properties/index.ts';
import * as images from '../../src/reference/images.ts';

const all = catalogProperties(OP_TABLE);
const byName = (name: string): Property => {
  const p = all.find((q) => q.name === name);
  if (!p) throw new Error(`no catalog property ${name}`);
  return p;
};
const entry = (name: string): OpInfo => {
  const e = OP_TABLE.find((q) => q.name === name);
  if (!e) throw new Error(`no catalog entry ${name}`);
  return e;
};
/** The value property of an entry on other inputs (a zone where the real kernel is right). */
const inZone = (name: string, inputs: OpInfo['inputs'], runs = 200): Property =>
  catalogProperties([{ ...entry(name), name: `${name} zone`, inputs, runs }])[0]!;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Backend = {
  readSync(id: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void;
};
type Args = { inputs: Record<string, tf.TensorInfo>; backend: Backend; attrs: tf.NamedAttrMap };

describe('planted defects are found in their zone, the real kernels pass there', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  /** Register `kernelFunc` over the cpu kernel `kernelName` (restored after the test). */
  function plant(kernelName: string, kernelFunc: (args: Args, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]): void {
    const original = tf.getKernel(kernelName, 'cpu')!;
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ ...original, kernelFunc: (args) => kernelFunc(args as never, original.kernelFunc) as tf.TensorInfo });
    restore = () => {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel(original);
      restore = undefined;
    };
  }

  it('an AddN that drops its last term fails `addN` (on values whose sums stay finite) with two terms; the real AddN passes', () => {
    const moderate = inZone('addN', {
      x: tensors({
        dims: { k: { min: 2, max: 6 }, n: { min: 1, max: 4 } },
        tensors: { x: { shape: ['k', 1, 'n'], elements: float32({ min: -1e30, max: 1e30 }) } },
      }).map((t) => t.x),
    });
    expect(runProperty(moderate, { seed: 1 }).status).toBe('passed');
    plant('AddN', (args, original) => {
      // the cpu kernel maps over its inputs: an array of the terms
      const terms = Object.values(args.inputs);
      return original({ ...args, inputs: terms.slice(0, -1) } as never) as tf.TensorInfo;
    });
    const r = runProperty(moderate, { seed: 1 });
    expect(r.status).toBe('failed');
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(x.shape[0]).toBe(2);
    expect(x.data[x.data.length - 1]).not.toBe(0);
  });

  it('a SparseSegmentSum that counts each picked row once fails `sparse.sparseSegmentSum` with a row picked twice; the real kernel passes', () => {
    const p = byName('sparse.sparseSegmentSum');
    expect(runProperty(p, { seed: 2 }).status).toBe('passed');
    plant('SparseSegmentSum', (args, original) => {
      const idx = Int32Array.from(args.backend.readSync(args.inputs.indices!.dataId));
      const ids = args.backend.readSync(args.inputs.segmentIds!.dataId);
      // a repeated (row, segment) pair picks row 0 instead: as if duplicates were dropped
      const seen = new Set<string>();
      for (let i = 0; i < idx.length; i++) {
        const key = `${idx[i]},${ids[i]}`;
        if (seen.has(key)) idx[i] = 0;
        seen.add(key);
      }
      const indices = args.backend.makeTensorInfo([idx.length], 'int32', idx);
      const out = original({ ...args, inputs: { ...args.inputs, indices } }) as tf.TensorInfo;
      args.backend.disposeIntermediateTensorInfo(indices);
      return out;
    });
    const r = runProperty(p, { seed: 2 });
    expect(r.status).toBe('failed');
    const { indices } = (r.counterexample as { t: { indices: TensorValue } }).t;
    expect(indices.data.length).toBeLessThanOrEqual(3);
  });

  it('a Dilation2D that ignores the filter fails `dilation2d valid` (values of moderate size) with a non-zero tap; the real kernel passes', () => {
    const zone = inZone('dilation2d valid', {
      t: tensors({
        dims: { h: { min: 3, max: 5 }, w: { min: 3, max: 5 }, fh: { min: 1, max: 2 }, fw: { min: 1, max: 2 } },
        tensors: {
          x: { shape: [1, 'h', 'w', 1], elements: float32({ min: -1e6, max: 1e6 }) },
          f: { shape: ['fh', 'fw', 1], elements: float32({ min: -1e6, max: 1e6 }) },
        },
      }),
    });
    expect(runProperty(zone, { seed: 3 }).status).toBe('passed');
    plant('Dilation2D', (args, original) => {
      const f = args.inputs.filter!;
      const zeros = args.backend.makeTensorInfo(f.shape, 'float32', new Float32Array(tf.util.sizeFromShape(f.shape)));
      const out = original({ ...args, inputs: { ...args.inputs, filter: zeros } }) as tf.TensorInfo;
      args.backend.disposeIntermediateTensorInfo(zeros);
      return out;
    });
    const r = runProperty(zone, { seed: 3 });
    expect(r.status).toBe('failed');
    const { f } = (r.counterexample as { t: { f: TensorValue } }).t;
    expect(Array.from(f.data).some((v) => v !== 0)).toBe(true);
  });

  it('a MaxPoolWithArgmax whose indexes leave out the channel fails `maxPoolWithArgmax` with two channels; the real kernel passes', () => {
    const p = byName('maxPoolWithArgmax 3x3 stride 2 same');
    expect(runProperty(p, { seed: 4, runs: 200 }).status).toBe('passed');
    plant('MaxPoolWithArgmax', (args, original) => {
      const [result, indexes] = original(args) as unknown as [tf.TensorInfo, tf.TensorInfo];
      const c = args.inputs.x!.shape[3]!;
      const idx = Int32Array.from(args.backend.readSync(indexes.dataId), (v) => v - (v % c));
      args.backend.disposeIntermediateTensorInfo(indexes);
      return [result, args.backend.makeTensorInfo(indexes.shape, 'int32', idx)];
    });
    const r = runProperty(p, { seed: 4, runs: 200 });
    expect(r.status).toBe('failed');
    expect((r.counterexample as { x: TensorValue }).x.shape[3]).toBe(2);
  });

  it('a FlipLeftRight that copies the image fails `image.flipLeftRight` with a row of two different pixels; the real kernel passes', () => {
    const p = byName('image.flipLeftRight');
    expect(runProperty(p, { seed: 5 }).status).toBe('passed');
    plant('FlipLeftRight', (args) => {
      const x = args.inputs.image!;
      return args.backend.makeTensorInfo(x.shape, 'float32', Float32Array.from(args.backend.readSync(x.dataId)));
    });
    const r = runProperty(p, { seed: 5 });
    expect(r.status).toBe('failed');
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(x.shape).toEqual([1, 1, 2, 1]);
  });

  it('a CropAndResize (nearest) that floors the coordinate fails `image.cropAndResize nearest`; the real kernel passes', () => {
    const p = byName('image.cropAndResize nearest');
    expect(runProperty(p, { seed: 6 }).status).toBe('passed');
    plant('CropAndResize', (args, original) => {
      // sampling half a pixel up and left of the coordinate: round(v - 0.5) is floor(v) except at ties
      const boxes = args.inputs.boxes!;
      const [, h, w] = args.inputs.image!.shape as [number, number, number, number];
      const b = Float32Array.from(args.backend.readSync(boxes.dataId), (v, i) => v - 0.5 / Math.max(1, i % 2 === 0 ? h - 1 : w - 1));
      const shifted = args.backend.makeTensorInfo(boxes.shape, 'float32', b);
      const out = original({ ...args, inputs: { ...args.inputs, boxes: shifted } }) as tf.TensorInfo;
      args.backend.disposeIntermediateTensorInfo(shifted);
      return out;
    });
    expect(runProperty(p, { seed: 6 }).status).toBe('failed');
  });

  it('a RotateWithOffset that turns the other way fails `image.rotateWithOffset`; the real kernel passes', () => {
    const p = byName('image.rotateWithOffset');
    expect(runProperty(p, { seed: 7 }).status).toBe('passed');
    plant('RotateWithOffset', (args, original) => original({ ...args, attrs: { ...args.attrs, radians: -(args.attrs.radians as number) } }) as tf.TensorInfo);
    const r = runProperty(p, { seed: 7 });
    expect(r.status).toBe('failed');
    const { radians } = (r.counterexample as { p: { radians: number } }).p;
    expect(radians).not.toBe(0);
  });
});

describe('negative controls: no false positives', () => {
  const passes = (name: string, inputs: unknown): void => {
    const r = checkOnce(byName(name), inputs as never);
    expect(r.failure, `${name}: ${JSON.stringify(r.failure)}`).toBeUndefined();
  };
  it('exact cancellation in addN and a segment mean, a correctly rounded overflow, NaN from Infinity - Infinity', () => {
    passes('addN', { x: tensorValue([3, 1, 1], [3e38, 1, -3e38]) });
    passes('addN', { x: tensorValue([2, 1, 1], [3e38, 3e38]) }); // exact 6e38 rounds to Infinity
    passes('addN special values', { x: tensorValue([2, 1, 1], [Infinity, -Infinity]) });
    const seg = { data: tensorValue([2, 1], [1e8, -1e8]), indices: tensorValue([2], [0, 1], 'int32'), ids: tensorValue([2], [1, 1], 'int32') };
    passes('sparse.sparseSegmentMean', { t: seg });
  });
  it('image sampling at exact rounding ties and on pixel positions: half up for nearest, the pixel itself for bilinear', () => {
    const image = tensorValue([1, 4, 1, 1], [10, 11, 12, 13]);
    // crop 1 of a box at y = 0.5: the coordinate 1.5 rounds up to row 2
    passes('image.cropAndResize nearest', {
      t: { image, boxes: tensorValue([1, 4], [0.5, 0, 0.5, 0]), boxInd: tensorValue([1], [0], 'int32'), size: tensorValue([1, 1], [0], 'int32') },
    });
    passes('image.cropAndResize bilinear', {
      t: { image, boxes: tensorValue([1, 4], [0, 0, 1, 0]), boxInd: tensorValue([1], [0], 'int32'), size: tensorValue([4, 1], [0, 0, 0, 0], 'int32') },
    });
    passes('image.rotateWithOffset', { p: { image, radians: 0, fill: 7, center: [0.5, 0.5] } });
    // a quarter turn about a pixel corner lands every pixel on another pixel or outside
    passes('image.rotateWithOffset', { p: { image: tensorValue([1, 2, 2, 1], [1, 2, 3, 4]), radians: Math.PI / 2, fill: 0, center: [0.5, 0.5] } });
  });
  it('rotations whose pixels lie at rounding ties are not generated', () => {
    // a quarter turn about a pixel centre of a 2x2 image puts coordinates at k + 1/2 ± 1e-16
    expect(images.rotateAmbiguous([1, 2, 2, 1], Math.PI / 2, [0.25, 0.5])).toBe(true);
    expect(images.rotateAmbiguous([1, 2, 2, 1], 1, [0.5, 0.5])).toBe(false);
  });
});

describe('tfjs 4.22 bugs the entries report on cpu, on minimal inputs', () => {
  const fails = (name: string, inputs: unknown): string => {
    const r = checkOnce(byName(name), inputs as never);
    expect(r.failure, name).toBeDefined();
    return JSON.stringify(r.failure);
  };
  it('dilation2d starts its maximum at Number.MIN_SAFE_INTEGER: a window of sums below -9.0e15 gives -9007199254740992, and the gradient goes to the window corner', () => {
    const t = { x: tensorValue([1, 1, 1, 1], [-1e16]), f: tensorValue([1, 1, 1], [0]) };
    expect(fails('dilation2d valid', { t })).toContain('-9007199254740992');
    const g = { x: tensorValue([1, 2, 1, 1], [-2e16, -1e16]), f: tensorValue([2, 1, 1], [0, 0]) };
    expect(fails('dilation2d valid gradient', { t: g })).toContain('gradient');
  });
  it('maxPoolWithArgmax gives index -1 to a window of -Infinity', () => {
    expect(fails('maxPoolWithArgmax 3x3 stride 2 same special values', { x: tensorValue([1, 1, 1, 1], [-Infinity]) })).toContain('is -1');
  });
  it('transform returns after the first image: the others are the fill value', () => {
    const t = { image: tensorValue([2, 1, 1, 1], [1, 2]), transforms: tensorValue([2, 8], [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]) };
    expect(fails('image.transform nearest', { t })).toContain('output[1, 0, 0, 0] is 0.5');
  });
  it('cropAndResize (bilinear) sampling exactly on an infinite pixel is NaN (Infinity - Infinity in its lerp)', () => {
    const t = {
      image: tensorValue([1, 1, 1, 1], [Infinity]),
      boxes: tensorValue([1, 4], [0, 0, 0, 0]),
      boxInd: tensorValue([1], [0], 'int32'),
      size: tensorValue([1, 1], [0], 'int32'),
    };
    expect(fails('image.cropAndResize bilinear special values', { t })).toContain('is NaN');
  });
  it('sums accumulated in float32: addN and sparseSegmentMean overflow where the exact answer is finite', () => {
    expect(fails('addN', { x: tensorValue([3, 1, 1], [2e31, 3.4028234663852886e38, -1e31]) })).toContain('Infinity');
    const t = { data: tensorValue([1, 1], [2e38]), indices: tensorValue([2], [0, 0], 'int32'), ids: tensorValue([2], [0, 0], 'int32') };
    expect(fails('sparse.sparseSegmentMean', { t })).toContain('Infinity');
  });
});
