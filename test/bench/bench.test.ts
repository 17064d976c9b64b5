// Smoke test of the benchmarks: every figure runs with tiny settings and comes out well formed.
// No timing is asserted (figures from a smoke run mean nothing); leaks, shapes and minimal cases are.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { benchJson, formatBench, runBench, type BenchReport } from '../../bench/index.ts';
import { median } from '../../bench/lib.ts';
import { measureMinimal } from '../../bench/minimal.ts';
import { overheadCase } from '../../bench/overhead.ts';
import { allInputsFinite, loadScenarios } from '../../bench/scenarios.ts';
import { runScript, SCRIPTS } from '../../bench/scripts.ts';
import { tensorValue } from '../../src/core/tensor-value.ts';
import { useBackend } from '../../src/run/backend.ts';

const positive = (x: number) => Number.isFinite(x) && x > 0;

describe('npm run bench (quick settings)', () => {
  let report: BenchReport;
  beforeAll(async () => {
    report = await runBench({ quick: true, backends: ['cpu', 'wasm'] });
    await useBackend('cpu');
  });

  test('machine header: cores, CPU, versions, backends, date, load average', () => {
    expect(report.format).toBe('nanhunt-bench');
    expect(report.quick).toBe(true);
    expect(report.machine.cores).toBe(os.cpus().length);
    expect(report.machine.cpu.length).toBeGreaterThan(0);
    expect(report.machine.tfjs).toBe(tf.version.tfjs);
    expect(report.machine.node).toBe(process.version);
    expect(report.backends).toEqual(['cpu', 'wasm']);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    for (const l of [report.load.start, report.load.end]) {
      expect(l).toHaveLength(3);
      for (const x of l) expect(x).toBeGreaterThanOrEqual(0);
    }
  });

  test('overhead: one row per backend, op and size, with consistent rates and ratios', () => {
    expect(report.overhead.map((r) => `${r.backend} ${r.op} ${r.elements}`)).toEqual(
      ['cpu', 'wasm'].flatMap((b) => ['softmax', 'log1p', 'matMul'].flatMap((op) => [16, 1024].map((n) => `${b} ${op} ${n}`))),
    );
    for (const r of report.overhead) {
      for (const x of [r.nanhuntRunsPerSec, r.handRunsPerSec, r.generateRunsPerSec, r.ratio, r.cpuRatio]) expect(positive(x)).toBe(true);
      expect(r.runsPerRound).toBeGreaterThanOrEqual(3);
      // one round: the ratio is exactly the rate of nanhunt over the rate of the hand loop
      expect(r.ratio).toBeCloseTo(r.nanhuntRunsPerSec / r.handRunsPerSec, 6);
      expect(r.ratioMin).toBeLessThanOrEqual(r.ratioMax);
      expect(r.generateShare).toBeGreaterThan(0);
      expect(r.generateShare).toBeLessThanOrEqual(1);
      expect(r.shape.reduce((a, b) => a * b, 1)).toBe(r.elements);
      // the batched side: the same property screened many cases in one call, against the same hand loop
      for (const x of [r.batchedRunsPerSec, r.batchedRatio, r.batchedCpuRatio]) expect(positive(x)).toBe(true);
      expect(r.batchedRatio).toBeCloseTo(r.batchedRunsPerSec / r.handRunsPerSec, 6);
    }
    // the batching goal is judged on softmax at 64 elements or fewer on cpu only
    expect(report.overhead.filter((r) => r.batchedGoalMet !== undefined).map((r) => `${r.backend} ${r.op} ${r.elements}`)).toEqual(['cpu softmax 16']);
  });

  test('time to minimal: every scenario fails and shrinks; naive BCE to one saturated logit, naive softmax to one element', () => {
    const cpu = report.minimal.filter((m) => m.backend === 'cpu');
    expect(cpu.map((m) => m.scenario)).toEqual(['naive-bce', 'naive-softmax', 'adam-step', 'exploding-mlp', 'adam-tiny', 'nan-data']);
    for (const m of report.minimal) {
      expect(m.unavailable).toBeUndefined();
      expect(m.found).toBe(m.seeds);
      expect(m.medianRuns).toBeGreaterThanOrEqual(1);
      expect(m.medianShrinks).toBeGreaterThanOrEqual(0);
      expect(positive(m.medianWallMs)).toBe(true);
      expect(m.minimal.length).toBeGreaterThan(0);
      expect(m.failure).toMatch(/finite/);
    }
    for (const b of ['cpu', 'wasm']) {
      const bce = report.minimal.find((m) => m.backend === b && m.scenario === 'naive-bce')!;
      const x = /x: Tensor float32 \[1\] \[([^\]]+)\]/.exec(bce.minimal);
      expect(x, bce.minimal).not.toBeNull();
      expect(Math.abs(Number(x![1]))).toBeGreaterThanOrEqual(17.33); // sigmoid rounds to exactly 1 (or 0)
      const softmax = report.minimal.find((m) => m.backend === b && m.scenario === 'naive-softmax')!;
      expect(softmax.minimal).toMatch(/^x: Tensor float32 \[1\] \[/);
    }
  });

  test('detection: rates are counts over seeds, for nanhunt and the plain generator', () => {
    expect(report.detection.map((d) => d.scenario)).toEqual(['naive-bce', 'naive-softmax', 'adam-step', 'exploding-mlp', 'adam-tiny', 'nan-data']);
    for (const d of report.detection) {
      expect(d.backend).toBe('cpu');
      for (const r of [d.nanhunt, d.plain, d.plainFiniteInputs]) {
        if (!r) continue;
        expect(r.found).toBeLessThanOrEqual(r.seeds);
        expect(r.rate).toBeCloseTo(r.found / r.seeds, 12);
      }
      expect(d.nanhunt).toBeDefined();
      if (d.level === 'tensor') expect(d.plainFiniteInputs).toBeDefined();
    }
    expect(report.detection[0]!.nanhunt!.found).toBeGreaterThan(0); // naive BCE within 10 runs
    expect(report.detection.find((d) => d.scenario === 'exploding-mlp')!.plain).toBeUndefined();
    expect(report.detection.find((d) => d.scenario === 'nan-data')!.plain).toBeDefined();
  });

  test('memory: no tensor leaked over the runs, on both backends', () => {
    expect(report.memory.map((m) => m.backend)).toEqual(['cpu', 'wasm']);
    for (const m of report.memory) {
      expect(m.runs).toBe(200);
      expect(m.allPassed).toBe(true);
      expect(m.leakedTensors).toBe(0);
      expect(m.endTensors).toBe(m.startTensors);
      expect(m.samples.map((s) => s.runs)).toEqual([0, 100, 200]);
      expect(positive(m.startRssMB) && positive(m.endRssMB)).toBe(true);
    }
  });

  test('reference cost: softmax and log1p, ordinary and generated inputs, per backend', () => {
    expect(report.reference.map((r) => `${r.backend} ${r.op} ${r.family}`)).toEqual(
      ['cpu', 'wasm'].flatMap((b) => ['softmax', 'log1p'].flatMap((op) => ['ordinary', 'nanhunt'].map((f) => `${b} ${op} ${f}`))),
    );
    for (const r of report.reference) {
      expect(r.elements).toBe(1024);
      for (const x of [r.opUs, r.referenceUs, r.checkUs, r.ratio, r.checkRatio]) expect(positive(x)).toBe(true);
      expect(r.ratio).toBeCloseTo(r.referenceUs / r.opUs, 9);
    }
  });

  test('workers: the quick selection with 1 and 2 worker threads, each in a child process, writing the same report', () => {
    const w = report.workers!;
    expect(w.selection).toBe('--filter soft on cpu, --runs 5');
    expect(w.runs.map((r) => r.workers)).toEqual([1, 2]);
    for (const r of w.runs) {
      expect(positive(r.wallMs)).toBe(true);
      expect(r.sameReport, `--workers ${r.workers}`).toBe(true);
      expect(r.finalLine).toMatch(/\d+ passed/);
    }
    expect(w.runs[1]!.exitCode).toBe(w.runs[0]!.exitCode);
  });

  test('text table and JSON', () => {
    const text = formatBench(report);
    expect(text).toContain(`${os.cpus().length} cores`);
    expect(text).toContain(`tfjs ${tf.version.tfjs}`);
    expect(text).toContain('backends cpu, wasm');
    expect(text).toContain('load average');
    for (const h of [
      '1. Overhead',
      '2. Time to a minimal counterexample',
      '3. Detection power',
      '4. Leaks and memory',
      '5. Reference cost',
      '6. Worker threads',
      '2 workers / 1: wall',
      'Goals:',
    ]) {
      expect(text).toContain(h);
    }
    const json = JSON.parse(benchJson(report)) as BenchReport;
    expect(json.overhead).toHaveLength(report.overhead.length);
    expect(json.goals.map((g) => g.figure)).toEqual(['overhead', 'overhead', 'minimal', 'memory']); // the second: with batching
    expect(json.scripts).toEqual([]); // a quick run skips bench/reference.ts and bench/training.ts
  });
});

describe('bench pieces', () => {
  test('the hand loop and nanhunt see the same tensors: the overhead case is deterministic per seed', () => {
    const c = overheadCase('matMul', 16);
    expect(c.shape).toEqual([4, 4]);
    expect(() => overheadCase('matMul', 15)).toThrow(/squares/);
    const before = tf.memory().numTensors;
    expect(
      (c.hand as (v: unknown) => boolean)({ a: tensorValue([4, 4], new Float32Array(16).fill(1)), b: tensorValue([4, 4], new Float32Array(16).fill(2)) }),
    ).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the other scripts of bench/ exist; a missing one is reported, not thrown (they run only in a full bench)', () => {
    expect(SCRIPTS.map((s) => s.script)).toEqual(['bench/reference.ts', 'bench/training.ts', 'bench/guard.ts']);
    const missing = runScript({ script: 'bench/no-such-script.ts', args: [], title: 'missing' });
    expect(missing.exitCode).toBe(-1);
    expect(missing.output).toMatch(/not found/);
  });

  test('an unavailable scenario is reported, not thrown', () => {
    const row = measureMinimal(
      { id: 'x', title: 'missing', level: 'training', source: 'nowhere', unavailable: 'properties/training.ts did not load', expectedMinimal: '' },
      { backend: 'cpu' },
    );
    expect(row.unavailable).toMatch(/did not load/);
    expect(row.found).toBe(0);
  });

  test('scenarios: training ones load from properties/training.ts; finite-input filter', async () => {
    const s = await loadScenarios();
    expect(s.filter((x) => x.level === 'training' && x.property).map((x) => x.id)).toEqual(['exploding-mlp', 'adam-tiny', 'nan-data']);
    expect(allInputsFinite({ a: tensorValue([2], [1, 2]), b: [tensorValue([1], [3])] })).toBe(true);
    expect(allInputsFinite({ a: tensorValue([2], [1, NaN]) })).toBe(false);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  test('the command writes its JSON and prints the table', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-bench-'));
    try {
      const out = path.join(dir, 'bench.json');
      const r = spawnSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', 'bench/index.ts', '--quick', '--only', 'memory,reference', '--backends', 'cpu', '--out', out],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('4. Leaks and memory');
      expect(r.stdout).toContain('--expose-gc on');
      const json = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
      expect(json.memory[0]!.gc).toBe(true);
      expect(json.overhead).toEqual([]);
      const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', '--only', 'speed'], { encoding: 'utf8', timeout: 60_000 });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown figure 'speed'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

afterAll(async () => {
  await useBackend('cpu');
});
