/**
 * `npm run bench:seeds`: how reliably the catalog reaches each known finding. For every finding
 * listed in the baseline (nanhunt.baseline.json) for the backend, run its property as
 * `nanhunt check --seed G` would (its default runs, no saved failures) for G = 0..N-1 and count
 * the seeds whose run finds it (the same property failing the same way). The gate does not depend
 * on luck when every finding is found by at least 19 of 20 seeds.
 *
 *   npm run bench:seeds                        cpu, 20 seeds
 *   npm run bench:seeds -- --backend wasm --seeds 20
 *   npm run bench:seeds -- --filter losses     only findings whose property contains the text
 *   npm run bench:seeds -- --only 'addN|cumsum gradient'   only these properties (exact names)
 *   npm run bench:seeds -- --shard 1/2         every second finding (run 1/2 and 2/2 at once on two cores)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readBaseline, DEFAULT_BASELINE } from '../src/gate/baseline.ts';
import { entryMatches } from '../src/gate/baseline.ts';
import { loadCatalog } from '../src/property/load.ts';
import { propertySeed, runProperty } from '../src/property/runner.ts';
import { useBackend } from '../src/run/backend.ts';

interface Options {
  backend: string;
  seeds: number;
  filter?: string;
  /** Only these properties (exact names, separated by '|'). */
  only?: readonly string[];
  /** The k-th of n shares of the findings (k from 1), by their order in the baseline. */
  shard?: readonly [number, number];
  /** Print each finding's count on stderr as soon as it is measured. */
  progress?: boolean;
}

function parse(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: { backend: { type: 'string' }, seeds: { type: 'string' }, filter: { type: 'string' }, only: { type: 'string' }, shard: { type: 'string' } },
  });
  const shard = values.shard === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(values.shard);
  if (shard === null || (shard && !(Number(shard[1]) >= 1 && Number(shard[1]) <= Number(shard[2]))))
    throw new Error(`bench:seeds: --shard must be k/n with 1 <= k <= n, got '${values.shard}'`);
  const seeds = Number(values.seeds ?? 20);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('bench:seeds: --seeds must be a positive integer');
  return {
    backend: values.backend ?? 'cpu',
    seeds,
    ...(values.filter ? { filter: values.filter } : {}),
    ...(values.only ? { only: values.only.split('|') } : {}),
    ...(shard ? { shard: [Number(shard[1]), Number(shard[2])] as const } : {}),
  };
}

export async function measureSeeds(options: Options): Promise<{ property: string; what: string; found: number; seeds: number }[]> {
  await useBackend(options.backend);
  const baseline = readBaseline(path.resolve(DEFAULT_BASELINE), DEFAULT_BASELINE);
  const catalog = new Map((await loadCatalog()).map((l) => [l.property.name, l.property]));
  const entries = baseline.entries
    .filter(
      (e) =>
        (e.backend === undefined || e.backend === options.backend) &&
        (!options.filter || e.property.includes(options.filter)) &&
        (!options.only || options.only.includes(e.property)),
    )
    .filter((_, i) => !options.shard || i % options.shard[1] === options.shard[0] - 1);
  const rows: { property: string; what: string; found: number; seeds: number }[] = [];
  for (const entry of entries) {
    const p = catalog.get(entry.property);
    if (!p) continue;
    let found = 0;
    for (let g = 0; g < options.seeds; g++) {
      const r = runProperty(p, { seed: propertySeed(g, p.name), provenance: false });
      if (entryMatches(entry, r)) found++;
    }
    rows.push({ property: entry.property, what: entry.invariant ?? `error (${entry.error})`, found, seeds: options.seeds });
    if (options.progress) console.error(`  ${entry.property}: ${found}/${options.seeds}`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = { ...parse(process.argv.slice(2)), progress: true };
  const started = performance.now();
  const rows = await measureSeeds(options);
  const width = Math.max(...rows.map((r) => r.property.length), 8);
  console.log(`known findings on ${options.backend} found by N of ${options.seeds} global seeds (default runs, no saved failures)`);
  for (const r of rows)
    console.log(
      `  ${r.found === r.seeds ? ' ' : r.found >= 0.95 * r.seeds ? '~' : '!'} ${r.property.padEnd(width)}  ${String(r.found).padStart(2)}/${r.seeds}  ${r.what}`,
    );
  const reliable = rows.filter((r) => r.found >= 0.95 * r.seeds).length;
  console.log(`${reliable} of ${rows.length} findings found by at least 95% of seeds (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
