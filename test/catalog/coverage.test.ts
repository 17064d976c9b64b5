/**
 * Coverage, machine-checked: every kernel the cpu backend registers and every function of
 * tf.losses and tf.train is covered by a catalog entry (measured by running each property once
 * with kernel recording) or excluded with a reason (properties/coverage.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { OP_TABLE } from '../../properties/index.ts';
import { COVERAGE } from '../../properties/coverage.ts';
import {
  EXCLUSION_CATEGORIES,
  catalogCoverage,
  coverageReport,
  entryOp,
  formatCoverage,
  measureCoverage,
  namespaceFunctions,
  tfHasOp,
  type CoverageData,
  type CoverageMeasurement,
  type CoverageReport,
} from '../../src/catalog/coverage.ts';
import { opInfo, type OpInfo } from '../../src/catalog/op-info.ts';
import { float32, tensor, type TensorValue } from '../../src/index.ts';

/**
 * Kernels the catalog covers at least (value, and gradient where tfjs registers one). Raise it as
 * entries are added; issue 14's target is 140 of the 172 kernels of tfjs 4.22's cpu backend.
 */
const COVERED_AT_LEAST = 143;

let report: CoverageReport;
beforeAll(() => {
  report = catalogCoverage(OP_TABLE, COVERAGE, { seed: 0 });
});

describe('the catalog coverage table', () => {
  it('classifies every cpu kernel and every tf.losses / tf.train function: nothing unclassified, no stale exclusion, no unknown op', () => {
    expect(report.problems).toEqual([]);
    expect(report.totals.kernels).toBe(tf.getKernelsForBackend('cpu').length);
    expect(report.totals.kernels).toBe(172); // tfjs 4.22
    expect(report.totals.uncovered).toBe(0);
  });

  it(`covers at least ${COVERED_AT_LEAST} kernels, and every function of tf.losses and tf.train`, () => {
    expect(report.totals.covered).toBeGreaterThanOrEqual(COVERED_AT_LEAST);
    expect(report.totals.functions).toBe(16);
    expect(report.totals.functionsCovered).toBe(16);
    // every loss is differentiated by some gradient property
    for (const r of report.rows.filter((x) => x.name.startsWith('losses.'))) expect(r.gradient.length, r.name).toBeGreaterThan(0);
  });

  it('is measured, not declared: the kernels each loss entry runs, forward and backward, with their gradients', () => {
    const row = (name: string) => report.rows.find((r) => r.name === name)!;
    expect(row('SquaredDifference').value).toContain('losses.meanSquaredError');
    expect(row('SquaredDifference').gradient).toContain('losses.meanSquaredError');
    expect(row('Log1p').value).toContain('losses.sigmoidCrossEntropy');
    // LRNGrad runs only inside LRN's gradient function: a backward kernel, judged by the gradient check
    expect(row('LRNGrad').value).toEqual([]);
    expect(row('LRNGrad').backward).toEqual(['localResponseNormalization']);
    expect(row('LRNGrad').status).toBe('covered');
    // the NotEqual of computeWeightedLoss (SUM_BY_NONZERO_WEIGHTS) has no gradient in tfjs
    expect(row('NotEqual').hasGradient).toBe(false);
    expect(row('losses.computeWeightedLoss').value).toEqual(expect.arrayContaining(['losses.computeWeightedLoss MEAN', 'losses.computeWeightedLoss SUM']));
  });

  it('every exclusion has a known category and a reason', () => {
    for (const group of [COVERAGE.kernels, COVERAGE.gradients, COVERAGE.functions]) {
      for (const [k, e] of Object.entries(group)) {
        expect(Object.keys(EXCLUSION_CATEGORIES), k).toContain(e.category);
        expect(e.reason.length, k).toBeGreaterThan(3);
      }
    }
  });

  it('prints one row per kernel and function, then the totals', () => {
    const lines = formatCoverage(report);
    expect(lines.filter((l) => /^(Abs|Exp|losses\.logLoss|train\.adam) /.test(l))).toHaveLength(4);
    expect(lines.join('\n')).toMatch(new RegExp(`${report.totals.covered} of 172 cpu kernels covered`));
    expect(lines.join('\n')).toContain('tf.losses and tf.train: 16 of 16 functions covered');
  });
});

describe('the measurement', () => {
  type X = { x: TensorValue };
  const exp: OpInfo<X> = opInfo<X>({
    name: 'exp',
    family: 'unary',
    promise: 'test entry',
    inputs: { x: tensor({ shape: [3], elements: float32({ min: -1, max: 1 }) }) },
    op: ({ x }) => tf.exp(x),
    gradient: true,
  });

  it('attributes only the kernels an entry runs, its gradient when its gradient property calls it, and restores what it wrapped', () => {
    const before = tf.memory().numTensors;
    const gradExp = tf.getGradient('Exp')!.gradFunc;
    const logLoss = tf.losses.logLoss;
    const adam = tf.train.adam;
    const m = measureCoverage([exp as OpInfo], { seed: 1 });
    expect(m.properties).toBe(2); // value and gradient
    expect(m.value.get('Exp')).toEqual(['exp']);
    expect(m.gradient.get('Exp')).toEqual(['exp']);
    // exp's gradient is dy·exp(x): a Multiply inside the gradient function
    expect(m.backward.get('Multiply')).toEqual(['exp']);
    expect(m.value.get('Multiply')).toBeUndefined();
    expect(m.value.get('Log')).toBeUndefined();
    expect(m.functions.size).toBe(0);
    expect(tf.getGradient('Exp')!.gradFunc).toBe(gradExp);
    expect(tf.losses.logLoss).toBe(logLoss);
    expect(tf.train.adam).toBe(adam);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('notes the tf.losses and tf.train functions an entry calls', () => {
    type L = { y: TensorValue };
    const entry = opInfo<L>({
      name: 'losses.logLoss test',
      family: 'loss',
      promise: 'test entry',
      inputs: { y: tensor({ shape: [2], elements: float32({ min: 0, max: 1 }) }) },
      op: ({ y }) => tf.losses.logLoss(y, y),
    });
    const m = measureCoverage([entry as OpInfo]);
    expect(m.functions.get('losses.logLoss')).toEqual({ value: ['losses.logLoss test'], gradient: [] });
  });
});

describe('the classification can fail', () => {
  const none: CoverageData = { kernels: {}, gradients: {}, functions: {}, compositions: {} };
  const measured = (
    value: Record<string, string[]>,
    gradient: Record<string, string[]> = {},
    backward: Record<string, string[]> = {},
  ): CoverageMeasurement => ({
    backend: 'cpu',
    value: new Map(Object.entries(value)),
    backward: new Map(Object.entries(backward)),
    gradient: new Map(Object.entries(gradient)),
    functions: new Map([['losses.logLoss', { value: ['losses.logLoss'], gradient: ['losses.logLoss'] }]]),
    properties: 1,
    errors: [],
  });
  const classify = (m: CoverageMeasurement, data: CoverageData, entries: string[] = ['exp']) =>
    coverageReport({ kernels: ['Exp', 'Fill', 'Step'], hasGradient: (k) => k !== 'Fill', functions: ['losses.logLoss'], measurement: m, data, entries });

  it('a kernel neither covered nor excluded, and a registered gradient no property calls, are problems', () => {
    const r = classify(measured({ Exp: ['exp'] }), none);
    expect(r.problems).toEqual([
      "kernel 'Exp': its value is covered but no property calls its registered gradient (cover it, or exclude the gradient with a reason)",
      "kernel 'Fill' is neither covered by a catalog entry nor excluded with a reason",
      "kernel 'Step' is neither covered by a catalog entry nor excluded with a reason",
    ]);
    expect(r.totals).toMatchObject({ covered: 0, partial: 1, uncovered: 2 });
  });

  it('exclusions: accepted while the kernel is not covered, stale once it is, unknown when the backend lacks the kernel', () => {
    const data: CoverageData = {
      ...none,
      kernels: {
        Fill: { category: 'creation', reason: 'a constant tensor' },
        Step: { category: 'pending', reason: 'soon' },
        Exp: { category: 'pending', reason: 'x' },
        Foo: { category: 'shape', reason: 'y' },
      },
      gradients: { Exp: { category: 'pending', reason: 'gradient entry' } },
    };
    const r = classify(measured({ Exp: ['exp'] }), data);
    expect(r.problems).toEqual([
      "exclusion names kernel 'Foo', which the cpu backend does not register",
      "exclusion of kernel 'Exp' is stale: exp run it (remove it from the exclusions)",
    ]);
    expect(r.rows.map((x) => x.status)).toEqual(['partial', 'excluded', 'pending', 'covered']);
    // a gradient called by an entry makes its gradient exclusion stale
    const r2 = classify(measured({ Exp: ['exp'] }, { Exp: ['exp'] }), {
      ...none,
      kernels: { Fill: data.kernels.Fill!, Step: data.kernels.Step! },
      gradients: data.gradients,
    });
    expect(r2.problems).toEqual(["gradient exclusion of kernel 'Exp' is stale: exp call its gradient"]);
    expect(r2.totals.covered).toBe(1);
  });

  it('an entry naming an op tfjs does not have is a problem, unless declared a composition; stale compositions too', () => {
    const data: CoverageData = { ...none, kernels: { Fill: { category: 'creation', reason: 'a' }, Step: { category: 'creation', reason: 'b' } } };
    const m = measured({ Exp: ['exp'] }, { Exp: ['exp'] });
    expect(classify(m, data, ['exp', 'gelu']).problems).toEqual([
      "entry 'gelu' names tf.gelu, which tfjs does not have (list it in the compositions if it composes ops)",
    ]);
    expect(classify(m, { ...data, compositions: { gelu: 'x·Φ(x) from erf' } }, ['exp', 'gelu']).problems).toEqual([]);
    expect(classify(m, { ...data, compositions: { gone: 'an old entry' } }, ['exp']).problems).toEqual(["composition 'gone' is not a catalog entry (stale)"]);
    expect(entryOp('losses.logLoss epsilon=0')).toEqual({ ns: 'losses', fn: 'logLoss' });
    expect(entryOp('train.rmsprop centered 1 step')).toEqual({ ns: 'train', fn: 'rmsprop' });
    expect(tfHasOp('train.adam 3 steps')).toBe(true);
    expect(tfHasOp('losses.crossEntropy')).toBe(false);
    expect(tfHasOp('toString')).toBe(false);
    expect(namespaceFunctions()).toHaveLength(16);
  });
});
