/**
 * Which properties a command works on: those of `--properties` (default: nanhunt's catalog) that
 * `--filter` selects.
 */
import { loadCatalog, loadProperties, CATALOG_MODULE, type LoadedProperty } from '../property/load.ts';
import { UsageError } from './args.ts';

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
}

/**
 * The properties a run works on: those of `--properties` (default the catalog) that `--filter`
 * selects (after `first`). None is a usage error, and `--path` replays exactly one.
 */
export async function loadSelection(
  flags: { readonly properties?: string; readonly filter?: string; readonly path?: string },
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
  return { selected, ...(propertiesArg !== undefined ? { propertiesArg } : {}) };
}
