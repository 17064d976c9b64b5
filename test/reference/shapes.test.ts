import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as sh from '../../src/reference/shapes.ts';
import type { IndexMap } from '../../src/reference/shapes.ts';

const map = (m: IndexMap): number[] => Array.from(m.map);
/** 1, 2, 3, ...: element i holds i + 1, so 0 in an output is padding. */
const iota = (shape: number[]) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
    shape,
  );
/** tfjs's result on an iota input: the flat index each output element copies, -1 for padding (tfjs is right on these copies). */
const viaTfjs = (f: (x: tf.Tensor) => tf.Tensor, shape: number[]): number[] => tf.tidy(() => Array.from(f(iota(shape)).dataSync(), (v) => v - 1));

describe('index maps of shape ops', () => {
  it('follow the definitions (hand-checked examples)', () => {
    expect(map(sh.sliceMap([3, 4], [1, 1], [2, 2]))).toEqual([5, 6, 9, 10]);
    expect(map(sh.padMap([3], [[2, 2]], 'reflect'))).toEqual([2, 1, 0, 1, 2, 1, 0]);
    expect(map(sh.padMap([3], [[2, 2]], 'symmetric'))).toEqual([1, 0, 0, 1, 2, 2, 1]);
    expect(map(sh.padMap([2], [[1, 0]]))).toEqual([-1, 0, 1]);
    expect(map(sh.transposeMap([2, 3]))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(map(sh.tileMap([2], [3]))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(
      map(
        sh.concatMap(
          [
            [1, 2],
            [1, 1],
          ],
          1,
        ),
      ),
    ).toEqual([0, 1, 2]);
    expect(sh.unstackMaps([2, 2], 1).map(map)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it('agree with tfjs on copies', () => {
    const cases: [string, number[], (x: tf.Tensor) => tf.Tensor, IndexMap][] = [
      ['reverse', [2, 3, 2], (x) => tf.reverse(x, [0, 2]), sh.reverseMap([2, 3, 2], [0, 2])],
      ['stridedSlice', [5, 4], (x) => tf.stridedSlice(x, [1, 1], [5, 4], [2, 2]), sh.stridedSliceMap([5, 4], [1, 1], [5, 4], [2, 2])],
      [
        'gather',
        [4, 3],
        (x) => tf.gather(x, tf.tensor1d([3, 0, 3], 'int32'), 0),
        sh.gatherIndexMap([4, 3], { shape: [3], size: 3, data: Float64Array.of(3, 0, 3) }, 0),
      ],
      [
        'gatherND',
        [3, 3, 2],
        (x) =>
          tf.gatherND(
            x,
            tf.tensor2d(
              [
                [2, 1],
                [0, 0],
              ],
              [2, 2],
              'int32',
            ),
          ),
        sh.gatherNDMap([3, 3, 2], { shape: [2, 2], size: 4, data: Float64Array.of(2, 1, 0, 0) }),
      ],
      ['stack', [2, 2], (x) => tf.stack([x, tf.add(x, 4)], 1), sh.stackMap([2, 2], 2, 1)],
      [
        'spaceToBatchND',
        [1, 3, 2, 1],
        (x) =>
          tf.spaceToBatchND(
            x,
            [2, 2],
            [
              [0, 1],
              [1, 1],
            ],
          ),
        sh.spaceToBatchMap(
          [1, 3, 2, 1],
          [2, 2],
          [
            [0, 1],
            [1, 1],
          ],
        ),
      ],
      [
        'batchToSpaceND',
        [4, 2, 2, 1],
        (x) =>
          tf.batchToSpaceND(
            x,
            [2, 2],
            [
              [0, 1],
              [1, 0],
            ],
          ),
        sh.batchToSpaceMap(
          [4, 2, 2, 1],
          [2, 2],
          [
            [0, 1],
            [1, 0],
          ],
        ),
      ],
      ['depthToSpace', [1, 2, 1, 8], (x) => tf.depthToSpace(x as tf.Tensor4D, 2), sh.depthToSpaceMap([1, 2, 1, 8], 2)],
      [
        'mirrorPad',
        [2, 3],
        (x) =>
          tf.mirrorPad(
            x,
            [
              [1, 1],
              [2, 2],
            ],
            'reflect',
          ),
        sh.padMap(
          [2, 3],
          [
            [1, 1],
            [2, 2],
          ],
          'reflect',
        ),
      ],
    ];
    for (const [name, shape, f, m] of cases) {
      // stack's second input is x + 4: its element i reads as index i + 4, as the inputs are laid end to end
      expect(map(m), name).toEqual(viaTfjs(f, shape));
    }
  });

  it('derivatives count the copies; scatterND adds duplicates exactly; oneHot gives zero rows out of range', () => {
    const d = sh.mapDerivative([[3]], sh.padMap([3], [[2, 2]], 'reflect'));
    expect(Array.from(d[0]!.values)).toEqual([2, 3, 2]);
    const s = sh.scatterND({ shape: [3, 1], data: [1, 1, 0] }, { shape: [3, 1], data: [3e38, -3e38, 5] }, [2, 1]);
    expect(Array.from(s.values)).toEqual([5, 0]);
    expect(Array.from(sh.oneHot([1, -1, 3], 3).values)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const u = sh.tensorScatterUpdateMap([3], { shape: [1, 1], size: 1, data: Float64Array.of(2) }, 1);
    expect(Array.from(sh.gatherMap([[7, 8, 9], [1]], u).values)).toEqual([7, 8, 1]);
  });
});
