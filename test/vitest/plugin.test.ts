// nanhunt/vitest, tested the way a user meets it: REAL vitest runs the fixture test files of
// test/fixtures/vitest/ (their own vitest config, *.spec.ts) and the examples/ in child processes,
// and these tests assert on what vitest reports (its JSON report: status, failure messages, the
// `meta` numProp records; and its console output). The consumer fixture is typechecked with tsc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertySeed } from '../../src/property/runner.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const FIXTURES = path.join(ROOT, 'test/fixtures/vitest');
const FIXTURE_CONFIG = path.join(FIXTURES, 'vitest.config.ts');
const EXAMPLES_CONFIG = path.join(ROOT, 'examples/vitest.config.ts');
const TMP = mkdtempSync(path.join(tmpdir(), 'nanhunt-vitest-'));

interface Assertion {
  fullName: string;
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
  meta: Record<string, any>;
}
interface Report {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; assertionResults: Assertion[] }[];
}
interface Child {
  code: number | null;
  out: string;
  err: string;
}
interface VitestRun extends Child {
  report: Report;
  test(fullName: string): Assertion;
}

/** The child's environment: ours without vitest's worker variables and without NANHUNT_*. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k.startsWith('NANHUNT_') || k.startsWith('FIXTURE_') || k === 'TEST') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

// At most two children at once: the machine has 2 cores, and each child vitest starts workers.
const MAX_CHILDREN = 2;
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnChild(args: string[], env: Record<string, string> = {}): Promise<Child> {
  return slot(() => spawnNow(args, env));
}

function spawnNow(args: string[], env: Record<string, string>): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

let runCount = 0;
/** Run vitest on some files of a project; read its JSON report. */
async function vitest(config: string, files: string[], env: Record<string, string> = {}): Promise<VitestRun> {
  const json = path.join(TMP, `report-${++runCount}.json`);
  const child = await spawnChild([VITEST, 'run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...files], env);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {
    throw new Error(`vitest wrote no JSON report (exit ${child.code}):\n${child.out}\n${child.err}`);
  }
  const all = report.testResults.flatMap((f) => f.assertionResults);
  return {
    ...child,
    report,
    test(fullName) {
      // 'suite > test', as vitest's fullTestName (the JSON report's own fullName joins with spaces)
      const nameOf = (a: Assertion): string => [...a.ancestorTitles, a.title].join(' > ');
      const found = all.filter((a) => nameOf(a) === fullName);
      if (found.length !== 1) throw new Error(`expected one test named '${fullName}', found ${found.length}: ${all.map(nameOf).join(' | ')}`);
      return found[0]!;
    },
  };
}

/** The single failure message of a failed test. */
function failure(a: Assertion): string {
  expect(a.status, `${a.fullName} should fail`).toBe('failed');
  expect(a.failureMessages, `${a.fullName}: one failed vitest test, one message`).toHaveLength(1);
  return a.failureMessages[0]!;
}

// The child runs are independent: start them together, await each where it is needed.
let main: Promise<VitestRun>;
let fromEnv: Promise<VitestRun>;
let random: Promise<VitestRun>;
let examples: Promise<VitestRun>;
let typecheck: Promise<Child>;
/** The failure file as the first database run left it. */
const savedStatus: Record<string, unknown>[] = [];
let replayed: Promise<{ seed: number; path: string; run: VitestRun }>;
let database: Promise<{ dir: string; runs: VitestRun[] }>;

beforeAll(() => {
  const files = ['pass.spec', 'fail.spec', 'leak.spec', 'seed.spec', 'consumer.spec', 'replay.spec'];
  main = vitest(FIXTURE_CONFIG, files);
  fromEnv = vitest(FIXTURE_CONFIG, ['seed.spec'], { NANHUNT_SEED: '123', NANHUNT_RUNS: '7', NANHUNT_BACKEND: 'wasm' });
  random = vitest(FIXTURE_CONFIG, ['seed.spec'], { NANHUNT_SEED: 'random' });
  examples = vitest(EXAMPLES_CONFIG, []);
  typecheck = spawnChild([TSC, '--noEmit', '-p', path.join(FIXTURES, 'types'), '--listFiles']);
  // replay the failure of 'exp stays finite' from the seed and path the main run reported
  replayed = main.then(async (run) => {
    const { seed, path: p } = run.test('exp stays finite').meta.nanhunt;
    return { seed, path: p, run: await vitest(FIXTURE_CONFIG, ['replay.spec'], { FIXTURE_SEED: String(seed), FIXTURE_PATH: p }) };
  });
  // the failure database: fail and save, fail again on the saved case first, pass once fixed
  database = (async () => {
    const dir = path.join(TMP, 'db');
    const env = { NANHUNT_DATABASE: dir };
    const runs = [await vitest(FIXTURE_CONFIG, ['database.spec'], env)];
    const savedTo = runs[0]!.test('exp, clipped once fixed').meta.nanhunt?.savedTo;
    if (savedTo) savedStatus.push(JSON.parse(readFileSync(savedTo, 'utf8')));
    runs.push(await vitest(FIXTURE_CONFIG, ['database.spec'], env));
    runs.push(await vitest(FIXTURE_CONFIG, ['database.spec'], { ...env, FIXTURE_FIXED: '1' }));
    return { dir, runs };
  })();
  // keep rejections from surfacing as unhandled before a test awaits them
  for (const p of [main, fromEnv, random, examples, typecheck, replayed, database]) p.catch(() => {});
});

afterAll(() => {
  rmSync(TMP, { recursive: true, force: true });
});

describe('numProp and the matchers in a real vitest run', () => {
  it('reports holding properties and matchers as passing tests, and leaves no tensor behind', async () => {
    const run = await main;
    for (const name of [
      'softmax stays finite',
      'stable BCE on a record of tensors',
      'toBeAllFinite on a finite tensor',
      'toStayFinite on the max-shifted softmax',
      'toHaveFiniteGradients of a sum of squares of bounded inputs',
      'toMatchReference: tf.abs is exact',
      'toMatchReference: tf.log1p against the exact log1p reference',
      'not.toStayFinite documents a known bug',
      'nanhunt left no tensors behind',
    ]) {
      expect(run.test(name).status, name).toBe('passed');
    }
    const softmax = run.test('softmax stays finite').meta.nanhunt;
    expect(softmax).toMatchObject({ status: 'passed', runs: 50, runsFrom: 'option', executed: 50, backend: 'cpu' });
    expect(run.out).not.toMatch(/Hi, looks like you are running TensorFlow\.js/);
  });

  it('fails a broken property as ONE failed test whose message is the failure report with the minimal case', async () => {
    const run = await main;
    const exp = run.test('exp stays finite');
    const m = failure(exp);
    expect(m).toMatch(/^NanhuntFailure: Property 'exp stays finite' failed on backend cpu after \d+ runs? and \d+ shrinks/);
    expect(m).toContain('  minimal input:\n    [0]: Tensor float32 [1] [89]\n');
    expect(m).toContain('first non-finite value born in kernel #0 Exp(x=[1] 89) -> [1] Infinity');
    const meta = exp.meta.nanhunt;
    expect(meta.status).toBe('failed');
    expect(m).toContain(`seed ${meta.seed}, path ${meta.path}`);
    expect(m).toContain(`replay: add { seed: ${meta.seed}, path: '${meta.path}' } to this numProp's options`);
    expect(m).toContain('config: runs 100 (default), seed global 0 (default), backend cpu (active)');

    const bce = failure(run.test('losses > naive BCE stays finite'));
    expect(bce).toContain("Property 'losses > naive BCE stays finite' failed");
    expect(bce).toContain('batch: { x: Tensor float32 [1] [18], y: Tensor float32 [1] [0] }');
    expect(bce).toContain('Log(x=[1] 0) -> [1] -Infinity');
  });

  it('fails each matcher with its reason and, for the property matchers, the minimal case', async () => {
    const run = await main;
    expect(failure(run.test('toBeAllFinite on a tensor holding NaN'))).toContain(
      'expected the tensor [2, 2] to be all finite, but tensor[1, 0] is NaN (2 of 4 elements are non-finite)',
    );
    const softmax = failure(run.test('toStayFinite on a naive softmax'));
    expect(softmax).toContain("Property 'toStayFinite on a naive softmax › toStayFinite' failed");
    expect(softmax).toContain('finite: output is NaN');
    expect(softmax).toContain('minimal input:\n    [0]: Tensor float32 [1] [89]');
    expect(softmax).toContain('to the options of toStayFinite');
    const sqrt = failure(run.test('toHaveFiniteGradients of sqrt'));
    expect(sqrt).toMatch(/finite: grad\(0\) is [-+]Infinity/);
    expect(sqrt).toContain('minimal input:\n    [0]: Tensor float32 [1] [0]');
    // float64 reference (Math.log1p) and exact reference (src/reference): log(1 + x) loses tiny x
    const log1p = failure(run.test('toMatchReference: log(1 + x) is not log1p'));
    expect(log1p).toMatch(/matches reference \(ulps <= 4\): output\[0\] is 0; exact \S+ \(\S+ in float32\): [5-9] ulps/);
    expect(log1p).toMatch(/minimal input:\n {4}\[0\]: Tensor float32 \[1\] \[[0-9.]+e-45\]/);
    const exact = failure(run.test('toMatchReference: log(1 + x) against the exact log1p reference'));
    expect(exact).toMatch(/matches reference \(bits <= 2\): output\[0\] is 0; exact \S+ \(\S+ in float32\): \d+ ulps, [\d.]+ bits of error/);
    expect(exact).toMatch(/minimal input:\n {4}\[0\]: Tensor float32 \[1\] \[[0-9.]+e-45\]/);
  });

  it('fails a test whose subject leaks tensors, naming the count', async () => {
    const run = await main;
    const one = failure(run.test('keeps one tensor'));
    expect(one).toMatch(/^NanhuntFailure: Tensor leak: the subject leaked 1 tensor in one run of the minimal case/);
    expect(one).toContain('error (leak): the subject leaked 1 tensor: dispose what you create');
    expect(failure(run.test('creates two variables'))).toContain('the subject leaked 2 tensors (2 of them variables)');
    expect(failure(run.test('toStayFinite on a leaking function'))).toMatch(/^Error: Tensor leak: the subject leaked 3 tensors/);
    expect(run.report.numFailedTests).toBe(11); // fail.spec 7, leak.spec 3, seed.spec's exp 1
  });

  it('derives the default seed from the test full name', async () => {
    const run = await main;
    expect(run.test('seed from env or default').meta.nanhunt).toMatchObject({
      seed: propertySeed(0, 'seed from env or default'),
      seedFrom: 'default',
      globalSeed: 0,
      random: false,
    });
    expect(run.test('a suite > nested seed').meta.nanhunt.seed).toBe(propertySeed(0, 'a suite > nested seed'));
    expect(run.test('options win over env').meta.nanhunt).toMatchObject({ seed: 42, seedFrom: 'option', runs: 3, executed: 3 });
    expect(run.test('einsum on the active backend').status).toBe('passed');
    expect(run.test('matcher seed').meta.nanhuntMatchers).toEqual([
      expect.objectContaining({ matcher: 'toStayFinite', seed: propertySeed(0, 'matcher seed › toStayFinite'), runs: 100, executed: 100 }),
    ]);
  });

  it('runs the typed consumer file: every test passes', async () => {
    const run = await main;
    const consumer = run.report.testResults.find((f) => f.name.endsWith('consumer.spec.ts'))!;
    expect(consumer.assertionResults.map((a) => a.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
  });

  it('replays a failure from the seed and path its report printed', async () => {
    const run = await main;
    expect(run.report.testResults.find((f) => f.name.endsWith('replay.spec.ts'))!.assertionResults[0]!.status).toBe('skipped');
    const { seed, path: replayPath, run: replay } = await replayed;
    expect(replayPath).toMatch(/^\d+(:\d+)*$/);
    const m = failure(replay.test('exp stays finite, replayed'));
    expect(m).toContain('minimal input:\n    [0]: Tensor float32 [1] [89]');
    expect(replay.test('exp stays finite, replayed').meta.nanhunt).toMatchObject({ seed, seedFrom: 'option', executed: 1 });
  });
});

describe('configuration: options, then NANHUNT_* environment, then defaults', () => {
  it('takes seed, runs and backend from NANHUNT_SEED / NANHUNT_RUNS / NANHUNT_BACKEND', async () => {
    const run = await fromEnv;
    for (const name of ['seed from env or default', 'a suite > nested seed']) {
      expect(run.test(name).meta.nanhunt, name).toMatchObject({
        seed: propertySeed(123, name),
        seedFrom: 'env',
        globalSeed: 123,
        runs: 5, // the test's own option wins over NANHUNT_RUNS
        runsFrom: 'option',
        backend: 'wasm',
      });
    }
    expect(run.test('options win over env').meta.nanhunt).toMatchObject({ seed: 42, seedFrom: 'option', runs: 3, backend: 'cpu' });
    const exp = run.test('exp fails under this seed');
    expect(exp.meta.nanhunt).toMatchObject({ seed: propertySeed(123, 'exp fails under this seed'), runs: 7, runsFrom: 'env', backend: 'wasm' });
    const m = failure(exp);
    expect(m).toContain('failed on backend wasm');
    expect(m).toContain(`seed ${propertySeed(123, 'exp fails under this seed')}`);
    expect(m).toContain("rerun: NANHUNT_SEED=123 npx vitest run test/fixtures/vitest/seed.spec.ts -t 'exp fails under this seed'");
    expect(m).toContain('config: runs 7 (env), seed global 123 (env), backend wasm (env)');
    expect(run.test('matcher seed').meta.nanhuntMatchers).toEqual([
      expect.objectContaining({ seed: propertySeed(123, 'matcher seed › toStayFinite'), runs: 7, runsFrom: 'env', backend: 'wasm', executed: 7 }),
    ]);
    // wasm has no Einsum kernel: neither a pass nor a failure, the test is skipped and says why
    const einsum = run.test('einsum on the active backend');
    expect(einsum.status).toBe('skipped');
    expect(einsum.meta.nanhunt).toMatchObject({ status: 'unsupported', backend: 'wasm' });
    expect(run.out).toContain("backend wasm has no kernel Einsum: Kernel 'Einsum' not registered for backend 'wasm'");
  });

  it('NANHUNT_SEED=random draws a seed per test and always prints it', async () => {
    const run = await random;
    const meta = run.test('seed from env or default').meta.nanhunt;
    expect(meta).toMatchObject({ random: true, seedFrom: 'env' });
    expect(meta.seed).toBe(propertySeed(meta.globalSeed, 'seed from env or default'));
    // printed although the test passed
    expect(run.test('seed from env or default').status).toBe('passed');
    expect(run.out).toContain(`nanhunt seed ${meta.seed} (global seed ${meta.globalSeed}, NANHUNT_SEED=random) — seed from env or default`);
    const exp = run.test('exp fails under this seed');
    const g = exp.meta.nanhunt.globalSeed;
    expect(failure(exp)).toContain(`rerun: NANHUNT_SEED=${g} npx vitest run`);
    const matcher = run.test('matcher seed').meta.nanhuntMatchers[0];
    expect(run.out).toContain(`nanhunt seed ${matcher.seed} (global seed ${matcher.globalSeed}, NANHUNT_SEED=random) — matcher seed › toStayFinite`);
  });

  it('saved failures of a test run first; a fixed case is marked fixed', async () => {
    const {
      dir,
      runs: [first, second, third],
    } = await database;
    const exp = first!.test('exp, clipped once fixed');
    failure(exp);
    expect(exp.meta.nanhunt).toMatchObject({ savedExamples: 0, status: 'failed' });
    expect(exp.meta.nanhunt.savedTo).toContain(dir);
    expect(readdirSync(dir)).toHaveLength(2); // the numProp's case and the matcher's
    expect(savedStatus[0]).toMatchObject({
      property: 'exp, clipped once fixed',
      status: 'failing',
      origin: { test: 'exp, clipped once fixed', file: 'test/fixtures/vitest/database.spec.ts' },
    });

    const again = failure(second!.test('exp, clipped once fixed'));
    expect(second!.test('exp, clipped once fixed').meta.nanhunt).toMatchObject({ savedExamples: 1, executed: 1 });
    expect(again).toContain('this case was saved in the failure database by an earlier run');
    expect(again).toContain('[0]: Tensor float32 [1] [89]');
    expect(second!.test('a matcher uses the database too').meta.nanhuntMatchers[0]).toMatchObject({ savedExamples: 1, executed: 1 });

    expect(third!.test('exp, clipped once fixed').status).toBe('passed');
    expect(third!.test('exp, clipped once fixed').meta.nanhunt.savedExamples).toBe(1);
    expect(JSON.parse(readFileSync(exp.meta.nanhunt.savedTo, 'utf8')).status).toBe('fixed');
  });
});

describe('types and examples', () => {
  it("typechecks a consumer of 'nanhunt' and 'nanhunt/vitest' (self-reference through exports), rejecting wrong uses", async () => {
    const tsc = await typecheck;
    // --listFiles: the consumer and the examples were checked, 'nanhunt/vitest' resolved to the package's own source
    expect(tsc.out).toContain('test/fixtures/vitest/types/consumer.spec.ts');
    expect(tsc.out).toContain('examples/custom-loss.spec.ts');
    expect(tsc.out).toContain('src/vitest/index.ts');
    expect(tsc.out).not.toContain('error TS'); // an unused @ts-expect-error (a wrong use accepted) would be one
    expect(tsc.err).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('runs the examples: the naive BCE fails with its minimal case, the others pass', async () => {
    const run = await examples;
    const naive = failure(run.test('naive BCE stays finite'));
    expect(naive).toContain('minimal input:\n    batch: { x: Tensor float32 [1] [18], y: Tensor float32 [1] [0] }');
    expect(naive).toContain('first non-finite value born in kernel #5 Log(x=[1] 0) -> [1] -Infinity');
    for (const name of [
      'stable BCE stays finite, gradients too',
      'custom Adam: three steps keep weights finite and bounded',
      'five Adam steps of a tiny dense model keep every weight finite',
    ]) {
      expect(run.test(name).status, name).toBe('passed');
    }
    expect(run.report.numTotalTests).toBe(4);
  });
});
