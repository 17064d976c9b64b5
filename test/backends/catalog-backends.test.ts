// The whole shipped catalog runs on the cpu and on the wasm backend, and diffs between them.
// The catalog grows (another table, another op): nothing here names its properties. A few runs
// per property keep this under a minute; the full runs are `nanhunt check --backend wasm` and
// `nanhunt diff` in CI.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadCatalog } from '../../src/property/load.ts';
import { runProperty, propertySeed, type PropertyResult } from '../../src/property/runner.ts';
import type { Property } from '../../src/property/property.ts';
import { missingKernels, useBackend } from '../../src/run/backend.ts';
import { diffAll, type DiffResult } from '../../src/diff/differential.ts';
import { diffDocument } from '../../src/diff/json.ts';
import { diffSummaryLine } from '../../src/diff/report.ts';
import { summaryLine } from '../../src/report/format.ts';

const RUNS = 5;
const DIFF_RUNS = 3;
const BACKENDS = ['cpu', 'wasm'] as const;

let catalog: Property[];
const results: Record<(typeof BACKENDS)[number], PropertyResult[]> = { cpu: [], wasm: [] };

beforeAll(async () => {
  catalog = (await loadCatalog()).map((l) => l.property);
  for (const b of BACKENDS) {
    await useBackend(b);
    const before = tf.memory().numTensors;
    for (const p of catalog) {
      results[b].push(runProperty(p, { seed: propertySeed(0, p.name), runs: RUNS, provenance: false, timeLimitMs: 1500 }));
    }
    const stranded = tf.memory().numTensors - before;
    if (stranded > 0) console.log(`${b}: ${stranded} tensors left allocated by the catalog's subjects (leak findings)`);
  }
  await useBackend('cpu');
  const noteworthy = BACKENDS.flatMap((b) => results[b].filter((r) => r.status !== 'passed' && !r.expectedFailure).map((r) => `  [${b}] ${summaryLine(r)}`));
  console.log(`catalog: ${catalog.length} properties × ${BACKENDS.join(', ')}, ${RUNS} runs each; not passed:\n${noteworthy.join('\n') || '  (none)'}`);
}, 120_000);

const byName = (b: (typeof BACKENDS)[number]) => new Map(results[b].map((r) => [r.name, r]));

describe('the catalog on cpu and on wasm', () => {
  it('runs every property on both backends', () => {
    expect(catalog.length).toBeGreaterThan(0);
    for (const b of BACKENDS) {
      expect(results[b].map((r) => r.name)).toEqual(catalog.map((p) => p.name));
      expect(results[b].every((r) => r.backend === b)).toBe(true);
    }
  });

  it('no property errors because of the backend: an error is the same on cpu and wasm (a finding of the catalog itself)', () => {
    const cpu = byName('cpu');
    const wasm = byName('wasm');
    // a backend's own gradient kernel can be broken (tfjs 4.22's cpu ResizeBilinearGrad returns its
    // gradient transposed, which the engine rejects): gradient-stage errors may differ by backend
    const stage = (r: PropertyResult | undefined) =>
      r?.status === 'errored' && r.failure?.kind === 'error' && r.failure.stage !== 'gradient' ? r.failure.stage : undefined;
    const backendSpecific = catalog
      .map((p) => p.name)
      .filter((n) => stage(cpu.get(n)) !== stage(wasm.get(n)))
      .map(
        (n) =>
          `${n}: cpu ${cpu.get(n)!.status}${stage(cpu.get(n)) ? ` (${stage(cpu.get(n))})` : ''}, wasm ${wasm.get(n)!.status}${stage(wasm.get(n)) ? ` (${stage(wasm.get(n))})` : ''}`,
      );
    expect(backendSpecific).toEqual([]);
  });

  it('unsupported only where wasm really lacks the kernel, never on cpu', () => {
    const lacking = new Set(missingKernels('cpu', 'wasm'));
    expect(results.cpu.filter((r) => r.status === 'unsupported')).toEqual([]);
    for (const r of results.wasm.filter((x) => x.status === 'unsupported')) {
      expect(r.unsupported?.backend).toBe('wasm');
      expect(lacking.has(r.unsupported!.kernel), `${r.name}: ${r.unsupported?.kernel}`).toBe(true);
      // what wasm cannot run, cpu does run
      expect(byName('cpu').get(r.name)!.status).not.toBe('unsupported');
    }
  });

  it('diff over cpu and wasm covers the whole catalog and produces its report data', async () => {
    const started = performance.now();
    const diffs: DiffResult[] = await diffAll(catalog, { backends: ['cpu', 'wasm'], runs: DIFF_RUNS, timeLimitMs: 400, explain: false });
    const ms = performance.now() - started;
    expect(diffs.map((r) => r.name)).toEqual(catalog.map((p) => p.name));
    expect(tf.getBackend()).toBe('cpu');
    const wasm = byName('wasm');
    for (const r of diffs) {
      // unsupported in the diff exactly where check found wasm unsupported
      if (r.status === 'unsupported') expect(r.unsupported?.map((u) => u.backend)).toEqual(['wasm']);
      if (wasm.get(r.name)!.status === 'unsupported') expect(r.status).toBe('unsupported');
      if (r.status === 'disagreed') {
        expect(r.disagreement, r.name).toBeDefined();
        expect(r.counterexample).toBeDefined();
      }
      // nothing compared only when the subject fails on both backends in every run
      if (r.status === 'errored') expect(byName('cpu').get(r.name)!.status, r.name).toBe('errored');
    }
    const doc = diffDocument(
      { nanhunt: 'test', tfjs: tf.version.tfjs, backends: ['cpu', 'wasm'], seed: 0, runs: DIFF_RUNS, tolerance: { ulps: 4, atol: 0 } },
      diffs,
    );
    expect(doc.summary.total).toBe(catalog.length);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON data
    const switches = diffs.reduce((n, r) => n + r.timing.switches, 0);
    const switchMs = diffs.reduce((n, r) => n + r.timing.switchMs, 0);
    console.log(
      `diff cpu vs wasm, ${DIFF_RUNS} runs: ${JSON.stringify(doc.summary)} in ${Math.round(ms)} ms (${switches} backend switches, ${switchMs.toFixed(1)} ms)\n` +
        diffs
          .filter((r) => r.status !== 'agreed')
          .map((r) => `  ${diffSummaryLine(r)}`)
          .join('\n'),
    );
  }, 120_000);
});
