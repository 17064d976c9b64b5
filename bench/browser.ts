/**
 * Browser backends (src/browser): what starting Chromium costs, that it starts once per run, and
 * what the catalog costs on webgl.
 *
 *   npx tsx bench/browser.ts                      start costs, and 20 catalog properties through one session
 *   npx tsx bench/browser.ts --catalog            the whole catalog on webgl, as `nanhunt check --backend webgl` runs it
 *   npx tsx bench/browser.ts --catalog --runs 20  ... with 20 runs per property
 *   options: --backend webgl|webgpu  --f16  --properties N  --slowest N
 *
 * Prints: the one-time costs (bundle, Chromium launch, page + tfjs + backend setup), then per
 * property the time of its search in the page, the launches counted (one per session), and what
 * starting Chromium per property would have added. With --catalog: wall time, statuses, and the
 * slowest properties. Nothing is asserted: these are figures.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { BrowserSession } from '../src/browser/session.ts';
import { browserRuns } from '../src/browser/check.ts';
import { CATALOG_MODULE, loadCatalog } from '../src/property/load.ts';
import { propertySeed, type PropertyResult } from '../src/property/runner.ts';
import { isBrowserBackend, type BrowserBackendName } from '../src/run/backend.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const has = (name: string) => process.argv.includes(`--${name}`);

const backend = (arg('backend') ?? 'webgl') as BrowserBackendName;
if (!isBrowserBackend(backend)) throw new Error(`--backend must be webgl or webgpu, got ${backend}`);
const runsArg = arg('runs') === undefined ? undefined : Number(arg('runs'));
const catalogRun = has('catalog');
const count = Number(arg('properties') ?? 20);
const slowest = Number(arg('slowest') ?? 15);

const cpu = os.cpus();
console.log(
  `bench/browser.ts · ${backend}${has('f16') ? ' (webgl-f16)' : ''} · tfjs ${tf.version.tfjs} · ${cpu.length} cores (${cpu[0]?.model ?? '?'}) · load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} · ${new Date().toISOString()}`,
);

const loaded = await loadCatalog();
const all = loaded.map((l) => l.property);
// a spread of the catalog (every k-th property), or all of it
const chosen = catalogRun ? all : all.filter((_, i) => i % Math.max(1, Math.floor(all.length / count)) === 0).slice(0, count);

const t0 = performance.now();
const session = await BrowserSession.open({ backend, backends: [backend], emulation: { webglF16: has('f16') }, files: [CATALOG_MODULE] });
const startMs = performance.now() - t0;
const i = session.info;
console.log(
  `\nstart (once per run): ${startMs.toFixed(0)} ms = bundle ${i.bundleMs} ms + Chromium ${i.chromium} launch ${i.launchMs} ms + page, tfjs, ${backend} setup ${i.setupMs} ms`,
);

const results: PropertyResult[] = [];
const times: number[] = [];
const t1 = performance.now();
try {
  for (const p of chosen) {
    const s = performance.now();
    results.push(await session.run(p.name, { seed: propertySeed(0, p.name), runs: runsArg ?? browserRuns(p) }));
    times.push(performance.now() - s);
    if (catalogRun && results.length % 50 === 0)
      console.log(`  ${results.length} of ${chosen.length} properties, ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  }
} finally {
  await session.close();
}
const runMs = performance.now() - t1;
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
console.log(
  `\n${chosen.length} properties in one session: ${(runMs / 1000).toFixed(1)} s (median ${median.toFixed(0)} ms per property; runs per property: ${runsArg ?? 'the property’s own, at most 100'})`,
);
console.log(`Chromium launches: ${BrowserSession.launches} for ${chosen.length} properties`);
console.log(
  `starting Chromium per property instead would add about ${(((startMs - i.bundleMs) * chosen.length) / 1000).toFixed(0)} s (launch + setup ${(startMs - i.bundleMs).toFixed(0)} ms × ${chosen.length}), ${((100 * (startMs - i.bundleMs) * chosen.length) / runMs).toFixed(0)}% of the run`,
);
const by = new Map<string, number>();
for (const r of results) {
  const k = r.expectedFailure ? 'expected failure' : r.status;
  by.set(k, (by.get(k) ?? 0) + 1);
}
console.log(`statuses: ${[...by].map(([k, n]) => `${n} ${k}`).join(', ')}`);
console.log(`wall time, start included: ${((startMs + runMs) / 1000).toFixed(1)} s`);
const order = times.map((t, k) => [t, k] as const).sort((a, b) => b[0] - a[0]);
console.log(`\nslowest ${Math.min(slowest, order.length)}:`);
for (const [t, k] of order.slice(0, slowest))
  console.log(`  ${(t / 1000).toFixed(1).padStart(6)} s  ${results[k]!.name} (${results[k]!.status}, ${results[k]!.runs} runs)`);
