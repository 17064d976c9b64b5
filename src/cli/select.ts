/**
 * Which properties a command works on: those of `--properties` (default: nanhunt's catalog) that
 * `--filter` selects.
 */
import { readFileSync } from 'node:fs';
import { loadCatalog, loadProperties, CATALOG_MODULE, type LoadedProperty } from '../property/load.ts';
import { InputError } from '../core/errors.ts';
import { UsageError } from './args.ts';
import { hashName } from '../property/runner.ts';

/** `--shard k/n`: the k-th of n shards (1-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parse `--shard k/n` (1 <= k <= n); anything else is a usage error. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && index >= 1 && index <= count && Number.isSafeInteger(count))) {
    throw new UsageError(`--shard must be k/n with 1 <= k <= n (e.g. 2/3), got '${text}'`);
  }
  return { index, count };
}

/**
 * Whether the property named `name` belongs to shard `k` of `n`: decided by a hash of its name
 * alone, so adding or removing a property moves no other between shards.
 */
export function inShard(name: string, shard: Shard): boolean {
  return (hashName(`shard:${name}`) >>> 0) % shard.count === shard.index - 1;
}

/**
 * `--durations <nanhunt.json>`: each property's durationMs in a previous report (any nanhunt.json:
 * a check's, a shard's, a merge's). Unreadable or not a report: an input error (exit 2).
 */
export function readDurations(file: string): Map<string, number> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`--durations: cannot read ${file}: ${(e as Error).message}`);
  }
  const props = (doc as { properties?: unknown } | null)?.properties;
  if (!Array.isArray(props)) throw new InputError(`--durations: ${file} is not a nanhunt.json report (no properties list)`);
  const durations = new Map<string, number>();
  for (const p of props as { name?: unknown; durationMs?: unknown }[]) {
    if (typeof p?.name === 'string' && typeof p.durationMs === 'number' && Number.isFinite(p.durationMs) && p.durationMs >= 0) {
      durations.set(p.name, p.durationMs);
    }
  }
  return durations;
}

/**
 * Shards balanced by recorded durations: each property's shard (1-based), the same for every
 * shard of a matrix given the same names and durations. Properties without a recorded duration
 * keep their shard by name ({@link inShard}) and count as the mean recorded duration; then those
 * with one go, longest first (ties by name), each to the shard with the least time so far (ties:
 * the lowest shard). Every name gets exactly one shard.
 */
export function balancedShards(names: readonly string[], durations: ReadonlyMap<string, number>, count: number): Map<string, number> {
  const unique = [...new Set(names)];
  const known = unique.filter((n) => durations.has(n));
  const mean = known.length > 0 ? known.reduce((t, n) => t + durations.get(n)!, 0) / known.length : 0;
  const load = Array.from({ length: count }, () => 0);
  const shardOf = new Map<string, number>();
  for (const n of unique) {
    if (durations.has(n)) continue;
    const k = ((hashName(`shard:${n}`) >>> 0) % count) + 1;
    shardOf.set(n, k);
    load[k - 1]! += mean;
  }
  const longestFirst = known.sort((a, b) => durations.get(b)! - durations.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  for (const n of longestFirst) {
    let least = 0;
    for (let k = 1; k < count; k++) if (load[k]! < load[least]!) least = k;
    shardOf.set(n, least + 1);
    load[least]! += durations.get(n)!;
  }
  return shardOf;
}

/** Properties whose name equals the filter, or else contains it (case-insensitive). */
export function selectProperties<T extends { readonly property: { readonly name: string } }>(all: readonly T[], filter: string | undefined): T[] {
  if (!filter) return [...all];
  const exact = all.filter((p) => p.property.name === filter);
  if (exact.length > 0) return exact;
  const f = filter.toLowerCase();
  return all.filter((p) => p.property.name.toLowerCase().includes(f));
}

export interface Selection {
  readonly selected: LoadedProperty[];
  /** `--properties` as given, when it was. */
  readonly propertiesArg?: string;
  /** `--shard`, with each selected property's position in the unsharded selection (by name). */
  readonly shard?: Shard & { readonly positions: ReadonlyMap<string, number> };
}

/**
 * The properties a run works on: those of `--properties` (default the catalog) that `--filter`
 * selects (after `first`), and of them those of `--shard` (balanced by `--durations` when given). None selected by `--filter` is a usage
 * error, and `--path` replays exactly one.
 */
export async function loadSelection(
  flags: { readonly properties?: string; readonly filter?: string; readonly path?: string; readonly shard?: string; readonly durations?: string },
  first: readonly LoadedProperty[] = [],
): Promise<Selection> {
  const propertiesArg = flags.properties;
  // `first`: properties that run before the others (check: captured training steps of the failure database)
  const all = [...first, ...(propertiesArg === undefined ? await loadCatalog() : await loadProperties(propertiesArg))];
  const selected = selectProperties(all, flags.filter);
  if (selected.length === 0) {
    throw new UsageError(all.length === 0 ? `no properties found in ${propertiesArg ?? CATALOG_MODULE}` : `no property matches --filter '${flags.filter}'`);
  }
  if (flags.path !== undefined && selected.length !== 1) {
    throw new UsageError(`--path replays one property, but ${selected.length} match: give --filter the exact name`);
  }
  // a shard may select none of them (more shards than properties): that runs nothing, it is no error
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const arg = propertiesArg !== undefined ? { propertiesArg } : {};
  if (!shard) return { selected, ...arg };
  const positions = new Map(selected.map((l, i) => [l.property.name, i]));
  // --durations: balanced by a previous report's durations (else by a hash of each name)
  const balanced = flags.durations !== undefined ? balancedShards([...positions.keys()], readDurations(flags.durations), shard.count) : undefined;
  const mine = (name: string) => (balanced ? balanced.get(name) === shard.index : inShard(name, shard));
  return { selected: selected.filter((l) => mine(l.property.name)), ...arg, shard: { ...shard, positions } };
}
