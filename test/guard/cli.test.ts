/**
 * `nanhunt capture replay` and `nanhunt capture shrink` through the CLI; the saved failure that
 * `check` replays first, `replay` and `db`; a capture made on wasm replayed on cpu; bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { nanGuard } from '../../src/guard/guard.ts';
import { useBackend } from '../../src/run/backend.ts';
import { flushedSigmoid, lateNanFeature, naiveSigmoidLoss, type Scenario } from './scenarios.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-guard-cli-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await useBackend('cpu');
});

async function nanhunt(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function capture(make: () => Scenario, sub: string, backend = 'cpu'): Promise<string> {
  await useBackend(backend);
  const s = make();
  const guard = nanGuard(s.model, { dir: path.join(dir, sub), log: false });
  try {
    await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
    return guard.captureFile!;
  } finally {
    guard.detach();
    s.dispose();
    await useBackend('cpu');
  }
}

describe('nanhunt capture', () => {
  it('replay: reports the step, the diagnosis and the kernel, and exits 1 while it fails; on any backend', async () => {
    const file = await capture(naiveSigmoidLoss, 'replay');
    const r = await nanhunt('capture', 'replay', file);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^nanhunt \S+ · tfjs 4\.22\.0 · backend cpu · replaying capture /);
    expect(r.out).toMatch(/captured: step 31 \(epoch 8, batch 3\) of 'sequential_\d+' \(fit\) on cpu: the loss is NaN/);
    expect(r.out).toContain('optimizer Adam(learningRate 0.5, beta1 0.9, beta2 0.999, epsilon 1e-7) at iteration 30');
    expect(r.out).toContain('✗ reproduces on cpu: the loss is NaN');
    expect(r.out).toMatch(
      / {2}step 31: the loss is NaN while the predictions are finite; first non-finite weight: #1 dense_Dense\d+\/kernel at step 31, made by its gradient \(NaN\); losses before: /,
    );
    expect(r.out).toMatch(/ {2}first non-finite value born in kernel #\d+ Log\(x=\[16,1\] .*\) -> \[16,1\] .*-Inf/);
    expect(r.out).toMatch(/ {2}NaN born in kernel #\d+ Multiply\(/);
    expect(r.out).toContain(`shrink: npx nanhunt capture shrink ${file}`);
    const wasm = await nanhunt('capture', 'replay', file, '--backend', 'wasm');
    expect(wasm.code).toBe(1);
    expect(wasm.out).toContain('note: captured on backend cpu, replaying on wasm');
    expect(wasm.out).toContain('✗ reproduces on wasm: the loss is NaN');
  });

  it('a capture made on wasm that does not fail on cpu: replays on cpu with a note, exits 0; from a backend nanhunt cannot run, cpu is chosen', async () => {
    const file = await capture(flushedSigmoid, 'wasm', 'wasm');
    const onWasm = await nanhunt('capture', 'replay', file);
    expect(onWasm.code).toBe(1); // the backend it was captured on, by default
    expect(onWasm.out).toContain('· backend wasm ·');
    expect(onWasm.out).toMatch(/captured: step 9 \(epoch 1, batch 9\) .* on wasm: the loss is NaN/);
    const onCpu = await nanhunt('capture', 'replay', file, '--backend', 'cpu');
    expect(onCpu.code).toBe(0);
    expect(onCpu.out).toContain('note: captured on backend wasm, replaying on cpu');
    expect(onCpu.out).toContain(
      '✓ does not reproduce on cpu: the step stays finite (loss 0); on wasm it gave the loss is NaN — the failure depends on the backend',
    );
    // a capture from a browser's webgl backend: replayed on cpu, with a note
    const webgl = path.join(dir, 'webgl.capture.json');
    writeFileSync(webgl, readFileSync(file, 'utf8').replace('"backend": "wasm"', '"backend": "webgl"'));
    const fromBrowser = await nanhunt('capture', 'replay', webgl);
    expect(fromBrowser.code).toBe(0);
    expect(fromBrowser.out).toContain('note: captured on backend webgl, which nanhunt does not run: replaying on cpu (--backend to choose)');
    expect(fromBrowser.out).toContain('✓ does not reproduce on cpu');
    const shrink = await nanhunt('capture', 'shrink', file, '--backend', 'cpu', '--no-db', '--out', path.join(dir, 'none'));
    expect(shrink.code).toBe(0);
    expect(shrink.out).toContain('✓ does not reproduce on cpu: the captured step stays finite (on wasm it gave the loss is NaN); nothing to shrink');
  });

  it('shrink: the minimal capture, a repro script and a saved failure that check replays first; replay and db know it', async () => {
    const file = await capture(lateNanFeature, 'shrink');
    const db = path.join(dir, 'db');
    const out = path.join(dir, 'repro');
    const s = await nanhunt('capture', 'shrink', file, '--db', db, '--out', out);
    expect(s.err).toBe('');
    expect(s.code).toBe(1);
    const stem = path.basename(file, '.capture.json');
    const min = path.join(path.dirname(file), `${stem}.min.capture.json`);
    expect(existsSync(min)).toBe(true);
    expect(s.out).toMatch(/shrunk in \d+\.\d s, failing the same way throughout: the loss is NaN, stage data/);
    expect(s.out).toMatch(/rows 8 → 1; .*optimizer state exact/);
    expect(s.out).toContain('x [1, 3] [[0, NaN, 0]]');
    expect(s.out).toContain(`repro: node ${path.join(out, `${stem}.repro.mjs`)} (needs only @tensorflow/tfjs; every tensor is written in it)`);
    const saved = readdirSync(db);
    expect(saved).toHaveLength(1);
    const failure = path.join(db, saved[0]!);
    expect(s.out).toContain(`saved: ${failure} ('capture: ${stem}': npx nanhunt check runs it first;`);
    const record = JSON.parse(readFileSync(failure, 'utf8'));
    expect(record).toMatchObject({ property: `capture: ${stem}`, status: 'failing', failure: { invariant: 'captured step stays finite' } });
    expect(record.failure.message).toMatch(/^step 10: the data batch holds NaN \(1 of 3 values\)/);
    expect(record.origin.capture).toMatch(/\.min\.capture\.json$/);

    // the shrunk capture replays on its own
    const again = await nanhunt('capture', 'replay', min);
    expect(again.code).toBe(1);
    expect(again.out).toContain('shrunk from ');

    // check runs the saved captured step first: it still fails (a new finding: exit 1)
    const reports = path.join(dir, 'reports');
    const check = await nanhunt('check', '--db', db, '--filter', 'capture:', '--no-repro', '--reports', reports, '--quiet');
    expect(check.code).toBe(1);
    expect(check.out).toContain(`✗ capture: ${stem} — captured step stays finite: step 10: the data batch holds NaN`);
    expect(check.out).toContain('a saved failure, run first: it still fails');
    expect(check.out).toMatch(/captured step 10 \(fit\):\n {6}model 'sequential_\d+' \(Sequential, 2 layers, 21 weight values\)/);

    // nanhunt replay and db list / prune take it like any saved failure
    const replay = await nanhunt('replay', failure);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('from the captured training step');
    const list = await nanhunt('db', 'list', '--db', db);
    expect(list.out).toContain(`failing  capture: ${stem} — captured step stays finite: step 10: the data batch holds NaN`);
    const prune = await nanhunt('db', 'prune', '--db', db);
    expect(prune.out).toContain(`kept ${failure}: 'capture: ${stem}' still fails on cpu`);
  });

  it('bad input: one line and exit 2', async () => {
    expect((await nanhunt('capture')).code).toBe(2);
    expect((await nanhunt('capture', 'frobnicate')).code).toBe(2);
    expect((await nanhunt('capture', 'replay')).code).toBe(2);
    const missing = await nanhunt('capture', 'replay', path.join(dir, 'nope.capture.json'));
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toBe(`nanhunt: cannot replay ${path.join(dir, 'nope.capture.json')}: no such file`);
    const file = await capture(lateNanFeature, 'bad');
    const truncated = path.join(dir, 'truncated.capture.json');
    writeFileSync(truncated, readFileSync(file, 'utf8').slice(0, 200));
    const t = await nanhunt('capture', 'shrink', truncated);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/^nanhunt: cannot shrink .*truncated\.capture\.json: not valid JSON \(.*\): truncated or corrupt$/);
    const unknown = await nanhunt('capture', 'replay', file, '--backend', 'tpu');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown backend 'tpu'/);
    expect((await nanhunt('capture', 'shrink', file, '--max-runs', '0')).code).toBe(2);
    // through the real command: the exit code reaches the shell
    const copy = path.join(dir, 'copy.capture.json');
    copyFileSync(truncated, copy);
    const r = spawnSync(process.execPath, [BIN, 'capture', 'replay', copy], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help lists the command', async () => {
    const r = await nanhunt('--help');
    expect(r.out).toMatch(/^ {2}capture +replay or shrink a training step captured by nanGuard/m);
    expect(r.out).toContain('capture shrink <file> [--backend <b>] [--out <dir>]');
  });
});
