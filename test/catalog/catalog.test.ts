import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { runProperty, type Property, type TensorValue } from '../../src/index.ts';
import { catalogProperties, type OpInfo } from '../../src/catalog/op-info.ts';
import { OP_TABLE, catalog } from '../../properties/index.ts';
import { CATALOG_BEGIN, CATALOG_DOC_FILE, catalogMarkdown, updateCatalogDoc } from '../../src/catalog/docs.ts';
import { loadCatalog } from '../../src/property/load.ts';

const all = catalogProperties(OP_TABLE);
const byName = (name: string): Property => {
  const p = all.find((q) => q.name === name);
  if (!p) throw new Error(`no catalog property ${name}`);
  return p;
};

describe('catalog coverage', () => {
  const names = new Set(OP_TABLE.map((e) => e.name));
  it('has an entry for every op the catalog promises', () => {
    const required = [
      ...'exp expm1 log log1p sqrt rsqrt reciprocal pow square abs sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh erf'.split(' '),
      ...'sigmoid logSigmoid softplus relu relu6 elu selu leakyRelu prelu softmax logSoftmax'.split(' '),
      ...'sum mean prod max min logSumExp moments norm euclideanNorm'.split(' '),
      ...'matMul dot conv1d conv2d batchNorm localResponseNormalization'.split(' '),
    ];
    for (const n of required) expect(names, n).toContain(n);
  });
  it('covers every loss in tf.losses and every optimizer in tf.train, one and several steps, default and user epsilons', () => {
    const losses = Object.keys(tf.losses).filter((k) => k !== 'computeWeightedLoss');
    expect(losses.length).toBeGreaterThanOrEqual(8);
    for (const l of losses) expect(names, l).toContain(`losses.${l}`);
    for (const o of ['sgd', 'momentum', 'adagrad', 'adadelta', 'adam', 'adamax', 'rmsprop']) {
      expect(names).toContain(`train.${o} 1 step`);
      expect(names).toContain(`train.${o} 3 steps`);
      expect(names).toContain(`train.${o} zero gradient`);
    }
    for (const o of ['adadelta', 'adam', 'adamax', 'rmsprop']) expect(names).toContain(`train.${o} 1 step eps=user`);
  });
  it('is what `nanhunt check` loads, with unique names', async () => {
    const loaded = (await loadCatalog()).map((l) => l.property.name);
    for (const p of all) expect(loaded).toContain(p.name);
    expect(loaded).toEqual(catalog.map((p) => p.name));
    expect(new Set(loaded).size).toBe(loaded.length);
    expect(() => catalogProperties([OP_TABLE[0]!, OP_TABLE[0]!] as OpInfo[])).toThrow(/duplicate entry 'exp'/);
  });
  it('is listed in docs/catalog.md, up to date', () => {
    expect(CATALOG_DOC_FILE).toBe(fileURLToPath(new URL('../../docs/catalog.md', import.meta.url)));
    const doc = readFileSync(CATALOG_DOC_FILE, 'utf8');
    expect(doc).toContain(catalogMarkdown(OP_TABLE));
    expect(updateCatalogDoc(doc, OP_TABLE)).toBe(doc); // what `npm run catalog:docs` writes
    // one table, in docs/catalog.md only: the README links to it
    expect(doc.split(CATALOG_BEGIN).length).toBe(2);
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).not.toContain(CATALOG_BEGIN);
    expect(() => updateCatalogDoc('# no table here', OP_TABLE)).toThrow(/no catalog block/);
    expect(() => updateCatalogDoc(`${doc}\n${catalogMarkdown(OP_TABLE)}`, OP_TABLE)).toThrow(/more than one catalog block/);
  });
});

describe('catalog verdicts on the real ops', () => {
  it('does not report a correctly rounded Infinity or a NaN by definition: exp and log run on every finite float32', () => {
    const xs = fc.sample(byName('exp').arbitrary, { numRuns: 300, seed: 2 }).flatMap((v) => Array.from((v as { x: TensorValue }).x.data));
    expect(xs.some((v) => v > 88.73)).toBe(true); // exp overflows to Infinity here, correctly
    const ls = fc.sample(byName('log').arbitrary, { numRuns: 300, seed: 2 }).flatMap((v) => Array.from((v as { x: TensorValue }).x.data));
    expect(ls.some((v) => v < 0)).toBe(true); // log is NaN here by definition
    expect(ls.some((v) => v === 0)).toBe(true); // and -Infinity here
    expect(runProperty(byName('exp'), { seed: 2 }).status).toBe('passed');
    expect(runProperty(byName('log'), { seed: 2 }).status).toBe('passed');
  });

  it('passes on correct ops, edges of their domains included', () => {
    for (const name of [
      'exp',
      'exp gradient',
      'log',
      'sqrt gradient',
      'softmax',
      'sigmoid',
      'logSumExp',
      'matMul',
      'losses.logLoss',
      'train.sgd 1 step',
      'train.adamax 1 step',
      'train.sgd zero gradient',
    ]) {
      const r = runProperty(byName(name), { seed: 1, runs: 300 });
      expect(r.status, `${name}: ${JSON.stringify(r.failure)}`).toBe('passed');
    }
  });
  it('reports the tfjs 4.22 bugs it knows, shrunk', () => {
    const rms = runProperty(byName('train.rmsprop centered zero gradient'), { seed: 1 });
    expect(rms.status).toBe('failed');
    expect(rms.provenance?.born?.kernel).toBe('Sqrt');
    const norm = runProperty(byName('norm'), { seed: 1 });
    expect(norm.status).toBe('failed');
    expect((norm.counterexample as { x: TensorValue }).x.data.length).toBe(1);
    // finite but wrong: Adam squares a gradient of 2e19 to Infinity and does not move the parameter
    const adam = runProperty(byName('train.adam 1 step'), { seed: 1 });
    expect(adam.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (optimizer)' } });
    expect(adam.provenance?.born?.kernel).toBe('Square');
    // gradients against the exact derivative: rsqrt's is 0 where x^1.5 overflows (exact: about -2e-39)
    const rsqrt = runProperty(byName('rsqrt gradient'), { seed: 1 });
    expect(rsqrt.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'gradient matches d/dx rsqrt' } });
    expect(runProperty(byName('tanh gradient'), { seed: 1 }).status).toBe('passed');
    const leak = runProperty(byName('train.momentum dispose'), { seed: 1 });
    expect(leak.failure).toMatchObject({ kind: 'error', stage: 'leak' });
  });
});

describe('planted broken kernels are caught', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  /** Replace a cpu kernel by one that post-processes its output in place. */
  function plant(kernelName: string, edit: (input: ArrayLike<number>, output: Float32Array) => void): void {
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

  it('an Exp kernel returning NaN for inputs in [2, 3) fails `exp`, shrunk to [2]', () => {
    plant('Exp', (x, y) => {
      for (let i = 0; i < y.length; i++) if (x[i]! >= 2 && x[i]! < 3) y[i] = NaN;
    });
    const r = runProperty(byName('exp'), { seed: 4 });
    expect(r.status).toBe('failed');
    expect(Array.from((r.counterexample as { x: TensorValue }).x.data)).toEqual([2]);
    expect(r.provenance?.born?.kernel).toBe('Exp');
    restore!();
    expect(runProperty(byName('exp'), { seed: 4 }).status).toBe('passed');
  });

  it('a Log1p kernel computing log(1 + x) in float32 (off by many ULPs near 0) fails the reference check; the real one passes', () => {
    expect(runProperty(byName('log1p'), { seed: 6 }).status).toBe('passed');
    plant('Log1p', (x, y) => {
      for (let i = 0; i < y.length; i++) y[i] = Math.fround(Math.log(Math.fround(1 + x[i]!)));
    });
    const r = runProperty(byName('log1p'), { seed: 6 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'matches reference (log1p)' } });
    const d = r.failure?.kind === 'violation' ? r.failure.violation.details : undefined;
    expect(Number(d?.ulps)).toBeGreaterThan(1); // over the 1-ULP tolerance (the shrunk input is the simplest one still out of it)
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(x.data.length).toBe(1);
    expect(Math.abs(x.data[0]!)).toBeLessThan(1);
  });

  it('a Softmax kernel whose rows sum to 1.01 fails the rows-sum-to-1 check', () => {
    plant('Softmax', (_x, y) => {
      for (let i = 0; i < y.length; i++) y[i] = y[i]! * 1.01;
    });
    const r = runProperty(byName('softmax'), { seed: 4 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'violation' });
    const inv = r.failure?.kind === 'violation' ? r.failure.violation.invariant : '';
    expect(['matches reference (softmax)', 'rows sum to 1', 'in [0, 1]']).toContain(inv);
  });
});
