// Standalone repro scripts: literal inputs (-0, NaN, ±Infinity exact), the subject's source checked
// to run on its own, and generated files that run with `npx tsx` and print the non-finite value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { property, runProperty, tensorValue, useBackend, type Property } from '../../src/index.ts';
import { reproScript, writeRepro } from '../../src/report/index.ts';
import { main } from '../../src/cli/main.ts';
import { logOfProbabilities, sqrtGradient, usesHelper, zeroTimesExp } from '../fixtures/repro/props.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
// generated scripts import '@tensorflow/tfjs': they must live under the project to resolve it (in
// node_modules/.cache, never in the repository's reports/)
let OUT = '';
beforeAll(() => {
  mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
  OUT = mkdtempSync(path.join(ROOT, 'node_modules/.cache', 'nanhunt-repro-test-'));
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** A failed result on fixed inputs (constant arbitraries: nothing to shrink). */
function failOn<I extends Record<string, unknown>>(
  name: string,
  inputs: I,
  subject: Property<I>['subject'],
  extra: { source?: string; gradients?: boolean } = {},
) {
  const p = property<I>({
    name,
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fc.constant(v)])) as never,
    subject,
    ...extra,
  });
  const result = runProperty(p, { seed: 1, runs: 1 });
  expect(result.status, name).toBe('failed');
  return { property: p, result };
}

function runScript(file: string) {
  const r = spawnSync('npx', ['tsx', file], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('repro script text', () => {
  it('builds the inputs literally: -0, NaN, ±Infinity, int32, bool, scalars and plain numbers exact', () => {
    const inputs = {
      x: tensorValue([2, 3], [-0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]),
      k: tensorValue([2], [3, -7], 'int32'),
      mask: tensorValue([2], [1, 0], 'bool'),
      s: tensorValue([], [0.1]),
      lr: -0,
      eps: 1e-8,
      name: "it's",
    };
    const { property: p, result } = failOn('repro: literals', inputs, ({ x }) => tf.add(x, 1));
    const text = reproScript({ property: p, result }).text;
    expect(text).toContain("const x = tf.tensor([-0, NaN, Infinity, -Infinity, 1e-45, 3.4028235e+38], [2, 3], 'float32');");
    expect(text).toContain("const k = tf.tensor([3, -7], [2], 'int32');");
    expect(text).toContain("const mask = tf.tensor([true, false], [2], 'bool');");
    expect(text).toContain("const s = tf.scalar(0.1, 'float32');");
    expect(text).toContain('const inputs = { x, k, mask, s, lr: -0, eps: 1e-8, name: "it\'s" };');
    expect(Math.fround(3.4028235e38)).toBe(3.4028234663852886e38); // the shortest text is the same float32
    expect(text.split('\n').filter((l) => l.startsWith('import '))).toEqual(["import * as tf from '@tensorflow/tfjs';"]);
  });

  it('uses the source as is when it runs on its own and gives the same outputs', () => {
    const { property: p, result } = failOn('repro: own', { x: tensorValue([1], [89]) }, ({ x }) => tf.exp(x as tf.Tensor));
    const r = reproScript({ property: p, result });
    expect(r.selfContained).toBe(true);
    expect(r.text).toContain('const subject: (inputs: any) => any = ({ x }) => tf.exp(x);');
  });

  it('reads bundler namespaces (vitest) and other names of TensorFlow.js as tf, after checking the outputs match', () => {
    const x = { x: tensorValue([1], [89]) };
    const vite = failOn('repro: vite', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => __vite_ssr_import_0__.exp(x)' });
    const r1 = reproScript(vite);
    expect(r1.selfContained).toBe(true);
    expect(r1.text).toContain('= ({ x }) => tf.exp(x);');
    const alias = failOn('repro: alias', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => tfjs.exp(x)' });
    const r2 = reproScript(alias);
    expect(r2.selfContained).toBe(true);
    expect(r2.text).toContain('const tfjs = tf;');
    const method = failOn('repro: method', x, ({ x }) => tf.exp(x as tf.Tensor), { source: 'subject({ x }) { return tf.exp(x); }' });
    expect(reproScript(method).selfContained).toBe(true);
  });

  it('does not claim a source that gives other results, or calls a helper, runs as is: it names the export to call', () => {
    const x = { x: tensorValue([1], [89]) };
    const lying = failOn('repro: lying', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => tf.log(x)' });
    const r1 = reproScript(lying);
    expect(r1.selfContained).toBe(false);
    expect(r1.reason).toMatch(/gives different results/);

    const result = runProperty(usesHelper, { seed: 1, runs: 100 });
    const file = path.join(OUT, 'helper.ts');
    const r2 = reproScript({
      property: usesHelper,
      result,
      origin: { file: path.join(ROOT, 'test/fixtures/repro/props.ts'), exportName: 'usesHelper' },
      scriptFile: file,
    });
    expect(r2.selfContained).toBe(false);
    expect(r2.reason).toMatch(/refers to `helperLog`, which is defined outside the subject/);
    expect(r2.text).toContain('`usesHelper` exported from test/fixtures/repro/props.ts');
    const rel = path.relative(OUT, path.join(ROOT, 'test/fixtures/repro/props.ts')).split(path.sep).join('/');
    expect(r2.text).toContain(`//   import { usesHelper } from '${rel}';`);
    expect(r2.text).toContain('//   const subject = usesHelper.subject;');
    expect(r2.text).toMatch(/^ {2}const x = tf\.tensor\(\[[^\]]*\], \[2\], 'float32'\);$/m); // the inputs are still built
  });
});

describe('generated repro files run with npx tsx', () => {
  it('a forward failure: prints the -Infinity of log(0), exits 1', () => {
    const result = runProperty(logOfProbabilities, { seed: 1, runs: 100 });
    const { file, repro } = writeRepro(OUT, { property: logOfProbabilities, result });
    expect(repro.selfContained).toBe(true);
    const r = runScript(file);
    expect(r.out).toContain(`@tensorflow/tfjs ${tf.version.tfjs}, backend cpu`);
    expect(r.out).toContain('output: float32 [1] [-Infinity]');
    expect(r.out).toContain('NON-FINITE: 1 of 1 elements: [0] = -Infinity');
    expect(r.out).toContain('Reproduced: NaN or Infinity above.');
    expect(r.code).toBe(1);
  }, 60_000);

  it("a gradient failure: sqrt'(0) = Infinity, from the gradients the script computes", () => {
    const result = runProperty(sqrtGradient, { seed: 1, runs: 100 });
    const { file } = writeRepro(OUT, { property: sqrtGradient, result });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('// first non-finite value born in kernel RealDiv(a=[1] 1, b=[1] 0) -> [1] Infinity');
    const r = runScript(file);
    expect(r.out).toContain('output: float32 [1] [0]');
    expect(r.out).toContain('grad(x): float32 [1] [Infinity]');
    expect(r.out).toContain('Reproduced');
    expect(r.code).toBe(1);
  }, 60_000);

  it('keeps -0 exact: 1 / -0 prints -Infinity, not +Infinity', () => {
    const { property: p, result } = failOn('repro: reciprocal of -0', { x: tensorValue([2], [1, -0]) }, ({ x }) => tf.div(1, x as tf.Tensor));
    const { file } = writeRepro(OUT, { property: p, result });
    expect(readFileSync(file, 'utf8')).toContain("tf.tensor([1, -0], [2], 'float32')");
    const r = runScript(file);
    expect(r.out).toContain('output: float32 [2] [1, -Infinity]');
    expect(r.code).toBe(1);
  }, 60_000);

  it('a failure found on wasm: the script sets up the wasm backend and reproduces there', async () => {
    await useBackend('wasm');
    try {
      const result = runProperty(zeroTimesExp, { seed: 1, runs: 100 });
      expect(result.backend).toBe('wasm');
      const { file } = writeRepro(OUT, { property: zeroTimesExp, result });
      const r = runScript(file);
      expect(r.out).toContain(`@tensorflow/tfjs ${tf.version.tfjs}, backend wasm`);
      expect(r.out).toContain('output: float32 [1] [NaN]');
      expect(r.code).toBe(1);
    } finally {
      await useBackend('cpu');
    }
  }, 60_000);

  it('check writes the repro of a shipped catalog property, and it runs as is', async () => {
    const dir = mkdtempSync(path.join(OUT, 'check-'));
    const out: string[] = [];
    const code = await main(
      [
        'check',
        '--properties',
        path.join(ROOT, 'properties/examples.ts'),
        '--filter',
        'naive BCE (example bug)',
        '--runs',
        '100',
        '--db',
        path.join(dir, 'db'),
        '--repro',
        path.join(dir, 'repro'),
        '--reports',
        path.join(dir, 'reports'),
      ],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
    );
    expect(code).toBe(0); // an expected failure
    const line = out.join('\n').match(/repro: npx tsx (\S+)$/m);
    expect(line, out.join('\n')).not.toBeNull();
    const file = path.resolve(ROOT, line![1]!);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('// (a shipped example of a bug: log(0) once sigmoid saturates (|x| >= 17.33))');
    expect(text).not.toContain('cannot run it as written');
    const r = runScript(file);
    expect(r.out).toMatch(/output: float32 \[\d+\] \[.*(NaN|Infinity)/);
    expect(r.out).toContain('NON-FINITE');
    expect(r.code).toBe(1);
  }, 60_000);
});
