/**
 * `nanhunt check --shard k/n`: a deterministic 1/n of the selected properties, by a hash of each
 * name, so the shards of a CI matrix cover every property exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { balancedShards, inShard, loadSelection, parseShard, readDurations } from '../../src/cli/select.ts';
import { loadCatalog } from '../../src/property/load.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');
/** The names and durationMs of a cpu run of the shipped catalog (its nanhunt.json, the rest left out). */
const CATALOG_DURATIONS = path.join(ROOT, 'test/fixtures/shard/catalog-durations.json');
const TMP = mkdtempSync(path.join(tmpdir(), 'nanhunt-shard-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Each shard's summed duration, for shard membership `of`. */
function loads(names: readonly string[], durations: ReadonlyMap<string, number>, count: number, of: (name: string) => number): number[] {
  const sums = Array.from({ length: count }, () => 0);
  for (const n of names) sums[of(n) - 1]! += durations.get(n) ?? 0;
  return sums;
}

describe('nanhunt check --shard', () => {
  it('shards 1/3, 2/3 and 3/3 of the shipped catalog cover every property exactly once', async () => {
    const all = (await loadCatalog()).map((l) => l.property.name);
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (const k of [1, 2, 3]) {
      const { selected } = await loadSelection({ shard: `${k}/3` });
      sizes.push(selected.length);
      for (const l of selected) seen.set(l.property.name, (seen.get(l.property.name) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...all].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(all.length);
    // roughly a third each (a hash, not a count: within a quarter of the even share)
    for (const n of sizes) expect(Math.abs(n - all.length / 3)).toBeLessThan(all.length / 12);
    // a property's shard depends on its name alone: another property does not move it
    const shard = parseShard('2/3');
    expect(all.filter((n) => inShard(n, shard))).toEqual([...all, 'a property added later'].filter((n) => inShard(n, shard)).filter((n) => all.includes(n)));
  });

  it('keeps the selection order, and a shard may be empty (more shards than properties)', async () => {
    const both = await loadSelection({ properties: FIXTURE });
    const names = both.selected.map((l) => l.property.name);
    const parts = await Promise.all(['1/2', '2/2'].map((s) => loadSelection({ properties: FIXTURE, shard: s })));
    const merged = parts.flatMap((p) => p.selected.map((l) => l.property.name));
    expect(merged.sort()).toEqual([...names].sort());
    for (const p of parts) {
      const got = p.selected.map((l) => l.property.name);
      expect(got).toEqual(names.filter((n) => got.includes(n)));
    }
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => loadSelection({ properties: FIXTURE, shard: `${i + 1}/8` })));
    expect(many.some((p) => p.selected.length === 0)).toBe(true);
  });

  it('--durations: shards 1/3 to 3/3 cover every property once, with sums of recorded durations more even than by the hash', async () => {
    const durations = readDurations(CATALOG_DURATIONS);
    const names = [...durations.keys()];
    expect(names.length).toBeGreaterThan(600);
    const byHash = loads(names, durations, 3, (n) => [1, 2, 3].find((k) => inShard(n, { index: k, count: 3 }))!);
    const shardOf = balancedShards(names, durations, 3);
    const balanced = loads(names, durations, 3, (n) => shardOf.get(n)!);
    const spread = (x: number[]) => Math.max(...x) - Math.min(...x);
    expect(spread(balanced)).toBeLessThan(spread(byHash));
    // greedy longest-first: the shards differ by at most the longest property
    expect(spread(balanced)).toBeLessThanOrEqual(Math.max(...durations.values()));
    expect(Math.max(...balanced)).toBeLessThan(Math.max(...byHash));
    // the same answer from any order of the names (each shard of a matrix computes it alone)
    expect(balancedShards([...names].reverse(), durations, 3)).toEqual(shardOf);

    // through --shard with a report that knows some properties of the selection: every one runs once
    const all = (await loadSelection({ properties: FIXTURE })).selected.map((l) => l.property.name);
    const report = path.join(TMP, 'nanhunt.json');
    const recorded = all.slice(0, Math.ceil(all.length / 2)).map((name, i) => ({ name, durationMs: 100 * (i + 1) }));
    writeFileSync(report, JSON.stringify({ properties: [...recorded, { name: 'a property since removed', durationMs: 5000 }] }));
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const part = await loadSelection({ properties: FIXTURE, shard: `${k}/3`, durations: report });
      const got = part.selected.map((l) => l.property.name);
      expect(got).toEqual(all.filter((n) => got.includes(n))); // in selection order
      seen.push(...got);
    }
    expect(seen.sort()).toEqual([...all].sort());
  });

  it('--durations: properties not in the report keep their shard by the hash of their name', () => {
    const names = Array.from({ length: 40 }, (_, i) => `property ${i}`);
    const shardOf = balancedShards(names, new Map([['property 3', 50]]), 4);
    for (const n of names.filter((x) => x !== 'property 3')) expect(inShard(n, { index: shardOf.get(n)!, count: 4 }), n).toBe(true);
    expect(balancedShards(names, new Map(), 4)).toEqual(new Map(names.map((n) => [n, [1, 2, 3, 4].find((k) => inShard(n, { index: k, count: 4 }))!])));
  });

  it('exits 2 with one line on a bad --shard, or --shard with --path or baseline', () => {
    const cases: [string[], RegExp][] = [
      [['check', '--shard', '1/2', '--filter', 'fixture exp is finite', '--path', '0'], /^nanhunt: --path replays one property: not with --shard\n/],
      [['baseline', '--shard', '1/2'], /^nanhunt: baseline writes the findings of every property: not with --shard\n/],
      [['check', '--durations', CATALOG_DURATIONS], /^nanhunt: --durations balances the shards of --shard: give --shard k\/n too\n/],
      [
        ['check', '--shard', '1/2', '--durations', path.join(ROOT, 'package.json')],
        /^nanhunt: --durations: .*package\.json is not a nanhunt\.json report \(no properties list\)\n/,
      ],
      [['check', '--shard', '1/2', '--durations', path.join(ROOT, 'no-such.json')], /^nanhunt: --durations: cannot read .*no-such\.json: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [BIN, ...args, '--properties', FIXTURE], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    for (const value of ['0/3', '4/3', 'x']) {
      const r = spawnSync(process.execPath, [BIN, 'check', '--properties', FIXTURE, '--shard', value], { encoding: 'utf8' });
      expect(r.status, value).toBe(2);
      expect(r.stderr, value).toMatch(new RegExp(`^nanhunt: --shard must be k/n with 1 <= k <= n \\(e\\.g\\. 2/3\\), got '${value}'\n`));
      expect(r.stdout, value).toBe('');
    }
  });
});
