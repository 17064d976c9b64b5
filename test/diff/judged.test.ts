// The diff judges elements against the property's own exact reference, on each backend's
// tolerance: it reports a disagreement only when one backend is within its tolerance of the exact
// answer and the other is not, and says which; two backends that differ but are both right are
// rounding noise, not a disagreement (planted on wasm's Exp; cpu untouched).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { float32, property, tensor } from '../../src/index.ts';
import { diffProperty, diffReport, prepareBackends } from '../../src/diff/index.ts';
import { exp } from '../../src/reference/elementwise.ts';
import { plantWasmExp } from '../fixtures/diff/planted.ts';

let undo: (() => void) | undefined;
beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});
afterEach(() => {
  undo?.();
  undo = undefined;
});

/** exp with its exact reference; `ulps` is the tolerance on every backend. */
const expWithin = (ulps: number) =>
  property({
    name: `judged exp (tolerance ${ulps} ulps)`,
    inputs: { x: tensor({ shape: { maxRank: 1, maxSize: 8 }, elements: float32({ min: -20, max: 20 }) }) },
    subject: ({ x }) => tf.exp(x),
    reference: { exact: ({ x }) => exp(x), tolerance: { ulps } },
  });

describe('a diff judged by the exact reference', () => {
  it('reports the backend out of its tolerance, with the verdict, shrunk to the planted zone', () => {
    undo = plantWasmExp({ kind: 'scale', factor: 1 + 2 ** -14, above: 10 }); // about 512 ULPs above x = 10
    const r = diffProperty(expWithin(16), { seed: 3, runs: 200 });
    expect(r.status).toBe('disagreed');
    expect(r.disagreement).toMatchObject({ kind: 'value', wrong: 'wasm', element: { tensor: 'output' } });
    expect((r.counterexample as { x: { data: Float32Array } }).x.data[0]).toBeGreaterThan(10);
    expect(r.verdict).toMatchObject({ right: ['cpu'] });
    expect(diffReport(r)).toMatch(/wasm is out of its tolerance of the exact answer/);
  });

  it('does not report two backends that differ but are both within tolerance (rounding noise)', () => {
    undo = plantWasmExp({ kind: 'scale', factor: 1 + 2 ** -20, above: 10 }); // about 8 ULPs: beyond the diff's 4, within 16
    const judged = diffProperty(expWithin(16), { seed: 3, runs: 200 });
    expect(judged.status).toBe('agreed');
    expect(judged.stats.wasm!.maxUlps).toBeGreaterThan(4); // the backends did differ
    // without a reference the same difference is reported, and said to be unjudged
    const plain = diffProperty(property({ name: 'unjudged exp', inputs: expWithin(16).arbitrary, subject: ({ x }) => tf.exp(x as tf.Tensor) }), {
      seed: 3,
      runs: 200,
    });
    expect(plain.status).toBe('disagreed');
    expect(plain.disagreement!.wrong).toBeUndefined();
    expect(diffReport(plain)).toMatch(/reference: none for this output/);
  });
});
