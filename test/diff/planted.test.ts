// A disagreement planted on purpose: wasm's real Exp kernel, wrapped to be wrong on some inputs
// (cpu untouched). Differential testing must find it, shrink it to the minimal input, say which
// backend is right from the exact reference, and name Exp as the first kernel that differs.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { property, tensor, float32 } from '../../src/index.ts';
import { diffProperty, prepareBackends, withReference, diffReport } from '../../src/diff/index.ts';
import { exp } from '../../src/reference/elementwise.ts';
import { logSumExp } from '../../src/reference/softmax.ts';
import { expProperty, expWideProperty, plantWasmExp } from '../fixtures/diff/planted.ts';

let undo: (() => void) | undefined;
const plant = (p?: Parameters<typeof plantWasmExp>[0]) => (undo = plantWasmExp(p));

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});
afterEach(() => {
  undo?.();
  undo = undefined;
});

const x0 = (r: { counterexample?: unknown }) => (r.counterexample as { x: { shape: number[]; data: Float32Array } }).x;

describe('a planted disagreement', () => {
  it('is found, shrunk to one element just above the planted edge, judged by the reference and traced to Exp', () => {
    plant({ kind: 'scale' }); // wasm's exp(x) times (1 + 2^-12) where x > 10
    const tensors = tf.memory().numTensors;
    const r = diffProperty(expProperty, { seed: 7, runs: 200 });
    expect(r.status).toBe('disagreed');
    expect(x0(r).shape).toEqual([1]);
    expect(Array.from(x0(r).data)).toEqual([11]); // the simplest float32 above 10
    const d = r.disagreement!;
    expect(d).toMatchObject({ kind: 'value', backends: ['cpu', 'wasm'], element: { tensor: 'output', index: 0 } });
    expect(d.element!.values[0]).toBe(Math.fround(Math.exp(11)));
    expect(d.element!.ulps).toBeGreaterThan(2000); // 2^-12 relative is about 2^11 ULPs
    expect(r.verdict).toMatchObject({ right: ['cpu'], closest: 'cpu' });
    expect(r.verdict!.ulps.cpu).toBeLessThanOrEqual(1);
    expect(r.divergence).toMatchObject({ step: 0, kernels: ['Exp', 'Exp'] });
    expect(r.divergence!.calls[1]).toMatch(/^Exp\(x=\[1\] 11\) -> \[1\] 59888\.7/);
    expect(r.nondeterministic).toBeUndefined();
    expect(r.shrinks).toBeGreaterThan(0);
    // the generation phase saw values below the edge agree exactly
    expect(r.stats.wasm!.histogram['0']).toBeGreaterThan(0);
    // nothing leaked, and the run left the backend it found
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.getBackend()).toBe('cpu');
    const report = diffReport(r);
    expect(report).toContain("Backends disagree on 'diff fixture: exp': cpu vs wasm");
    expect(report).toContain('x: Tensor float32 [1] [11]');
    expect(report).toMatch(/reference: exact 59874\.14171519782.*: cpu is right \(exact\), wasm is \d+ ULPs off/);
  });

  it('agrees bit for bit once the original kernel is back', () => {
    undo = undefined;
    const r = diffProperty(expProperty, { seed: 7, runs: 200 });
    expect(r.status).toBe('agreed');
    expect(r.stats.wasm).toMatchObject({ differing: 0, maxUlps: 0 });
    expect(r.stats.wasm!.compared).toBeGreaterThan(500);
  });

  it('shrinks a disagreement buried in a larger computation to the one element that causes it', () => {
    plant({ kind: 'scale' });
    const naiveLse = withReference(
      property({
        name: 'diff fixture: naive logSumExp',
        inputs: { x: tensor({ shape: { minRank: 1, maxRank: 2, maxSize: 64 }, elements: float32({ min: -30, max: 30 }) }) },
        subject: ({ x }) => tf.log(tf.sum(tf.exp(x))),
      }),
      ({ x }) => logSumExp(x),
    );
    const r = diffProperty(naiveLse, { seed: 3, runs: 200 });
    expect(r.status).toBe('disagreed');
    expect(x0(r).shape).toEqual([1]);
    expect(Array.from(x0(r).data)).toEqual([11]);
    expect(r.verdict?.right).toEqual(['cpu']);
    expect(r.divergence?.kernels).toEqual(['Exp', 'Exp']);
  });

  it('finds a planted NaN as a finiteness disagreement on the faulty backend', () => {
    plant({ kind: 'nan', above: 20 });
    const r = diffProperty(expProperty, { seed: 7, runs: 200 });
    expect(r.disagreement).toMatchObject({ kind: 'finiteness', side: 'wasm' });
    expect(Array.from(x0(r).data)).toEqual([21]);
    expect(r.disagreement!.message).toBe('output: cpu 1.3188157e+9, wasm NaN');
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
  });

  it('finds a planted throw as a one-sided error, shrunk the same way', () => {
    plant({ kind: 'throw', above: 20 });
    const tensors = tf.memory().numTensors;
    const r = diffProperty(expProperty, { seed: 7, runs: 200 });
    expect(r.disagreement).toMatchObject({ kind: 'throws', side: 'wasm' });
    expect(r.disagreement!.errors![1]).toBe('planted: wasm Exp refuses x > 20');
    expect(Array.from(x0(r).data)).toEqual([21]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a planted overflow (wasm Infinity where cpu is finite) shrinks to the float32 overflow edge', () => {
    plant({ kind: 'scale' });
    const r = diffProperty(expWideProperty, { seed: 1, runs: 200 });
    expect(r.disagreement).toMatchObject({ kind: 'finiteness', side: 'wasm' });
    expect(Array.from(x0(r).data)).toEqual([Math.fround(88.7228)]);
    expect(r.verdict?.message).toMatch(/cpu is right \(exact\), wasm is wrong \(Infinity\)/);
  });

  it('a disagreement within the tolerance is accepted, and found when the tolerance is 0 ULPs', () => {
    plant({ kind: 'scale', factor: 1 + 2 ** -23, above: 0 }); // one or two ULPs off above 0
    const loose = diffProperty(expProperty, { seed: 7, runs: 100 });
    expect(loose.status).toBe('agreed');
    expect(loose.stats.wasm!.maxUlps).toBeGreaterThan(0);
    expect(loose.stats.wasm!.maxUlps).toBeLessThanOrEqual(2);
    const strict = diffProperty(expProperty, { seed: 7, runs: 100, tolerance: { ulps: 0 } });
    expect(strict.status).toBe('disagreed');
    expect(x0(strict).shape).toEqual([1]);
    expect(strict.disagreement!.element!.ulps).toBeLessThanOrEqual(2);
  });

  it('compares gradients too: a planted Exp shows up in the gradient of exp', () => {
    plant({ kind: 'scale' });
    const grad = property({
      name: 'diff fixture: exp gradient',
      inputs: { x: tensor({ elements: float32({ min: -30, max: 30 }) }) },
      subject: ({ x }) => tf.exp(x),
      gradients: true,
    });
    const r = diffProperty(grad, { seed: 7, runs: 200, reference: ({ x }) => ({ output: exp(x), 'grad(x)': exp(x) }) });
    expect(r.status).toBe('disagreed');
    expect(['output', 'grad(x)']).toContain(r.disagreement!.element!.tensor);
    expect(Array.from(x0(r).data)).toEqual([11]);
    expect(r.verdict?.right).toEqual(['cpu']);
  });
});
