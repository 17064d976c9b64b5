/**
 * Finding properties: every module under a directory (or one file) is imported and each exported
 * Property — or array of Properties — is collected. The default is the catalog shipped in
 * nanhunt's own `properties/` directory.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isProperty, type Property } from '../property/property.ts';
import { UsageError } from './args.ts';

/** nanhunt's shipped catalog. */
export const CATALOG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../properties');

/** Where a loaded property is defined: its module file and export name (index for an exported array). */
export interface PropertyOrigin {
  readonly file: string;
  readonly exportName: string;
  readonly index?: number;
}

const ORIGINS = new WeakMap<Property, PropertyOrigin>();

/** The module and export a property was loaded from by {@link loadProperties} (undefined for other properties). */
export function propertyOrigin(p: Property): PropertyOrigin | undefined {
  return ORIGINS.get(p);
}

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

function modulesUnder(target: string): string[] {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new UsageError(`no such file or directory: ${target}`);
  }
  if (st.isFile()) return [target];
  return readdirSync(target, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(target, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : modulesUnder(p);
      return MODULE.test(e.name) && !SKIP.test(e.name) && !e.name.startsWith('_') ? [p] : [];
    })
    .sort();
}

/** Import the modules and collect their properties, in file order then export order. */
export async function loadProperties(target: string = CATALOG_DIR): Promise<Property[]> {
  const found: Property[] = [];
  const seen = new Map<string, string>();
  for (const file of modulesUnder(path.resolve(target))) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      const props = Array.isArray(value) ? value.filter(isProperty) : isProperty(value) ? [value] : [];
      for (const p of props) {
        if (!ORIGINS.has(p)) {
          ORIGINS.set(p, Array.isArray(value) ? { file, exportName, index: value.indexOf(p) } : { file, exportName });
        }
        const other = seen.get(p.name);
        if (other !== undefined && other !== file) {
          throw new UsageError(`two properties are named '${p.name}' (in ${other} and ${file}): names must be unique`);
        }
        if (other === file && found.some((q) => q === p)) continue;
        if (other === file) throw new UsageError(`two properties are named '${p.name}' in ${file}: names must be unique`);
        seen.set(p.name, file);
        found.push(p);
      }
    }
  }
  return found;
}

/** Properties whose name equals the filter, or else contains it (case-insensitive). */
export function selectProperties(all: readonly Property[], filter: string | undefined): Property[] {
  if (!filter) return [...all];
  const exact = all.filter((p) => p.name === filter);
  if (exact.length > 0) return exact;
  const f = filter.toLowerCase();
  return all.filter((p) => p.name.toLowerCase().includes(f));
}

/**
 * The properties a run works on: those of `--properties` (default the catalog) that `--filter`
 * selects. None is a usage error, and `--path` replays exactly one.
 */
export async function loadSelection(flags: Readonly<Record<string, unknown>>): Promise<{ selected: Property[]; propertiesArg?: string }> {
  const propertiesArg = flags.properties as string | undefined;
  const all = await loadProperties(propertiesArg ?? CATALOG_DIR);
  const selected = selectProperties(all, flags.filter as string | undefined);
  if (selected.length === 0) {
    throw new UsageError(
      all.length === 0 ? `no properties found in ${propertiesArg ?? CATALOG_DIR}` : `no property matches --filter '${flags.filter}'`,
    );
  }
  if (flags.path !== undefined && selected.length !== 1) {
    throw new UsageError(`--path replays one property, but ${selected.length} match: give --filter the exact name`);
  }
  return { selected, ...(propertiesArg !== undefined ? { propertiesArg } : {}) };
}
