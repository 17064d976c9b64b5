/**
 * trainingConfig(): valid configurations inside the options' bounds, and a shrink stream that goes
 * toward fewer/narrower layers, fewer steps, a smaller batch, fewer and simpler rows, a lower
 * learning rate — in that order — and never leaves the domain.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { configProblem, layerPlan, trainingConfig, type TrainingConfig, type TrainingConfigOptions } from '../../src/train/index.ts';

const sample = (o: TrainingConfigOptions, n = 200, seed = 1) => fc.sample(trainingConfig(o), { seed, numRuns: n });
const shrinks = (o: TrainingConfigOptions, c: TrainingConfig) => [...trainingConfig(o).shrink(c, undefined)].map((v) => v.value);

describe('trainingConfig generation', () => {
  it('draws valid configurations inside every bound', () => {
    const o: TrainingConfigOptions = {
      layers: { depth: { min: 1, max: 4 }, width: { min: 2, max: 32 }, activations: ['relu', 'tanh'] },
      optimizer: { names: ['adam', 'sgd'], learningRate: { min: 1e-5, max: 1e-1 }, epsilon: { min: 1e-8, max: 1e-6 } },
      losses: ['mse', 'categoricalCrossentropy', 'naiveBinaryCrossentropy'],
      data: { rows: { min: 2, max: 10 }, features: { min: 1, max: 5 } },
      batchSize: { min: 1, max: 4 },
      steps: { min: 3, max: 7 },
    };
    const seenLosses = new Set<string>();
    for (const c of sample(o)) {
      expect(configProblem(c)).toBeUndefined();
      const hidden = c.layers.slice(0, -1);
      expect(hidden.length).toBeGreaterThanOrEqual(1);
      expect(hidden.length).toBeLessThanOrEqual(4);
      for (const l of hidden) {
        expect(l.units).toBeGreaterThanOrEqual(2);
        expect(l.units).toBeLessThanOrEqual(32);
        expect(['relu', 'tanh']).toContain(l.activation);
      }
      expect(c.optimizer.learningRate).toBeGreaterThanOrEqual(1e-5);
      expect(c.optimizer.learningRate).toBeLessThanOrEqual(1e-1);
      if (c.optimizer.name === 'adam') expect(c.optimizer.epsilon).toBeGreaterThanOrEqual(1e-8);
      expect(c.steps).toBeGreaterThanOrEqual(3);
      expect(c.steps).toBeLessThanOrEqual(7);
      expect(c.data.x.shape[0]).toBeGreaterThanOrEqual(2);
      expect(c.data.x.shape[0]).toBeLessThanOrEqual(10);
      expect(Array.from(c.data.x.data).every((v) => Math.abs(v) <= 1)).toBe(true);
      seenLosses.add(c.loss);
      const head = c.layers[c.layers.length - 1]!;
      const y = Array.from(c.data.y.data);
      if (c.loss === 'categoricalCrossentropy') {
        expect(head.activation).toBe('softmax');
        const k = c.data.y.shape[1]!;
        for (let r = 0; r < c.data.y.shape[0]!; r++) expect(y.slice(r * k, r * k + k).reduce((a, b) => a + b)).toBe(1);
      } else if (c.loss === 'naiveBinaryCrossentropy') {
        expect(head.activation).toBe('sigmoid');
        expect(y.every((v) => v === 0 || v === 1)).toBe(true);
      } else expect(head.activation).toBe('linear');
    }
    expect(seenLosses.size).toBe(3);
  });

  it('makes sequence data for simpleRNN/conv1d stacks, sequence layers first, and plans Flatten where needed', () => {
    let conv = 0;
    for (const c of sample({ layers: { types: ['simpleRNN', 'conv1d', 'dense'], depth: { min: 1, max: 4 } } }, 100)) {
      expect(c.data.x.shape).toHaveLength(3);
      const types = c.layers.map((l) => l.type);
      const firstDense = types.indexOf('dense');
      expect(types.slice(firstDense).every((t) => t === 'dense')).toBe(true);
      const plan = layerPlan(c);
      expect(plan[plan.length - 1]!.role).toBe('head');
      const flat = plan.findIndex((p) => p.kind === 'flatten');
      if (flat >= 0) expect(plan[flat - 1]?.kind ?? 'input').not.toBe('dense');
      if (types.includes('conv1d')) conv++;
    }
    expect(conv).toBeGreaterThan(0);
  });

  it('scales one column (unscaled data) or all of them, and plants NaN/Inf cells when asked', () => {
    for (const c of sample({ data: { features: { min: 2, max: 4 }, scale: { min: 1e3, max: 1e6 } } }, 50)) {
      const big = c.data.scales.filter((s) => s !== 1);
      expect(big).toHaveLength(1);
      expect(big[0]).toBeGreaterThanOrEqual(1e3);
      expect(big[0]).toBeLessThanOrEqual(1e6);
    }
    for (const c of sample({ data: { scale: { min: 1000, max: 1000, columns: 'all' } } }, 20)) expect(c.data.scales.every((s) => s === 1000)).toBe(true);
    for (const c of sample({ data: { nonFinite: 1, nonFiniteValues: [NaN, Infinity] } }, 50)) {
      expect(Array.from(c.data.x.data).filter((v) => !Number.isFinite(v))).toHaveLength(1);
    }
  });

  it('is reproducible from its seed', () => {
    const a = sample({}, 5, 9).map((c) => JSON.stringify(c));
    const b = sample({}, 5, 9).map((c) => JSON.stringify(c));
    expect(b).toEqual(a);
  });

  it('rejects bad options with a clear message', () => {
    expect(() => trainingConfig({ layers: { depth: { min: 3, max: 1 } } })).toThrow(/layers.depth needs integer bounds min <= max/);
    expect(() => trainingConfig({ layers: { types: ['lstm' as never] } })).toThrow(/unknown layer type 'lstm'/);
    expect(() => trainingConfig({ optimizer: { names: [] } })).toThrow(/optimizer needs at least one choice/);
    expect(() => trainingConfig({ optimizer: { learningRate: 0 } })).toThrow(/learningRate must be positive/);
    expect(() => trainingConfig({ data: { scale: { min: 0, max: 10 } } })).toThrow(/data.scale needs 0 < min <= max/);
    expect(() => trainingConfig({ steps: { min: 0, max: 3 } })).toThrow(/must be at least 1/);
  });

  it('accepts its own values without context, and nothing else', () => {
    const arb = trainingConfig({ layers: { depth: { min: 1, max: 2 } } });
    for (const c of fc.sample(arb, { seed: 2, numRuns: 20 })) expect(arb.canShrinkWithoutContext(c)).toBe(true);
    const [c] = fc.sample(arb, { seed: 2, numRuns: 1 });
    expect(arb.canShrinkWithoutContext({ ...c!, layers: c!.layers.slice(-1) })).toBe(false); // depth 0 < min 1
    expect(arb.canShrinkWithoutContext({ layers: [] })).toBe(false);
    expect(arb.canShrinkWithoutContext(42)).toBe(false);
  });
});

describe('trainingConfig shrinking', () => {
  const o: TrainingConfigOptions = {
    layers: { depth: { min: 0, max: 4 }, width: { min: 1, max: 16 } },
    optimizer: { names: ['sgd'], learningRate: { min: 1e-4, max: 1 } },
    data: { rows: { min: 1, max: 8 }, features: { min: 1, max: 3 }, scale: { max: 1e6 }, nonFinite: { min: 0, max: 1 } },
    batchSize: { min: 1, max: 8 },
    steps: { min: 1, max: 20 },
  };
  const big = sample({ ...o, layers: { ...o.layers, depth: 3, width: 16 }, batchSize: 8, steps: 20, data: { ...o.data, rows: 8 } }, 1, 4)[0]!;

  /** Which part of the configuration a candidate simplified. */
  function kindOf(from: TrainingConfig, to: TrainingConfig): string {
    if (to.layers.length < from.layers.length) return 'layers';
    if (to.layers.some((l, i) => l.units < from.layers[i]!.units)) return 'width';
    if (to.steps < from.steps) return 'steps';
    if (to.batchSize < from.batchSize) return 'batch';
    if (to.data.x.shape.some((d, i) => d < from.data.x.shape[i]!)) return 'rows';
    if (JSON.stringify(to.data) !== JSON.stringify(from.data) && to.data.scales.join() === from.data.scales.join()) return 'values';
    if (to.optimizer.learningRate < from.optimizer.learningRate) return 'learningRate';
    return 'other';
  }

  it('goes in the documented order and never makes anything larger', () => {
    const order = ['layers', 'width', 'steps', 'batch', 'rows', 'values', 'learningRate', 'other'];
    const cands = shrinks(o, big);
    expect(cands.length).toBeGreaterThan(20);
    const kinds = cands.map((c) => kindOf(big, c));
    for (let i = 1; i < kinds.length; i++) expect(order.indexOf(kinds[i]!)).toBeGreaterThanOrEqual(order.indexOf(kinds[i - 1]!));
    for (const k of ['layers', 'width', 'steps', 'batch', 'rows', 'values', 'learningRate']) expect(kinds).toContain(k);
    expect(cands[0]!.layers).toHaveLength(1); // first: all hidden layers removed (depth min 0)
    for (const c of cands) {
      expect(configProblem(c)).toBeUndefined();
      expect(c.layers.length).toBeLessThanOrEqual(big.layers.length);
      expect(c.steps).toBeLessThanOrEqual(big.steps);
      expect(c.batchSize).toBeLessThanOrEqual(big.batchSize);
      expect(c.data.x.shape[0]).toBeLessThanOrEqual(big.data.x.shape[0]!);
      expect(c.optimizer.learningRate).toBeLessThanOrEqual(big.optimizer.learningRate);
      expect(c.optimizer.learningRate).toBeGreaterThanOrEqual(1e-4);
      for (const s of c.data.scales) expect(s).toBeGreaterThanOrEqual(1);
    }
  });

  it('tries each candidate once per shrink session and stops at the budget', () => {
    const arb = trainingConfig({ ...o, shrinkBudget: 10 });
    const cands = [...arb.shrink(big, undefined)];
    expect(cands).toHaveLength(10);
    // a candidate's own shrinks share the session (its Value's context): what was tried is not offered again, and the budget is spent
    expect([...arb.shrink(cands[0]!.value, cands[0]!.context)]).toHaveLength(0);
    const unlimited = [...trainingConfig(o).shrink(big, undefined)].map((v) => JSON.stringify(v.value));
    expect(new Set(unlimited).size).toBe(unlimited.length);
  });

  it('reaches the single smallest configuration when everything still fails', () => {
    // a predicate that always fails: fast-check walks the stream to the bottom
    const arb = trainingConfig({ ...o, shrinkBudget: 5000 });
    const details = fc.check(
      fc.property(arb, () => false),
      { seed: 3, numRuns: 1 },
    );
    const c = details.counterexample![0] as TrainingConfig;
    expect(c.layers).toHaveLength(1);
    expect(c.steps).toBe(1);
    expect(c.batchSize).toBe(1);
    expect(c.data.x.shape).toEqual([1, 1]);
    expect(c.optimizer.learningRate).toBe(1e-4);
    expect(c.data.scales).toEqual([1]);
    expect(Array.from(c.data.x.data)).toEqual([0]);
  });
});
