/**
 * Which properties a command works on: those of `--properties` (default: nanhunt's catalog) that
 * `--filter` selects.
 */
import { loadCatalog, loadProperties, CATALOG_MODULE, type LoadedProperty } from '../property/load.ts';
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
 * selects (after `first`), and of them those of `--shard`. None selected by `--filter` is a usage
 * error, and `--path` replays exactly one.
 */
export async function loadSelection(
  flags: { readonly properties?: string; readonly filter?: string; readonly path?: string; readonly shard?: string },
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
  return { selected: selected.filter((l) => inShard(l.property.name, shard)), ...arg, shard: { ...shard, positions } };
}
