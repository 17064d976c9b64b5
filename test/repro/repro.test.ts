// Standalone repro scripts: literal inputs (-0, NaN, ±Infinity exact), the subject's source checked
// to run on its own (no script when it cannot), the verdict judged in plain JavaScript exactly as
// nanhunt judges it, and generated .mjs files that run with `node` in a directory holding only
// @tensorflow/tfjs: exit 1 while a planted defect is there, 0 once it is removed (the fix).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { property, runProperty, tensorValue, useBackend, type Property, type PropertyResult, type Tolerance } from '../../src/index.ts';
import { REPRO_RUNTIME, reproScript, writeRepro } from '../../src/report/repro.ts';
import { measureError } from '../../src/check/error.ts';
import { withinTolerance } from '../../src/check/accuracy.ts';
import { ulpDistance } from '../../src/core/float32.ts';
import { main } from '../../src/cli/main.ts';
import { logOfProbabilities, sqrtGradient, usesHelper, zeroTimesExp } from '../fixtures/repro/props.ts';
import * as planted from '../fixtures/repro/planted.ts';
import { inParallel, isolatedDir, runNode } from './isolated.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let DIR = '';
beforeAll(() => {
  DIR = isolatedDir();
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

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

function textOf(input: Parameters<typeof reproScript>[0]): string {
  const r = reproScript(input);
  if (!r.selfContained) throw new Error(`no script: ${r.reason}`);
  return r.text;
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
    const text = textOf({ property: p, result });
    expect(text).toContain("const x = tf.tensor([-0, NaN, Infinity, -Infinity, 1e-45, 3.4028235e+38], [2, 3], 'float32');");
    expect(text).toContain("const k = tf.tensor([3, -7], [2], 'int32');");
    expect(text).toContain("const mask = tf.tensor([true, false], [2], 'bool');");
    expect(text).toContain("const s = tf.scalar(0.1, 'float32');");
    expect(text).toContain('const inputs = { x, k, mask, s, lr: -0, eps: 1e-8, name: "it\'s" };');
    expect(Math.fround(3.4028235e38)).toBe(3.4028234663852886e38); // the shortest text is the same float32
    expect(text.split('\n').filter((l) => l.startsWith('import '))).toEqual(["import * as tf from '@tensorflow/tfjs';"]);
    // plain JavaScript: no type annotation anywhere (the file is .mjs)
    expect(text).not.toMatch(/: (any|tf\.Tensor|string|number|boolean|unknown)\b[,)=;]/);
  });

  it('uses the source as is when it runs on its own and gives the same outputs', () => {
    const { property: p, result } = failOn('repro: own', { x: tensorValue([1], [89]) }, ({ x }) => tf.exp(x as tf.Tensor));
    expect(textOf({ property: p, result })).toContain('const subject = ({ x }) => tf.exp(x);');
  });

  it('reads bundler namespaces (vitest) and other names of TensorFlow.js as tf, after checking the outputs match', () => {
    const x = { x: tensorValue([1], [89]) };
    const vite = failOn('repro: vite', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => __vite_ssr_import_0__.exp(x)' });
    expect(textOf(vite)).toContain('= ({ x }) => tf.exp(x);');
    const alias = failOn('repro: alias', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => tfjs.exp(x)' });
    expect(textOf(alias)).toContain('const tfjs = tf;');
    const method = failOn('repro: method', x, ({ x }) => tf.exp(x as tf.Tensor), { source: 'subject({ x }) { return tf.exp(x); }' });
    expect(reproScript(method).selfContained).toBe(true);
  });

  it('writes no script for a source that gives other results or calls a helper: it says why, and removes a stale script', () => {
    const x = { x: tensorValue([1], [89]) };
    const lying = failOn('repro: lying', x, ({ x }) => tf.exp(x as tf.Tensor), { source: '({ x }) => tf.log(x)' });
    const r1 = reproScript(lying);
    expect(r1).toMatchObject({ selfContained: false, reason: expect.stringMatching(/gives different results/) });

    const result = runProperty(usesHelper, { seed: 1, runs: 100 });
    const origin = { file: path.join(ROOT, 'test/fixtures/repro/props.ts'), exportName: 'usesHelper' };
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-repro-none-'));
    const stale = path.join(dir, 'fixture-helper-log.mjs');
    writeFileSync(stale, '// an older script of this property\n');
    const written = writeRepro(dir, { property: usesHelper, result, origin });
    expect(written.file).toBeUndefined();
    expect(written.repro).toMatchObject({
      selfContained: false,
      reason: expect.stringMatching(/refers to `helperLog`, which is defined outside the subject \(`usesHelper` in .*test\/fixtures\/repro\/props\.ts/),
    });
    expect(existsSync(stale)).toBe(false);
  });

  it('writes no script for a failure no script can show (an invariant that throws)', () => {
    const p = property({
      name: 'repro: invariant throws',
      inputs: { x: fc.constant(tensorValue([1], [1])) },
      subject: ({ x }) => tf.abs(x),
      invariants: [
        {
          name: 'throws',
          check: () => {
            throw new Error('bug in the check');
          },
        },
      ],
    });
    const result = runProperty(p, { seed: 1, runs: 1 });
    expect(reproScript({ property: p, result })).toEqual({
      selfContained: false,
      reason: "one of nanhunt's invariants threw: that is a fault of the property, not of the code under test",
    });
  });
});

describe("the script's judge is nanhunt's, in plain JavaScript", () => {
  const rt = new Function('tf', `${REPRO_RUNTIME}\nreturn { measure, within, ulpsBetween };`)(tf) as {
    measure(got: number, exact: number, kind: string): { ulps: number; abs: number };
    within(m: { ulps: number; abs: number }, tol: Tolerance, exact: number, magnitude: number, peak: number, absSum?: number, terms?: number): boolean;
    ulpsBetween(a: number, b: number): number;
  };
  const kinds = ['finite', '+inf', '-inf', 'nan'] as const;
  const value = fc.oneof(fc.double(), fc.float().map(Number), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38, 1e-45, 2 ** 128));
  const tolerance = fc.record(
    {
      ulps: fc.integer({ min: 0, max: 64 }),
      bits: fc.double({ min: 0, max: 32, noNaN: true }),
      atol: fc.double({ min: 0, max: 1, noNaN: true }),
      rtol: fc.double({ min: 0, max: 1e-3, noNaN: true }),
      ctol: fc.integer({ min: 0, max: 64 }),
      ptol: fc.double({ min: 0, max: 1e-3, noNaN: true }),
      acc: fc.integer({ min: 0, max: 4 }),
      accBlock: fc.integer({ min: 1, max: 512 }),
    },
    { requiredKeys: [] },
  );
  const accumulation = fc.option(fc.record({ absSum: fc.double({ min: 0, max: 1e40, noNaN: true }), terms: fc.integer({ min: 0, max: 1e7 }) }), {
    nil: undefined,
  });

  it('measures ULPs and judges tolerances exactly as src/check does', () => {
    fc.assert(
      fc.property(value, value, fc.constantFrom(...kinds), tolerance, value, value, accumulation, (got32, exact, kind, tol, magnitude, peak, acc) => {
        const got = Math.fround(got32);
        const mine = rt.measure(got, exact, kind);
        const theirs = measureError(got, exact, kind);
        expect(mine.ulps).toBe(theirs.ulps);
        expect(mine.abs).toBe(theirs.absError);
        expect(rt.within(mine, tol, exact, Math.abs(magnitude), Math.abs(peak), acc?.absSum, acc?.terms)).toBe(
          withinTolerance(theirs, tol, exact, Math.abs(magnitude), Math.abs(peak), acc),
        );
        expect(rt.ulpsBetween(got, Math.fround(exact))).toBe(ulpDistance(got, Math.fround(exact)));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });
});

/** The scripts' own number format (shortest text that reads back as the float32). */
const scriptFmt = new Function('tf', `${REPRO_RUNTIME}\nreturn fmt;`)(tf) as (x: number) => string;

describe('generated scripts run with node where only @tensorflow/tfjs is installed', () => {
  /** Run a property with a planted defect, write its script, then remove the defect. */
  function withPlant(name: planted.Plant, p: Property<any>): { result: PropertyResult; file: string; preload: string } {
    const restore = planted.plant(name);
    try {
      const result = runProperty(p, { seed: 3, runs: 200 });
      expect(result.status, p.name).not.toBe('passed');
      const { file, repro } = writeRepro(DIR, { property: p, result });
      expect(repro.selfContained, p.name).toBe(true);
      const preload = path.join(DIR, `plant-${name}.mjs`);
      writeFileSync(preload, planted.plantModule(name));
      return { result, file: file!, preload };
    } finally {
      restore();
    }
  }

  it('each kind of verdict exits 1 while the planted defect is there and 0 once it is removed', async () => {
    const before = tf.memory().numTensors;
    const cases = [
      { plant: 'expOverflow', property: planted.expFinite, shows: /NON-FINITE: 1 of \d+ elements: \[\d\] = Infinity/ },
      { plant: 'expOverflow', property: planted.expGradientFinite, shows: /Reproduced: NaN or ±Infinity in grad\(x\)\./ },
      { plant: 'expThrows', property: planted.expRuns, shows: /the subject failed: Error: planted: Exp refuses x > 80/ },
      {
        plant: 'sqrtInaccurate',
        property: planted.sqrtAccurate,
        shows: /output\[\d\] = [\d.e+-]+; exact [\d.e+-]+ \([\d.e+-]+ in float32\): \d+ ulps — OUT OF TOLERANCE/,
      },
      {
        plant: 'sqrtInaccurate',
        property: planted.sqrtGradientAccurate,
        shows: /grad\(x\)\[\d\] = [\d.e+-]+; exact [\d.e+-]+ \(.*\): \d+ ulps — OUT OF TOLERANCE/,
      },
    ] as const;
    const written = cases.map((c) => ({ ...c, ...withPlant(c.plant, c.property) }));
    expect(tf.memory().numTensors).toBe(before);
    const runs = await inParallel(
      written.flatMap((w) => [() => runNode(DIR, w.file, w.preload), () => runNode(DIR, w.file)]),
      4,
    );
    written.forEach((w, i) => {
      const [broken, fixed] = [runs[2 * i]!, runs[2 * i + 1]!];
      expect(broken.code, `${w.property.name}\n${broken.out}`).toBe(1);
      expect(broken.out).toMatch(w.shows);
      expect(broken.out).toContain('Reproduced');
      expect(fixed.code, `${w.property.name} (fixed)\n${fixed.out}`).toBe(0);
      expect(fixed.out).toContain('Not reproduced');
      // an accuracy verdict shows nanhunt's own figures: the same value and the same ULPs
      const f = w.result.failure;
      if (f?.kind === 'violation' && f.violation.details?.ulps !== undefined && f.violation.location) {
        const loc = f.violation.location;
        expect(broken.out, w.property.name).toContain(`${loc.tensor}[${loc.index}] = ${scriptFmt(loc.value)}`);
        expect(broken.out, w.property.name).toContain(`: ${f.violation.details.ulps} ulps — OUT OF TOLERANCE`);
      }
    });
  }, 120_000);

  it('the fixtures of earlier bugs: log(0), sqrt at 0, 1 / -0, 0 * exp(x) on wasm, and a subject returning a Promise', async () => {
    const log = writeRepro(DIR, { property: logOfProbabilities, result: runProperty(logOfProbabilities, { seed: 1, runs: 100 }) });
    const grad = writeRepro(DIR, { property: sqrtGradient, result: runProperty(sqrtGradient, { seed: 1, runs: 100 }) });
    expect(readFileSync(grad.file!, 'utf8')).toContain('// first non-finite value born in kernel RealDiv(a=[1] 1, b=[1] 0) -> [1] Infinity');
    const recip = failOn('repro: reciprocal of -0', { x: tensorValue([2], [1, -0]) }, ({ x }) => tf.div(1, x as tf.Tensor));
    const reciprocal = writeRepro(DIR, recip);
    expect(readFileSync(reciprocal.file!, 'utf8')).toContain("tf.tensor([1, -0], [2], 'float32')");
    await useBackend('wasm');
    let wasm: ReturnType<typeof writeRepro>;
    try {
      const result = runProperty(zeroTimesExp, { seed: 1, runs: 100 });
      expect(result.backend).toBe('wasm');
      wasm = writeRepro(DIR, { property: zeroTimesExp, result });
    } finally {
      await useBackend('cpu');
    }
    const asyncSubject = property({
      name: 'repro: returns a promise',
      inputs: { x: fc.constant(tensorValue([1], [1])) },
      subject: (async ({ x }: { x: tf.Tensor }) => tf.abs(x)) as never,
    });
    const promised = runProperty(asyncSubject, { seed: 1, runs: 1 });
    expect(promised.failure).toMatchObject({ kind: 'error', stage: 'output' });
    const promise = writeRepro(DIR, { property: asyncSubject, result: promised });
    const [a, b, c, d, e] = await inParallel(
      [log, grad, reciprocal, wasm, promise].map((w) => () => runNode(DIR, w.file!)),
      4,
    );
    expect(a!.out).toContain(`@tensorflow/tfjs ${tf.version.tfjs}, backend cpu`);
    expect(a!.out).toContain('output: float32 [1] [-Infinity]');
    expect(a!.out).toContain('NON-FINITE: 1 of 1 elements: [0] = -Infinity');
    expect(b!.out).toContain('grad(x): float32 [1] [Infinity]');
    expect(c!.out).toContain('output: float32 [2] [1, -Infinity]');
    expect(d!.out).toContain(`@tensorflow/tfjs ${tf.version.tfjs}, backend wasm`);
    expect(d!.out).toContain('output: float32 [1] [NaN]');
    expect(e!.out).toContain('the subject failed: Error: the subject returned object, not tensors');
    expect(e!.out).toContain('Reproduced: it fails the same way.');
    for (const r of [a, b, c, d, e]) expect(r!.code, r!.out).toBe(1);
  }, 120_000);

  it('check writes a script per distinct failure (<name>.mjs, <name>.2.mjs), each runs as printed and shows its own failure', async () => {
    const dir = mkdtempSync(path.join(DIR, 'distinct-'));
    const repro = path.join(dir, 'reports', 'repro');
    const check = async (...more: string[]) => {
      const out: string[] = [];
      const args = ['check', '--properties', path.join(ROOT, 'test/fixtures/repro/props.ts'), '--filter', 'fixture naive softplus', '--seed', '1', '--no-db'];
      const code = await main([...args, '--reports', path.join(dir, 'reports'), ...more], { out: (l) => out.push(l), err: (l) => out.push(l) });
      return { code, text: out.join('\n') };
    };
    const first = await check();
    expect(first.code).toBe(1);
    const printed = [...first.text.matchAll(/repro: node (\S+)$/gm)].map((m) => m[1]!);
    expect(printed).toEqual([path.join(repro, 'fixture-naive-softplus.mjs'), path.join(repro, 'fixture-naive-softplus.2.mjs')]);
    // the overflow (output Infinity, exact 89) and the lost accuracy, in either order: each script shows its own
    const runs = await Promise.all(printed.map((f) => runNode(DIR, f)));
    for (const r of runs) expect(r.code).toBe(1);
    const overflow = runs.findIndex((r) => r.out.includes('NON-FINITE'));
    expect(overflow).not.toBe(-1);
    expect(readFileSync(printed[overflow]!, 'utf8')).toContain('[89]');
    expect(runs[1 - overflow]!.out).not.toContain('NON-FINITE');
    expect(runs[1 - overflow]!.out).toMatch(/ulps/i);
    // a run that stops at the first failure leaves no stale script of the second
    expect((await check('--distinct', '1')).code).toBe(1);
    expect(existsSync(printed[0]!)).toBe(true);
    expect(existsSync(printed[1]!)).toBe(false);
  }, 60_000);

  it('check writes the repro of a shipped example under --reports, prints the exact command, and it runs as printed', async () => {
    // the reports (and so the script) inside the scratch directory: its node_modules is the one it resolves from
    const dir = mkdtempSync(path.join(DIR, 'check-'));
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
        '--reports',
        path.join(dir, 'reports'),
      ],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
    );
    expect(code).toBe(0); // an expected failure
    const line = out.join('\n').match(/repro: node (\S+)$/m);
    expect(line, out.join('\n')).not.toBeNull();
    const file = line![1]!;
    expect(file).toBe(path.join(dir, 'reports', 'repro', 'naive-bce-example-bug.mjs')); // under --reports
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('// (a shipped example of a bug: log(0) once sigmoid saturates (|x| >= 17.33))');
    expect(text).toContain(`// Run: node ${file}`);
    const r = await runNode(DIR, file);
    expect(r.out).toMatch(/output: float32 \[\d+\] \[.*(NaN|Infinity)/);
    expect(r.out).toContain('NON-FINITE');
    expect(r.code).toBe(1);
  }, 60_000);
});
