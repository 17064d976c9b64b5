/**
 * Shrinking captures of real runs, and the standalone repro scripts of the shrunk cases: each
 * script runs in a directory where only @tensorflow/tfjs is installed, prints the non-finite value
 * and exits 1; with the bug fixed in the script it exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nanGuard } from '../../src/guard/guard.ts';
import { readCapture, type Capture } from '../../src/guard/capture.ts';
import { replayCapture } from '../../src/guard/replay.ts';
import { shrinkCase, type ShrinkResult } from '../../src/guard/shrink.ts';
import { writeCaptureRepro } from '../../src/guard/repro.ts';
import { useBackend } from '../../src/run/backend.ts';
import { divergingMlp, lateNanFeature, naiveSigmoidLoss, type Scenario } from './scenarios.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-guard-shrink-'));
/** A project with only @tensorflow/tfjs (and its own dependencies) installed. */
const project = path.join(dir, 'project');

beforeAll(() => {
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules/@tensorflow'), path.join(project, 'node_modules/@tensorflow'), 'dir');
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await useBackend('cpu');
});

async function capture(make: () => Scenario): Promise<Capture> {
  const s = make();
  const guard = nanGuard(s.model, { dir: path.join(dir, 'captures'), log: false });
  try {
    await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
    return readCapture(guard.captureFile!);
  } finally {
    guard.detach();
    s.dispose();
  }
}

function runScript(file: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [file], { cwd: path.dirname(file), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Shrink, check the shrunk case replays the same on cpu and wasm, write its script into the bare project. */
async function shrinkAndWrite(c: Capture, name: string): Promise<{ shrunk: ShrinkResult; script: string }> {
  const before = tf.memory().numTensors;
  const shrunk = shrinkCase(c.case);
  expect(tf.memory().numTensors).toBe(before);
  expect(shrunk.interrupted).toBe(false);
  const min: Capture = { ...c, case: shrunk.case, info: { ...c.info, symptom: shrunk.identity.symptom } };
  for (const backend of ['cpu', 'wasm']) {
    await useBackend(backend);
    try {
      const r = replayCapture(min);
      expect(r.reproduces, `${name} on ${backend}`).toBe(true);
    } finally {
      await useBackend('cpu');
    }
  }
  const { script } = writeCaptureRepro(path.join(project, `${name}.repro.mjs`), shrunk.case, { symptom: shrunk.identity.symptom });
  return { shrunk, script };
}

describe('capture shrink: the minimal step and its standalone script', () => {
  it('the diverging MLP: one row of zeros, every weight 0 but the output bias, whose square overflows', async () => {
    const c = await capture(divergingMlp);
    const { shrunk, script } = await shrinkAndWrite(c, 'mlp');
    expect(shrunk.identity).toMatchObject({ symptom: { what: 'loss', value: Infinity }, stage: 'loss', born: 'Multiply' });
    expect(shrunk.stats).toMatchObject({ rowsBefore: 16, rowsAfter: 1 });
    expect(Array.from(shrunk.case.inputs[0]!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(shrunk.case.targets[0]!.data)).toEqual([0]);
    const nonzero = shrunk.case.weights.flatMap((w) => Array.from(w.value.data, (v) => ({ name: w.name, v })).filter((e) => e.v !== 0));
    expect(nonzero).toEqual([{ name: shrunk.case.weights[5]!.name, v: Math.fround(2e19) }]); // 2e19² > 3.4e38
    expect(shrunk.case.optimizer).toEqual(c.case.optimizer); // kept exact
    const r = runScript(script);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('step 21 (fit) on backend cpu: loss Infinity');
    expect(r.out).toContain('NON-FINITE: the loss is Infinity');
  });

  it('the naive sigmoid loss: the script shows the NaN; with the stable loss in its place it exits 0', async () => {
    const c = await capture(naiveSigmoidLoss);
    const { shrunk, script } = await shrinkAndWrite(c, 'naive-bce');
    expect(shrunk.identity).toMatchObject({ symptom: { what: 'loss' }, stage: 'loss', born: 'Log' });
    expect(Number.isNaN(shrunk.identity.symptom.value)).toBe(true);
    expect(shrunk.stats.rowsAfter).toBe(1);
    expect(shrunk.case.optimizer).toEqual(c.case.optimizer); // Adam's moments and beta powers, exact
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^import \* as tf from '@tensorflow\/tfjs';$/m);
    expect(text).not.toMatch(/nanhunt['/]/); // only tfjs
    expect(text).toContain('optimizer.accBeta1.assign(');
    const r = runScript(script);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/step 31 \(fit\) on backend cpu: loss NaN\nNON-FINITE: the loss is NaN/);
    // the fix: the numerically stable loss on logits
    const fixed = path.join(project, 'naive-bce-fixed.repro.mjs');
    const loss = /^const loss = .*;$/m;
    expect(text).toMatch(loss);
    writeFileSync(fixed, text.replace(loss, 'const loss = (yTrue, yPred) => tf.losses.sigmoidCrossEntropy(yTrue, yPred);'));
    const ok = runScript(fixed);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('the step stays finite: fixed');
  });

  it('the late NaN feature: the NaN cell alone in one row of zeros; the weights it meets become 0', async () => {
    const c = await capture(lateNanFeature);
    const { shrunk, script } = await shrinkAndWrite(c, 'nan-feature');
    expect(shrunk.identity).toMatchObject({ stage: 'data' });
    expect(Array.from(shrunk.case.inputs[0]!.data)).toEqual([0, Number.NaN, 0]);
    expect(Array.from(shrunk.case.targets[0]!.data)).toEqual([0]);
    expect(shrunk.case.weights.every((w) => w.value.data.every((v) => v === 0))).toBe(true); // 0 · NaN is NaN: no weight is needed
    expect(readdirSync(project).filter((f) => f.startsWith('nan-feature'))).toEqual(['nan-feature.repro.mjs']); // all zeros and literals: no sidecar
    const r = runScript(script);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('NON-FINITE: the loss is NaN');
  });

  it('large tensors go to the sidecar next to the script, which reads it', async () => {
    const c = await capture(divergingMlp);
    // the captured step itself (not shrunk): 64-element kernels and a [16, 4] batch
    const { script, sidecar } = writeCaptureRepro(path.join(project, 'mlp-full.repro.mjs'), c.case, { symptom: c.info.symptom });
    expect(sidecar).toBe(path.join(project, 'mlp-full.repro.weights.bin'));
    expect(readFileSync(script, 'utf8')).toContain('readFileSync(new URL("./mlp-full.repro.weights.bin", import.meta.url))');
    const r = runScript(script);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('NON-FINITE: the loss is Infinity');
  });
});
