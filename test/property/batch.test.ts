// Batched screening (src/property/batch.ts): a batch-polymorphic property screens its generated
// cases many in one call, and its result — verdict, minimal counterexample, seed, path, runs,
// shrinks, error samples — is exactly that of the same run case by case: on the engine alone, on
// the catalog's elementwise and row-wise entries, and on a planted row-wise defect.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { PASS, search, type SearchOptions, type Trial } from '../../src/property/engine.ts';
import { batchOutcomes, screenCases } from '../../src/property/batch.ts';
import type { Outcome } from '../../src/run/execute.ts';
import { finite, property, propertySeed, runProperty, tensor, float32, type Property, type PropertyResult, type TensorValue } from '../../src/index.ts';
import { catalogProperties } from '../../src/catalog/op-info.ts';
import { OP_TABLE } from '../../properties/index.ts';

const all = catalogProperties(OP_TABLE);
const byName = (name: string): Property => {
  const p = all.find((q) => q.name === name);
  if (!p) throw new Error(`no catalog property ${name}`);
  return p;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The property with its subject's calls counted. */
function counted<I>(p: Property<I>): { property: Property<I>; calls: () => number } {
  let n = 0;
  const subject: Property<I>['subject'] = (x) => {
    n++;
    return p.subject(x);
  };
  return { property: { ...p, subject }, calls: () => n };
}

/** A result without its timing. */
const timeless = ({ durationMs: _, distinct, ...rest }: PropertyResult): Omit<PropertyResult, 'durationMs'> => ({
  ...rest,
  ...(distinct ? { distinct: distinct.map((d) => timeless(d) as PropertyResult) } : {}),
});

/** Run a property case by case and batched: both results (without timings) and the subject's calls of each. */
function both<I>(p: Property<I>, seed: number, runs: number) {
  const a = counted(p);
  const b = counted(p);
  const unbatched = runProperty(a.property, { seed, runs, batch: false });
  const batched = runProperty(b.property, { seed, runs });
  return { unbatched: timeless(unbatched), batched: timeless(batched), calls: { unbatched: a.calls(), batched: b.calls() } };
}

describe('engine: a screen', () => {
  const arbitrary = fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 6 });
  const fails = (a: readonly number[]) => a.length >= 3 && a[0]! > 50;
  const key = { kind: 'violation', invariant: 'small' } as const;
  const trial = (a: number[]): Trial<string> => (fails(a) ? { kind: 'fail', failure: a.join(), key } : PASS);

  it('replays only the cases it flags, with the outcome, path, shrinks and runs of a search case by case', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const plain = search({ arbitrary, trial }, { seed, runs: 200 });
      const tried: number[][] = [];
      const withScreen = search(
        {
          arbitrary,
          trial: (a, phase) => {
            if (phase === 'generate') tried.push(a);
            return trial(a);
          },
          screen: (cases) => cases.flatMap((c, i) => (fails(c) ? [i] : [])),
        },
        { seed, runs: 200 },
      );
      expect(plain.kind).toBe('failed');
      expect(withScreen).toEqual(plain);
      // only the first flagged case was generated for a trial
      expect(tried).toHaveLength(1);
      expect(plain).toMatchObject({ runs: fc.sample(arbitrary, { seed, numRuns: 200 }).findIndex(fails) + 1 });
    }
  });

  it('a flagged case that passes alone is passed over; a screen that declines leaves the search as it was', () => {
    const plain = search({ arbitrary, trial }, { seed: 7, runs: 200 });
    // flag every case: each is tried until the first real failure, with the same outcome
    const everything = search({ arbitrary, trial, screen: (cases) => cases.map((_, i) => i) }, { seed: 7, runs: 200 });
    expect(everything).toEqual(plain);
    const declined = search({ arbitrary, trial, screen: () => undefined }, { seed: 7, runs: 200 });
    expect(declined).toEqual(plain);
    // nothing fails: all runs counted
    const passing = search({ arbitrary, trial: () => PASS, screen: () => [] }, { seed: 7, runs: 200 });
    expect(passing).toEqual({ kind: 'passed', runs: 200, interrupted: false });
  });
});

describe('engine: a screen in the distinct phase', () => {
  // two ways to fail, with two keys: a large first element, a small second one
  const arbitrary = fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 6 });
  const large = { kind: 'violation', invariant: 'large first' } as const;
  const small = { kind: 'violation', invariant: 'small second' } as const;
  const trial = (a: number[]): Trial<string> =>
    a.length >= 3 && a[0]! > 50
      ? { kind: 'fail', failure: a.join(), key: large }
      : a.length >= 2 && a[1]! < -90
        ? { kind: 'fail', failure: a.join(), key: small }
        : PASS;
  const flags = (cases: readonly number[][]) => cases.flatMap((c, i) => (trial(c).kind === 'fail' ? [i] : []));
  /** The search case by case and with the screen, and the phase of every trial the screened one ran. */
  const bothSearches = (options: SearchOptions) => {
    const phases: string[] = [];
    const screened = search(
      {
        arbitrary,
        trial: (a, phase) => {
          phases.push(phase);
          return trial(a);
        },
        screen: flags,
      },
      options,
    );
    return { plain: search({ arbitrary, trial }, options), screened, phases };
  };

  it('finds the same distinct failures, trying only the cases it flags after the first failure', () => {
    let seedsWithTwo = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { plain, screened, phases } = bothSearches({ seed, runs: 300, distinct: 3 });
      expect(plain.kind).toBe('failed');
      expect(screened).toEqual(plain);
      // every window was screened: no case after the first failure was tried unflagged (phase distinct)
      expect(phases).not.toContain('distinct');
      if (plain.kind === 'failed' && plain.distinct?.length) seedsWithTwo++;
    }
    expect(seedsWithTwo).toBeGreaterThan(0);
  });

  it('after a saved example fails first, it screens every generated case, with the failures of the search case by case', () => {
    let seedsWithTwo = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      // a saved failure of the first kind, then one that passes: the first failure is the saved one
      const examples = [
        [60, 0, 0],
        [1, 2],
      ];
      const { plain, screened, phases } = bothSearches({ seed, runs: 300, distinct: 3, examples });
      expect(plain).toMatchObject({ kind: 'failed', example: 0 });
      expect(screened).toEqual(plain);
      // only the saved examples ran unscreened: the generated cases were all screened
      expect(phases.filter((ph) => ph === 'distinct')).toHaveLength(1);
      if (plain.kind === 'failed' && plain.distinct?.length) seedsWithTwo++;
    }
    expect(seedsWithTwo).toBeGreaterThan(0);
  });

  it('a window it declines after the first failure is tried case by case, with the same failures', () => {
    for (const seed of [1, 2, 3]) {
      const plain = search({ arbitrary, trial }, { seed, runs: 300, distinct: 3 });
      let windows = 0;
      // the first two windows screened, then every window declined
      const screen = (cases: readonly number[][]) => (windows++ < 2 ? flags(cases) : undefined);
      expect(search({ arbitrary, trial, screen }, { seed, runs: 300, distinct: 3 })).toEqual(plain);
    }
  });
});

describe('the catalog batched and case by case', () => {
  // elementwise (unary and binary) and row-wise entries of every kind: value, special values, gradient
  const passing = ['exp', 'sin', 'softmax', 'logSoftmax', 'sigmoid', 'relu', 'exp special values', 'softmax gradient', 'add', 'mul gradient'];
  it.each(passing)('%s: the same result, error samples included, from fewer calls', (name) => {
    const p = byName(name);
    const { unbatched, batched, calls } = both(p, 42, 200);
    expect(p.batch).toMatch(/^(rows|elementwise)$/);
    expect(unbatched.status).toBe('passed');
    expect(batched).toEqual(unbatched);
    // screened: fewer calls of the subject (how many fewer depends on how many shapes the cases share)
    expect(calls.batched).toBeLessThan(calls.unbatched * 0.75);
  });

  // findings of tfjs 4.22 on cpu (docs/catalog.md): elementwise, a gradient, row-wise, binary
  const failing = ['erf', 'elu', 'acosh gradient', 'logSoftmax special values', 'floorDiv', 'div gradient special values'];
  it.each(failing)('%s fails batched with the same minimal case, seed, path, runs, shrinks and error samples', (name) => {
    const p = byName(name);
    const { unbatched, batched } = both(p, propertySeed(0, name), p.runs ?? 100);
    expect(unbatched.status).toBe('failed');
    expect(batched).toEqual(unbatched);
  });
});

describe('the catalog with a saved failure, batched and case by case', () => {
  it.each(['elu', 'acosh gradient', 'logSoftmax special values'])(
    '%s: the saved case fails first; the generated ones are screened, with the same result and error samples',
    (name) => {
      const p = byName(name);
      const seed = propertySeed(0, name);
      const runs = p.runs ?? 100;
      const first = runProperty(p, { seed, runs, batch: false });
      expect(first.status).toBe('failed');
      const examples = [first.counterexample];
      const a = counted(p);
      const b = counted(p);
      const unbatched = timeless(runProperty(a.property, { seed, runs, batch: false, examples }));
      const batched = timeless(runProperty(b.property, { seed, runs, examples }));
      expect(unbatched.status).toBe('failed');
      expect(batched).toEqual(unbatched);
      expect(b.calls()).toBeLessThan(a.calls() * 0.75);
    },
  );
});

describe('a planted row-wise defect', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  interface CpuBackend {
    readSync(id: object): ArrayLike<number>;
    data: { get(id: object): { values: Float32Array } };
  }

  /** A Softmax kernel that returns NaN for every row (last axis) whose max exceeds `limit`. */
  function plantSoftmax(limit: number): void {
    const original = tf.getKernel('Softmax', 'cpu')!;
    tf.unregisterKernel('Softmax', 'cpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const backend = args.backend as unknown as CpuBackend;
        const logits = backend.readSync((args.inputs.logits as tf.TensorInfo).dataId);
        const values = backend.data.get(out.dataId).values;
        const n = out.shape[out.shape.length - 1] ?? 1;
        for (let row = 0; row < values.length; row += n) {
          let max = -Infinity;
          for (let j = row; j < row + n; j++) max = Math.max(max, logits[j]!);
          if (max > limit) values.fill(Number.NaN, row, row + n);
        }
        return out;
      },
    });
    restore = () => {
      tf.unregisterKernel('Softmax', 'cpu');
      tf.registerKernel(original);
    };
  }

  const inputs = { x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 32 }, elements: float32({ min: -10, max: 10 }) }) };
  const softmax = property({ name: 'softmax finite', inputs, subject: ({ x }) => tf.softmax(x), invariants: [finite()], batch: 'rows' });

  it('is found batched with the minimal case, seed, path, runs and shrinks of the run case by case', () => {
    plantSoftmax(9.5);
    for (const seed of [3, 4]) {
      const { unbatched, batched } = both(softmax, seed, 300);
      expect(unbatched.status).toBe('failed');
      expect(unbatched.counterexample).toMatchObject({ x: { data: expect.any(Float32Array) } });
      expect(batched).toEqual(unbatched);
    }
  });

  it('screenCases returns the indices of the failing cases among those it is given (for a search that goes on after a failure)', () => {
    plantSoftmax(9.5);
    const cases = fc.sample(softmax.arbitrary, { seed: 8, numRuns: 64 });
    // judged on each case's slice of the batched call
    const judge = (_: unknown, o: Outcome) => o.kind !== 'ok' || finite().check(o.observation) !== undefined;
    const rowMax = (x: TensorValue) => {
      const n = x.shape[x.shape.length - 1] ?? 1;
      let worst = -Infinity;
      for (let row = 0; row < x.data.length; row += n) worst = Math.max(worst, ...Array.from(x.data.subarray(row, row + n)));
      return worst;
    };
    const expected = cases.flatMap((c, i) => (rowMax((c as { x: TensorValue }).x) > 9.5 ? [i] : []));
    expect(expected.length).toBeGreaterThan(0);
    expect(screenCases(softmax, cases, 'rows', judge)).toEqual(expected);
  });

  it('the real kernel passes batched, as case by case', () => {
    const { unbatched, batched } = both(softmax, 3, 300);
    expect(unbatched.status).toBe('passed');
    expect(batched).toEqual(unbatched);
  });
});

describe('a subject that is not what it declares falls back to case by case', () => {
  const inputs = { x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 16 }, elements: float32({ min: -10, max: 10 }) }) };

  it('x - max(x) over all axes, declared row-wise: batching declines, the result is that of the run case by case', () => {
    const p = property({ name: 'x - max', inputs, subject: ({ x }) => tf.sub(x, tf.max(x)), invariants: [finite()], batch: 'rows' });
    const cases = fc.sample(p.arbitrary, { seed: 1, numRuns: 50 });
    expect(batchOutcomes(p, cases, 'rows')).toBeUndefined();
    const { unbatched, batched } = both(p, 1, 100);
    expect(batched).toEqual(unbatched);
  });

  it('a sum declared elementwise (its output is not one element per input element): declined, same result', () => {
    const p = property({ name: 'sum', inputs, subject: ({ x }) => tf.sum(x), invariants: [finite()], batch: 'elementwise' });
    expect(batchOutcomes(p, fc.sample(p.arbitrary, { seed: 2, numRuns: 50 }), 'elementwise')).toBeUndefined();
    const { unbatched, batched } = both(p, 2, 100);
    expect(batched).toEqual(unbatched);
  });

  it('a subject whose values depend on where a case lands in the call: the first window, checked case by case, declines', () => {
    // elements past the 16th of the call are zeroed: the first case of a call is right, the others are not
    const subject = ({ x }: { x: tf.Tensor }) => tf.mul(x, tf.cast(tf.less(tf.range(0, x.size), 16), 'float32').reshape(x.shape));
    const p = property({ name: 'position', inputs, subject, invariants: [finite()], batch: 'elementwise' });
    const cases = fc.sample(p.arbitrary, { seed: 3, numRuns: 32 });
    expect(batchOutcomes(p, cases, 'elementwise')).toHaveLength(32); // the first case of the call alone cannot tell
    expect(batchOutcomes(p, cases, 'elementwise', true)).toBeUndefined();
    const { unbatched, batched, calls } = both(p, 3, 100);
    expect(batched).toEqual(unbatched);
    expect(calls.batched).toBeGreaterThan(calls.unbatched); // declined: the detection's calls, then case by case
  });

  it('leaves no tensor behind, batched or declined', () => {
    const before = tf.memory().numTensors;
    both(byName('softmax'), 9, 50);
    both(property({ name: 'sum', inputs, subject: ({ x }) => tf.sum(x), invariants: [finite()], batch: 'elementwise' }), 9, 50);
    expect(tf.memory().numTensors).toBe(before);
  });
});
