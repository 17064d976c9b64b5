/**
 * The node backend for real: @tensorflow/tfjs-node and TensorFlow's C++ kernels. The package is an
 * optional peer; on these machines `npm run setup:node` (scripts/setup-tfjs-node.sh) builds it and
 * .ci/run does so before the tests. Without it these tests fail on CI and are skipped elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, useBackend } from '../../src/run/backend.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();
const onCi = process.env.CI === 'true';
const NOT_INSTALLED =
  '@tensorflow/tfjs-node is not installed, so the node backend is untested: run `npm run setup:node` ' +
  '(scripts/setup-tfjs-node.sh), or install the package with npm where its install script can download libtensorflow';
if (!installed && !onCi) console.warn(`skipping test/run/node-backend.test.ts: ${NOT_INSTALLED}`);

/** Runs `code` (an ES module, TypeScript allowed) in a fresh node process from the project root. */
function runModule(code: string, env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Written by TensorFlow while its libraries load (dlopen), before it reads TF_CPP_MIN_LOG_LEVEL:
// absl's notice and the oneDNN line. No environment variable but TF_ENABLE_ONEDNN_OPTS=0 (which
// turns the oneDNN kernels off) removes them, so they are allowed here, on stderr only.
const AT_LOAD = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on\./,
];
const tfLines = (s: string) => s.split('\n').filter((l) => /^[IWE]\d{4} |tensorflow|absl/.test(l));

describe.skipIf(!installed && !onCi)("the node backend: @tensorflow/tfjs-node, TensorFlow's kernels", () => {
  beforeAll(() => {
    if (!installed) throw new Error(NOT_INSTALLED);
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  it("useBackend('node') makes the project's @tensorflow/tfjs run on TensorFlow, without warnings", async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      expect(await useBackend('node')).toBe('node');
      expect(warn).not.toHaveBeenCalled(); // e.g. "The kernel 'X' for backend 'tensorflow' is already registered"
    } finally {
      warn.mockRestore();
    }
    expect(tf.getBackend()).toBe('tensorflow');
    expect(activeBackend()).toBe('node');
    const before = tf.memory().numTensors;
    const x = tf.tensor([1, 2]);
    const y = tf.exp(x);
    const v = Array.from(y.dataSync());
    tf.dispose([x, y]);
    expect(v[0]).toBeCloseTo(Math.E, 6);
    expect(v[1]).toBeCloseTo(Math.exp(2), 5);
    expect(tf.memory().numTensors).toBe(before);
    // the native backend answers, not a cpu fallback
    expect((tf.backend() as unknown as { binding: { TF_Version: string } }).binding.TF_Version).toMatch(/^\d+\.\d+/);
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it("judges TensorFlow's kernels by its documented denormals-are-zero convention: sign, floor and equal of 1e-45 pass; a planted wrong kernel still fails", async () => {
    const { catalog } = await import('../../properties/index.ts');
    const { runProperty } = await import('../../src/property/runner.ts');
    const { tensorValue } = await import('../../src/core/tensor-value.ts');
    const byName = (n: string) => catalog.find((p) => p.name === n)!;
    const tiny = 2 ** -149;
    const cases = [
      { name: 'sign', inputs: { x: tensorValue([2], [tiny, -tiny]) } },
      { name: 'floor', inputs: { x: tensorValue([1], [-tiny]) } },
      { name: 'equal', inputs: { p: { a: tensorValue([1, 1], [0]), b: tensorValue([1], [tiny]) } } },
      { name: 'relu gradient', inputs: { x: tensorValue([1], [tiny]) } },
    ];
    await useBackend('node');
    try {
      for (const c of cases) {
        const p = byName(c.name);
        expect(p, c.name).toBeDefined();
        // on TensorFlow: its convention (1e-45 read as 0), not a finding
        const r = runProperty(p, { seed: 1, runs: 1, examples: [c.inputs], provenance: false });
        expect(r.status, `${c.name}: ${r.failure?.kind === 'violation' ? r.failure.violation.message : ''}`).toBe('passed');
      }
      // the search itself (fast-check's records: null-prototype objects) finds nothing in sign on node
      expect(runProperty(byName('sign'), { seed: 213683108, runs: 100 }).status).toBe('passed');
      // a planted Sign that is wrong on normal numbers is still a finding on node
      const real = tf.getKernel('Sign', 'tensorflow')!;
      tf.unregisterKernel('Sign', 'tensorflow');
      tf.registerKernel({
        ...real,
        kernelFunc: ({ inputs, backend }) => {
          const b = backend as unknown as { readSync(id: unknown): Float32Array; write(values: Float32Array, shape: number[], dtype: string): unknown };
          const x = inputs.x as tf.TensorInfo;
          const values = Float32Array.from(b.readSync(x.dataId), (v) => Math.sign(v) / 2);
          return { dataId: b.write(values, [...x.shape], 'float32'), shape: [...x.shape], dtype: 'float32' } as tf.TensorInfo;
        },
      });
      try {
        const r = runProperty(byName('sign'), { seed: 1, runs: 1, examples: [{ x: tensorValue([1], [3]) }], provenance: false });
        expect(r.status, r.failure?.kind === 'error' ? r.failure.message : '').toBe('failed');
      } finally {
        tf.unregisterKernel('Sign', 'tensorflow');
        tf.registerKernel(real);
      }
    } finally {
      await useBackend('cpu');
    }
    // cpu keeps subnormals: there sign(1e-45) = 1 meets the exact answer itself
    const onCpu = runProperty(byName('sign'), { seed: 1, runs: 1, examples: [cases[0]!.inputs], provenance: false });
    expect(onCpu.status).toBe('passed');
  });

  it('diff --backends cpu,node: a subnormal read as 0 by TensorFlow is its convention (not reported); a real disagreement is judged against the exact answer', async () => {
    const { catalog } = await import('../../properties/index.ts');
    const { diffProperty } = await import('../../src/diff/differential.ts');
    const { prepareBackends } = await import('../../src/diff/switch.ts');
    const { tensorValue } = await import('../../src/core/tensor-value.ts');
    const byName = (n: string) => catalog.find((p) => p.name === n)!;
    await prepareBackends(['cpu', 'node']);
    try {
      // sign(1e-45): cpu 1, TensorFlow 0 — both right by their conventions
      const sign = diffProperty(byName('sign'), { backends: ['cpu', 'node'], seed: 1, runs: 1, examples: [{ x: tensorValue([2], [2 ** -149, 3]) }] });
      expect(sign.status, sign.verdict?.message).toBe('agreed');
      // mean of [4e31, 3.4e38]: TensorFlow sums to Infinity before dividing, the exact mean is 1.7e38
      const mean = diffProperty(byName('mean'), {
        backends: ['cpu', 'node'],
        seed: 1,
        runs: 1,
        examples: [{ x: tensorValue([2], [4e31, 3.4028232635611926e38]) }],
      });
      expect(mean.status).toBe('disagreed');
      expect(mean.verdict?.right).toEqual(['cpu']);
      expect(mean.verdict?.message).toMatch(/cpu is right .*node is wrong \(Infinity\)/);
    } finally {
      await useBackend('cpu');
    }
  });

  it("screens no batch on TensorFlow, whose kernels compute an element by its position: the catalog's log finds the tail-element finding at seed 3", async () => {
    const { catalog } = await import('../../properties/index.ts');
    const { propertySeed, runProperty } = await import('../../src/property/runner.ts');
    const { batchesExactly } = await import('../../src/run/backend.ts');
    await useBackend('node');
    try {
      // the premise: log(1e-45) is -Infinity in a SIMD packet (the first 8 elements) and -103.97 in the scalar tail
      const x = tf.tensor1d([...new Array<number>(8).fill(1e-45), 1e-45]);
      const y = tf.log(x);
      const v = Array.from(y.dataSync());
      tf.dispose([x, y]);
      expect(v[0]).toBe(-Infinity);
      expect(v[8]).toBeCloseTo(-103.97, 2);
      expect([batchesExactly('node'), batchesExactly('cpu'), batchesExactly('wasm')]).toEqual([false, true, true]);
      // batched, this seed's log cases put their subnormals in packets and the property passed on node
      const log = catalog.find((p) => p.name === 'log')!;
      const r = runProperty(log, { seed: propertySeed(3, 'log'), provenance: false });
      expect(r.status).toBe('failed');
      expect(r.failure?.kind === 'violation' ? r.failure.violation.message : '').toMatch(/is -103\.97\d+; exact/);
    } finally {
      await useBackend('cpu');
    }
  });

  it("keeps TensorFlow's info lines out of the output unless the user sets TF_CPP_MIN_LOG_LEVEL", () => {
    const code = `
      import * as tf from '@tensorflow/tfjs';
      import { useBackend } from './src/run/backend.ts';
      await useBackend('node');
      const x = tf.tensor([1, 2]);
      const y = tf.exp(x);
      console.log(tf.getBackend(), process.env.TF_CPP_MIN_LOG_LEVEL, Array.from(y.dataSync()).map((v) => v.toFixed(4)).join(' '));
      tf.dispose([x, y]);`;
    const quiet = runModule(code, { TF_CPP_MIN_LOG_LEVEL: undefined });
    expect(quiet.code, quiet.err).toBe(0);
    expect(quiet.out).toBe('tensorflow 2 2.7183 7.3891\n');
    expect(tfLines(quiet.err).filter((l) => !AT_LOAD.some((re) => re.test(l)))).toEqual([]);
    expect(quiet.err).not.toMatch(/cpu_feature_guard|already registered/);
    // a level the user set is kept: at 0, TensorFlow's info lines are back
    const verbose = runModule(code, { TF_CPP_MIN_LOG_LEVEL: '0' });
    expect(verbose.code, verbose.err).toBe(0);
    expect(verbose.out).toBe('tensorflow 0 2.7183 7.3891\n');
    expect(verbose.err).toMatch(/cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized/);
  });

  it('runs vitest properties on TensorFlow with NANHUNT_BACKEND=node, its info lines out of the test output', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-node-vitest-'));
    try {
      const json = path.join(dir, 'report.json');
      const r = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
          'run',
          '--config',
          'test/fixtures/vitest/vitest.config.ts',
          '--reporter=json',
          `--outputFile.json=${json}`,
          'pass.spec',
          '-t',
          'stays finite|stable BCE|toStayFinite',
        ],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NANHUNT_BACKEND: 'node', TF_CPP_MIN_LOG_LEVEL: undefined }, timeout: 120_000 },
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        testResults: { assertionResults: { title: string; status: string; meta?: { nanhunt?: { backend: string } } }[] }[];
      };
      const props = report.testResults.flatMap((f) => f.assertionResults).filter((a) => a.meta?.nanhunt);
      expect(props.length).toBeGreaterThan(0);
      for (const a of props) expect([a.title, a.status, a.meta!.nanhunt!.backend]).toEqual([a.title, 'passed', 'node']);
      expect(tfLines(r.stdout)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
