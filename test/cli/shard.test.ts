/**
 * `nanhunt check --shard k/n`: a deterministic 1/n of the selected properties, by a hash of each
 * name, so the shards of a CI matrix cover every property exactly once.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { inShard, loadSelection, parseShard } from '../../src/cli/select.ts';
import { loadCatalog } from '../../src/property/load.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/failing-props.ts');

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

  it('exits 2 with one line on a bad --shard, or --shard with --path or baseline', () => {
    const cases: [string[], RegExp][] = [
      [['check', '--shard', '1/2', '--filter', 'fixture exp is finite', '--path', '0'], /^nanhunt: --path replays one property: not with --shard\n/],
      [['baseline', '--shard', '1/2'], /^nanhunt: baseline writes the findings of every property: not with --shard\n/],
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
