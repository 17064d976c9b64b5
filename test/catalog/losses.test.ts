/**
 * The loss entries of the catalog find planted numerical defects in the kernels they run, with a
 * minimal input in the defect's zone, and pass on the real kernels where tfjs is right; the known
 * real findings are found; and the negative controls (a correctly rounded overflow, exact
 * cancellation in a sum, NaN propagated, all-zero weights) are never findings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
  MIN_NORMAL,
  MIN_SUBNORMAL,
  binaryLabels,
  float32,
  nextDown,
  probabilities,
  runProperty,
  tensorValue,
  tensors,
  type Property,
  type TensorValue,
} from '../../src/index.ts';
import { entryProperties, type OpInfo } from '../../src/catalog/op-info.ts';
import { OP_TABLE } from '../../properties/index.ts';

const entry = (name: string): OpInfo => {
  const e = OP_TABLE.find((x) => x.name === name);
  if (!e) throw new Error(`no catalog entry ${name}`);
  return e;
};
/** The entry's properties by name. */
const prop = (name: string): Property => {
  for (const e of OP_TABLE) for (const p of entryProperties(e)) if (p.name === name) return p as Property;
  throw new Error(`no catalog property ${name}`);
};
/** The entry's value property (judged by its exact reference) on other inputs. */
function valueOn(name: string, inputs: OpInfo['inputs']): Property {
  const { special: _s, large: _l, gradient: _g, ...rest } = entry(name);
  return entryProperties({ ...rest, inputs })[0] as Property;
}
/** The entry's value property on one input: a negative control passes, whatever the seed. */
const on = (name: string, input: Record<string, unknown>): Property =>
  valueOn(name, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, fc.constant(v)])) as OpInfo['inputs']);
const lp = (labels: number[], predictions: number[]) => ({
  t: { labels: tensorValue([1, labels.length], labels), predictions: tensorValue([1, predictions.length], predictions) },
});
const isSubnormal = (v: number): boolean => v !== 0 && Math.abs(v) < MIN_NORMAL;
const data = (c: unknown, key: 'labels' | 'predictions' | 'losses' | 'weights'): number[] => Array.from((c as { t: Record<string, TensorValue> }).t[key]!.data);

describe('planted broken kernels are caught by the loss entries', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  /** Replace a cpu kernel by one that post-processes its output in place (bool outputs included). */
  function plant(kernelName: string, edit: (input: ArrayLike<number>, output: { [i: number]: number; length: number }) => void): void {
    const original = tf.getKernel(kernelName, 'cpu')!;
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const backend = args.backend as unknown as { readSync(id: object): ArrayLike<number>; data: { get(id: object): { values: Float32Array } } };
        edit(backend.readSync(Object.values(args.inputs)[0]!.dataId), backend.data.get(out.dataId).values);
        return out;
      },
    });
    restore = () => {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel(original);
      restore = undefined;
    };
  }

  it('a Log kernel returning -Infinity for subnormal inputs fails `losses.logLoss epsilon=0`, shrunk to a subnormal prediction', () => {
    // predictions in (0, 1): where tfjs's logLoss with epsilon 0 is right (0·log 0 is the known finding at 0 and 1)
    const open = valueOn('losses.logLoss epsilon=0', {
      t: tensors({
        dims: { b: { min: 1, max: 4 }, c: { min: 1, max: 4 } },
        tensors: {
          labels: { shape: ['b', 'c'], elements: probabilities() },
          predictions: { shape: ['b', 'c'], elements: float32({ min: MIN_SUBNORMAL, max: nextDown(1) }) },
        },
      }),
    });
    expect(runProperty(open, { seed: 3, runs: 200 }).status).toBe('passed');
    plant('Log', (x, y) => {
      for (let i = 0; i < y.length; i++) if (isSubnormal(x[i]!)) y[i] = -Infinity;
    });
    const r = runProperty(open, { seed: 3, runs: 200 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (logLoss)' } });
    const p = data(r.counterexample, 'predictions');
    expect(p.length).toBe(1);
    expect(isSubnormal(p[0]!)).toBe(true);
    expect(r.provenance?.born?.kernel).toBe('Log');
  });

  it('a Log1p kernel flushing subnormal results to 0 fails `losses.sigmoidCrossEntropy` at a logit where exp(-|x|) is subnormal', () => {
    // 0/1 labels and logits from -110 to -80: exp(-|x|) is subnormal from -103.97 to -87.34 (the loss of label 0 is that tiny value)
    const moderate = valueOn('losses.sigmoidCrossEntropy', {
      t: tensors({
        dims: { b: { min: 1, max: 3 }, c: { min: 1, max: 3 } },
        tensors: { labels: { shape: ['b', 'c'], elements: binaryLabels() }, predictions: { shape: ['b', 'c'], elements: float32({ min: -110, max: -80 }) } },
      }),
    });
    expect(runProperty(moderate, { seed: 5, runs: 300 }).status).toBe('passed');
    plant('Log1p', (_x, y) => {
      for (let i = 0; i < y.length; i++) if (isSubnormal(y[i]!)) y[i] = 0;
    });
    const r = runProperty(moderate, { seed: 5, runs: 300 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (sigmoidCrossEntropy)' } });
    const x = data(r.counterexample, 'predictions');
    expect(x.length).toBe(1);
    // exp(-|x|) is subnormal for |x| in (87.34, 103.97)
    expect(Math.abs(x[0]!)).toBeGreaterThan(87.33);
    expect(Math.abs(x[0]!)).toBeLessThan(104);
  });

  it('a Sum kernel accumulating left to right in float32 fails `losses.absoluteDifference large`; the real one (float64 accumulation) passes', () => {
    const large = prop('losses.absoluteDifference large');
    expect(runProperty(large, { seed: 2, runs: 5 }).status).toBe('passed');
    plant('Sum', (x, y) => {
      if (y.length !== 1) return; // full reductions only (the losses' mean)
      let s = 0;
      for (let i = 0; i < x.length; i++) s = Math.fround(s + x[i]!);
      y[0] = s;
    });
    const r = runProperty(large, { seed: 2, runs: 5 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (absoluteDifference)' } });
    // shrunk by halving the length while the naive sum is still out of its error bound: thousands of terms, not a million
    expect(data(r.counterexample, 'labels').length).toBeLessThan(1e5);
  });

  it('a NotEqual kernel counting zero weights as non-zero fails `losses.computeWeightedLoss SUM_BY_NONZERO_WEIGHTS` with a zero weight', () => {
    const w = float32({ min: 0, max: 10, weights: { zero: 4 } });
    const bounded = valueOn('losses.computeWeightedLoss SUM_BY_NONZERO_WEIGHTS', {
      t: tensors({
        dims: { b: { min: 1, max: 4 }, c: { min: 1, max: 4 } },
        tensors: { losses: { shape: ['b', 'c'], elements: float32({ min: -100, max: 100 }) }, weights: { shape: ['b', 'c'], elements: w } },
      }),
    });
    expect(runProperty(bounded, { seed: 4, runs: 200 }).status).toBe('passed');
    plant('NotEqual', (_x, y) => {
      for (let i = 0; i < y.length; i++) y[i] = 1;
    });
    const r = runProperty(bounded, { seed: 4, runs: 200 });
    expect(r.status).toBe('failed');
    expect(data(r.counterexample, 'weights')).toContain(0);
  });
});

describe('the real tfjs findings of the loss entries', () => {
  it('summing before dividing overflows where the exact mean is finite (absoluteDifference, huberLoss, sigmoidCrossEntropy)', () => {
    for (const name of ['losses.absoluteDifference', 'losses.huberLoss', 'losses.sigmoidCrossEntropy']) {
      const r = runProperty(prop(name), { seed: 0 });
      expect(r.status, name).toBe('failed');
      expect(r.provenance?.born?.kernel, name).toBe('Sum');
    }
  });

  it("softmaxCrossEntropy's gradient with respect to the labels is softmax - labels instead of logSumExp(x) - x", () => {
    const r = runProperty(prop('losses.softmaxCrossEntropy gradient'), { seed: 0, runs: 50 });
    expect(r.status).toBe('failed');
    const v = r.failure?.kind === 'violation' ? r.failure.violation.message : '';
    expect(v).toMatch(/^grad\(labels\)/);
  });

  it('a +Infinity logit makes sigmoidCrossEntropy NaN where its limit is Infinity (or 0)', () => {
    const r = runProperty(prop('losses.sigmoidCrossEntropy special values'), { seed: 0, runs: 100 });
    expect(r.status).toBe('failed');
    expect(data(r.counterexample, 'predictions').some((v) => !Number.isFinite(v))).toBe(true);
  });
});

describe('negative controls: never findings', () => {
  it('a huge logit whose exact loss overflows float32: Infinity is the correctly rounded answer', () => {
    expect(runProperty(on('losses.sigmoidCrossEntropy', lp([-1], [3.4028234663852886e38])), { seed: 0, runs: 1 }).status).toBe('passed');
    expect(runProperty(on('losses.meanSquaredError', lp([3e38], [-3e38])), { seed: 0, runs: 1 }).status).toBe('passed');
  });

  it('exact cancellation in the weighted sum (1e30 + 1 - 1e30 summed to 0 is within the accumulation bound)', () => {
    const t = { losses: tensorValue([1, 3], [3e38, 1, -3e38]), weights: tensorValue([], [1]) };
    expect(runProperty(on('losses.computeWeightedLoss SUM', { t }), { seed: 0, runs: 1 }).status).toBe('passed');
  });

  it('NaN propagated: a NaN label gives a NaN loss; an infinite logit with label 1 at +Infinity has limit 0 only in the reference', () => {
    expect(runProperty(on('losses.absoluteDifference', lp([Number.NaN, 1], [0, 0])), { seed: 0, runs: 1 }).status).toBe('passed');
    expect(runProperty(on('losses.hingeLoss', lp([1, 0], [Infinity, Infinity])), { seed: 0, runs: 1 }).status).toBe('passed'); // 0 and +Infinity, as tfjs
  });

  it('all-zero weights under every Reduction: 0 for NONE and SUM, 0/0 = NaN for MEAN and SUM_BY_NONZERO_WEIGHTS', () => {
    const t = { losses: tensorValue([2, 2], [1, 2, 3, 4]), weights: tensorValue([2, 1], [0, 0]) };
    for (const r of ['NONE', 'SUM', 'MEAN', 'SUM_BY_NONZERO_WEIGHTS']) {
      expect(runProperty(on(`losses.computeWeightedLoss ${r}`, { t }), { seed: 0, runs: 1 }).status, r).toBe('passed');
    }
  });

  it('every negative control leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    runProperty(on('losses.logLoss', lp([0.5], [0.25])), { seed: 0, runs: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
