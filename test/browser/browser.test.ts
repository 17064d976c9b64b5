// Browser backends for real: headless Chromium (Debian's chromium, software rendering), webgl with
// and without float16 textures, webgpu, `check` and `diff` through the CLI. A few properties with
// few runs; the whole catalog on webgl is a CI step (.ci/run) and a bench (bench/browser.ts).
//
// When Chromium cannot be started here the suite is skipped, and its name says why; on CI
// (CI=true) that is a failure instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BrowserSession, CHROMIUM_ARGS, findChromium } from '../../src/browser/session.ts';
import { CATALOG_MODULE, loadCatalog, loadProperties } from '../../src/property/load.ts';
import { propertySeed, runProperty, type PropertyResult } from '../../src/property/runner.ts';
import { isTensorValue, type TensorValue } from '../../src/core/tensor-value.ts';
import type { Property } from '../../src/property/property.ts';
import { main } from '../../src/cli/main.ts';
import type { DiffDocument } from '../../src/diff/json.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/browser/float16.ts');

/** Can Chromium start here? (The reason when it cannot.) */
async function probeChromium(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const executablePath = findChromium();
  if (!executablePath) return { ok: false, reason: 'no Chromium at /usr/bin/chromium, $NANHUNT_CHROMIUM or on PATH' };
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 60_000 });
    await browser.close();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `${executablePath} did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}

const probe = await probeChromium();
const onCi = process.env.CI === 'true';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('Chromium for the browser backends', () => {
  it.runIf(onCi)('starts on CI (the browser suite must not be skipped there)', () => {
    expect(probe.ok ? 'started' : probe.reason).toBe('started');
  });

  it('rejects the emulation switches on other backends, and a bad --webgl-pack (exit 2, before any browser)', async () => {
    const a = io();
    expect(await main(['check', '--backend', 'cpu', '--webgl-f16', '--properties', FIXTURE], a.io)).toBe(2);
    expect(a.err.join('\n')).toMatch(/--webgl-f16 and --webgl-pack apply to --backend webgl, not cpu/);
    const b = io();
    expect(await main(['check', '--backend', 'webgl', '--webgl-pack', 'maybe', '--properties', FIXTURE], b.io)).toBe(2);
    expect(b.err.join('\n')).toMatch(/--webgl-pack must be on or off, got 'maybe'/);
    const c = io();
    expect(await main(['diff', '--backends', 'wasm,webgl', '--properties', FIXTURE], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/backend 'wasm' cannot be compared with webgl/);
  });

  it('without a Chromium, --backend webgl is a usage error that says how to get one (exit 2)', async () => {
    const before = process.env.NANHUNT_CHROMIUM;
    process.env.NANHUNT_CHROMIUM = '/nonexistent/chromium';
    try {
      const a = io();
      expect(await main(['check', '--backend', 'webgl', '--properties', FIXTURE], a.io)).toBe(2);
      expect(a.err.join('\n')).toMatch(
        /backend 'webgl' needs Chromium, and none was found \(\/nonexistent\/chromium\): install it \(Debian: apt-get install chromium\) or set NANHUNT_CHROMIUM/,
      );
      expect(a.out).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.NANHUNT_CHROMIUM;
      else process.env.NANHUNT_CHROMIUM = before;
    }
  });
});

describe.skipIf(!probe.ok)(`browser backends${probe.ok ? '' : ` — skipped: Chromium cannot be started here (${probe.reason})`}`, () => {
  let catalog: Property[];
  let fixtures: Map<string, Property>;
  let webgl: BrowserSession;
  let f16: BrowserSession;

  beforeAll(async () => {
    catalog = (await loadCatalog()).map((l) => l.property);
    fixtures = new Map((await loadProperties(FIXTURE)).map((l) => [l.property.name, l.property]));
    webgl = await BrowserSession.open({ backend: 'webgl', backends: ['webgl'], emulation: { webglF16: false }, files: [CATALOG_MODULE, FIXTURE] });
    f16 = await BrowserSession.open({ backend: 'webgl', backends: ['webgl'], emulation: { webglF16: true }, files: [CATALOG_MODULE, FIXTURE] });
  });
  afterAll(async () => {
    await webgl?.close();
    await f16?.close();
  });

  it('runs catalog properties in the page on webgl, with the GPU path forced for small tensors', async () => {
    expect(webgl.info.flags).toMatchObject({ WEBGL_VERSION: 2, WEBGL_CPU_FORWARD: false, WEBGL_FORCE_F16_TEXTURES: false, WEBGL_RENDER_FLOAT32_ENABLED: true });
    expect(webgl.info.chromium).toMatch(/^\d+\./);
    const names = ['softmax', 'matMul', 'losses.meanSquaredError', 'train.sgd 1 step'].filter((n) => catalog.some((p) => p.name === n));
    expect(names.length).toBe(4);
    for (const name of names) {
      const r = await webgl.run(name, { seed: propertySeed(0, name), runs: 5 });
      expect(r.name).toBe(name);
      expect(r.backend).toBe('webgl');
      expect(['passed', 'failed']).toContain(r.status);
      if (r.status === 'failed') expect(Object.values(r.counterexample as object).some((v) => isTensorValue(v) || typeof v === 'object')).toBe(true);
    }
  });

  it('generates and shrinks exactly the cases cpu does (same seed): an always-failing property shrinks to the same minimal case', async () => {
    const p = fixtures.get('browser always fails')!;
    const page = await webgl.run(p.name, { seed: 11, runs: 20 });
    const node = runProperty(p, { seed: 11, runs: 20, provenance: false });
    expect(page.status).toBe('failed');
    expect(page.backend).toBe('webgl');
    expect(node.backend).toBe('cpu');
    expect(page.path).toBe(node.path);
    expect(page.shrinks).toBe(node.shrinks);
    expect(page.counterexample).toEqual(node.counterexample);
    expect(isTensorValue((page.counterexample as { x: unknown }).x)).toBe(true);
    // and the same run again in the page gives the same result
    const again = await webgl.run(p.name, { seed: 11, runs: 20 });
    expect(again.path).toBe(page.path);
    expect(again.counterexample).toEqual(page.counterexample);
  });

  it('with float16 textures, sums and moments of values up to 1000 overflow (found and shrunk) while they pass on cpu and on float32 webgl', async () => {
    for (const name of ['browser sum of squares is finite', 'browser moments are finite']) {
      const p = fixtures.get(name)!;
      const cpu = runProperty(p, { seed: 5, runs: 100 });
      expect(cpu.status, `${name} on cpu`).toBe('passed');
      const full = await webgl.run(name, { seed: 5, runs: 100 });
      expect(full.status, `${name} on webgl`).toBe('passed');
      const half = await f16.run(name, { seed: 5, runs: 100 });
      expect(half.status, `${name} on webgl-f16`).toBe('failed');
      expect(half.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'finite' } });
      expect(half.failure?.kind === 'violation' && half.failure.violation.message).toMatch(/Infinity|NaN/);
      // shrunk: the minimal case is small and still beyond float16's range in its squares
      const x = (half.counterexample as { x: TensorValue }).x;
      expect(x.data.length).toBeLessThanOrEqual(2);
      const sumSq = Array.from(x.data).reduce((a, v) => a + v * v, 0);
      expect(sumSq).toBeGreaterThan(65504 / 4);
      expect(sumSq).toBeLessThan(2 * 65504 * 4);
      expect(half.shrinks).toBeGreaterThan(0);
    }
  });

  it("catches Adam's float16 step: epsilon 1e-10..0.1 rounds to 0, WebGL's 0/0 is 1, the zero gradient moves the weights (passes on cpu)", async () => {
    const name = 'train.adam zero gradient eps=user';
    const p = catalog.find((q) => q.name === name)!;
    const cpu = runProperty(p, { seed: propertySeed(0, name), runs: 100 });
    expect(cpu.status).toBe('passed');
    const half = await f16.run(name, { seed: propertySeed(0, name), runs: 100 });
    expect(half.status).toBe('failed');
    expect(half.failure).toMatchObject({ kind: 'violation', violation: { invariant: 'unchanged (equals params)' } });
    const c = half.counterexample as { t: { params: TensorValue; grads: TensorValue }; lr: number; eps: number };
    expect(Array.from(c.t.grads.data)).toEqual(new Array(c.t.grads.data.length).fill(0));
    expect(c.eps).toBeLessThan(3e-8); // below float16's smallest subnormal's half: rounds to 0
    // the weights moved by the whole learning rate: 0 - lr * (0 / 0 = 1)
    expect(half.failure?.kind === 'violation' && half.failure.violation.message).toMatch(/changed from 0 to -/);
  });

  it('nanhunt check --backend webgl --webgl-f16: one browser for the whole run, the flags in the header, JSON, HTML and JUnit, the failure shrunk', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-browser-'));
    const launches = BrowserSession.launches;
    const a = io();
    const code = await main(
      [
        'check',
        '--backend',
        'webgl',
        '--webgl-f16',
        '--webgl-pack',
        'off',
        '--properties',
        FIXTURE,
        '--filter',
        'browser',
        '--runs',
        '30',
        '--reports',
        dir,
        '--no-db',
        '--no-repro',
        '--seed',
        '5',
      ],
      a.io,
    );
    expect(a.err).toEqual([]);
    expect(code).toBe(1);
    expect(BrowserSession.launches - launches).toBe(1);
    const out = a.out.join('\n');
    expect(a.out[0]).toMatch(/^nanhunt .* · backend webgl \(Chromium \d+[.\d]* · webgl-f16 on · webgl-pack off\) · seed 5 · 4 properties$/);
    expect(out).toMatch(/✗ browser sum of squares is finite — finite: output is (\+?Infinity|NaN)/);
    expect(out).toMatch(/replay: npx nanhunt check .*--backend webgl/);
    const doc = JSON.parse(readFileSync(path.join(dir, 'nanhunt.json'), 'utf8'));
    expect(doc.backend).toBe('webgl');
    expect(doc.browser).toMatchObject({
      webglF16: true,
      webglPack: 'off',
      flags: { WEBGL_FORCE_F16_TEXTURES: true, WEBGL_RENDER_FLOAT32_ENABLED: false, WEBGL_PACK: false, WEBGL_CPU_FORWARD: false },
    });
    expect(doc.properties.every((p: PropertyResult) => p.backend === 'webgl')).toBe(true);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toMatch(/backend webgl \(Chromium [\d.]+ · webgl-f16 on · webgl-pack off\)/);
    expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toMatch(/name="webgl-f16" value="on"/);
  });

  it('a fresh browser takes over every runsPerBrowser properties (bounding the GPU process), with the same results', async () => {
    const launches = BrowserSession.launches;
    const short = await BrowserSession.open({ backend: 'webgl', backends: ['webgl'], emulation: { webglF16: false }, files: [FIXTURE], runsPerBrowser: 2 });
    try {
      const p = fixtures.get('browser always fails')!;
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await short.run(p.name, { seed: 11, runs: 20 }));
      expect(BrowserSession.launches - launches).toBe(3);
      const first = await webgl.run(p.name, { seed: 11, runs: 20 });
      for (const r of results) {
        expect(r.status).toBe('failed');
        expect(r.counterexample).toEqual(first.counterexample);
        expect(r.path).toBe(first.path);
      }
    } finally {
      await short.close();
    }
  });

  it('leaves properties with large inputs out of a browser run unless --filter names them', async () => {
    const file = path.join(ROOT, 'test/fixtures/browser/large.ts');
    const common = ['check', '--backend', 'webgl', '--properties', file, '--runs', '3', '--no-db', '--no-repro', '--seed', '1'];
    const a = io();
    expect(await main([...common, '--reports', mkdtempSync(path.join(tmpdir(), 'nanhunt-large-'))], a.io)).toBe(0);
    expect(a.out.join('\n')).toMatch(/· 1 property$/m);
    expect(a.out.join('\n')).toContain(
      'not run on webgl: 1 property with large inputs (minutes per case in software rendering); name one with --filter to run it',
    );
    expect(a.out.join('\n')).not.toContain('browser fixture large');
    const b = io();
    expect(await main([...common, '--filter', 'browser fixture large', '--reports', mkdtempSync(path.join(tmpdir(), 'nanhunt-large-'))], b.io)).toBe(1);
    expect(b.out.join('\n')).toMatch(/✗ browser fixture large — never holds/);
  });

  it('a lost WebGL context is not a finding: a new browser runs the property again, and a second loss stops the run (exit 2, one line)', async () => {
    const launches = BrowserSession.launches;
    const restarts = BrowserSession.restarts;
    const a = io();
    const lost = path.join(ROOT, 'test/fixtures/browser/context-lost.ts');
    const code = await main(['check', '--backend', 'webgl', '--properties', lost, '--runs', '3', '--no-db', '--no-repro', '--seed', '1'], a.io);
    expect(code).toBe(2);
    expect(BrowserSession.restarts - restarts).toBe(1);
    expect(BrowserSession.launches - launches).toBe(2);
    expect(a.err).toEqual([
      "nanhunt: backend 'webgl': 'planted: loses the WebGL context' lost the WebGL context twice (Chromium's GPU process failed: the WebGL context was lost); run it alone with --properties or on another machine",
    ]);
    expect(a.out.join('\n')).not.toMatch(/✗/);
  });

  it('a baseline entry for webgl is a known finding: its saved case replays in the page (exit 0)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-browser-gate-'));
    const first = io();
    const args = [
      'check',
      '--backend',
      'webgl',
      '--webgl-f16',
      '--properties',
      FIXTURE,
      '--filter',
      'browser sum of squares',
      '--runs',
      '30',
      '--no-db',
      '--no-repro',
      '--seed',
      '5',
    ];
    expect(await main([...args, '--reports', path.join(dir, 'r1')], first.io)).toBe(1);
    const doc = JSON.parse(readFileSync(path.join(dir, 'r1', 'nanhunt.json'), 'utf8'));
    const failed = doc.properties[0];
    const baseline = path.join(dir, 'baseline.json');
    const entry = {
      property: failed.name,
      invariant: 'finite',
      backend: 'webgl',
      message: failed.message,
      seed: failed.seed,
      path: failed.path,
      case: failed.counterexample,
    };
    writeFileSync(baseline, `{\n  "format": "nanhunt-baseline",\n  "version": 2,\n  "findings": [\n    ${JSON.stringify(entry)}\n  ]\n}\n`);
    const second = io();
    expect(await main([...args, '--reports', path.join(dir, 'r2'), '--baseline', baseline], second.io)).toBe(0);
    expect(second.out.join('\n')).toMatch(/1 entry of \S+ matched: 1 known finding \(not counted as failures\)/);
    // with --runs 1 the search does not meet it, and the replay of its saved case in the page does
    const third = io();
    const noFloat16 = args.filter((a) => a !== '--webgl-f16');
    const thirdCode = await main([...noFloat16, '--runs', '1', '--reports', path.join(dir, 'r3'), '--baseline', baseline, '--strict'], third.io);
    expect(third.out.join('\n')).toMatch(/fixed: .*browser sum of squares is finite/);
    expect(thirdCode).toBe(1);
    expect(third.out.join('\n')).toMatch(/fixed: .*browser sum of squares is finite/);
  });

  it('a failure saved by a webgl-f16 run replays in the page: with --webgl-f16 it still fails, without it passes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-browser-db-'));
    const db = path.join(dir, 'db');
    const a = io();
    const args = ['check', '--backend', 'webgl', '--webgl-f16', '--properties', FIXTURE, '--filter', 'browser sum of squares', '--runs', '30', '--seed', '5'];
    expect(await main([...args, '--db', db, '--no-repro', '--reports', path.join(dir, 'r')], a.io)).toBe(1);
    const saved = /saved: (\S+) \(replay: npx nanhunt replay \S+ --webgl-f16\)/.exec(a.out.join('\n'));
    expect(saved).not.toBeNull();
    const file = path.resolve(saved![1]!);
    const b = io();
    expect(await main(['replay', file, '--webgl-f16'], b.io)).toBe(1);
    expect(b.out[0]).toMatch(/· backend webgl · replaying /);
    expect(b.out.join('\n')).toMatch(/✗ still fails: 'browser sum of squares is finite' on backend webgl/);
    expect(b.out.join('\n')).toMatch(/replay: npx nanhunt replay \S+ --webgl-f16/);
    const c = io();
    expect(await main(['replay', file], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/✓ fixed: 'browser sum of squares is finite' passes on the saved case on backend webgl/);
  });

  it('nanhunt diff --backends cpu,webgl runs both in the page and writes its report; float16 textures disagree with cpu', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-browser-diff-'));
    const json = path.join(dir, 'diff.json');
    const a = io();
    const code = await main(
      ['diff', '--backends', 'cpu,webgl', '--webgl-f16', '--properties', FIXTURE, '--filter', 'browser sum of squares', '--runs', '30', '--json', json],
      a.io,
    );
    expect(a.err).toEqual([]);
    expect(code).toBe(1);
    expect(a.out[0]).toMatch(/· diff cpu vs webgl ·/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as DiffDocument & { browser?: { webglF16: boolean } };
    expect(doc.backends).toEqual(['cpu', 'webgl']);
    expect(doc.browser?.webglF16).toBe(true);
    expect(doc.summary).toMatchObject({ total: 1, disagreed: 1 });
    expect(doc.properties[0]!.status).toBe('disagreed');
    const b = io();
    // without float16 textures, sums of squares of whole numbers are exact on both
    expect(await main(['diff', '--backends', 'cpu,webgl', '--properties', FIXTURE, '--filter', 'browser sum of squares', '--runs', '30'], b.io)).toBe(0);
    expect(b.out.at(-1)).toBe('1 agreed, 0 disagreed');
  });

  it('webgpu: the async engine runs a property there; a synchronous read in a subject is its error and the device keeps working', async () => {
    const gpu = await BrowserSession.open({ backend: 'webgpu', backends: ['webgpu'], emulation: { webglF16: false }, files: [FIXTURE] });
    try {
      const sync = await gpu.run('browser reads synchronously', { seed: 1, runs: 5 });
      expect(sync.backend).toBe('webgpu');
      expect(sync.status).toBe('errored');
      expect(sync.failure).toMatchObject({ kind: 'error', stage: 'subject' });
      expect(sync.failure?.kind === 'error' && sync.failure.message).toMatch(/synchronous read .* on webgpu/);
      const p = fixtures.get('browser always fails')!;
      const r = await gpu.run(p.name, { seed: 11, runs: 20 });
      expect(r.backend).toBe('webgpu');
      expect(r.counterexample).toEqual(runProperty(p, { seed: 11, runs: 20, provenance: false }).counterexample);
      const sum = await gpu.run('browser sum of squares is finite', { seed: 5, runs: 30 });
      expect(sum.status).toBe('passed');
    } finally {
      await gpu.close();
    }
    expect(tf.getBackend()).toBe('cpu');
  });
});
