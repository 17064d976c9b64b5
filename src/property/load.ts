/**
 * Finding properties: every module under a directory (or one file) is imported and each exported
 * Property — or array of Properties — is collected, with where it came from. nanhunt's shipped
 * catalog is the module `properties/index.ts`.
 *
 * Loading returns data: each property beside its origin (module file, export name, index). Nothing
 * is remembered on the side; whoever saves a failure passes the origin along.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../core/errors.ts';
import { isProperty, type Property } from './property.ts';

/** nanhunt's shipped catalog: the directory, and the module that exports the whole list. */
export const CATALOG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../properties');
export const CATALOG_MODULE = path.join(CATALOG_DIR, 'index.ts');

/** Where a loaded property is defined: its module file and export name (index for an exported array). */
export interface PropertyOrigin {
  readonly file: string;
  readonly exportName: string;
  readonly index?: number;
  /** A captured training step (src/guard): the capture file it was shrunk from; the property is rebuilt from the saved case. */
  readonly capture?: string;
}

/** A property and where it was loaded from. */
export interface LoadedProperty<I = unknown> {
  readonly property: Property<I>;
  readonly origin: PropertyOrigin;
}

/** A property module that cannot be used (missing, fails to import, duplicate names): exit 2. */
export class LoadError extends InputError {
  override name = 'LoadError';
}

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

function modulesUnder(target: string): string[] {
  let st: Stats;
  try {
    st = statSync(target);
  } catch {
    throw new LoadError(`no such file or directory: ${target}`);
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
export async function loadProperties(target: string): Promise<LoadedProperty[]> {
  const found: LoadedProperty[] = [];
  const seen = new Map<string, string>();
  for (const file of modulesUnder(path.resolve(target))) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      const props = Array.isArray(value) ? value.filter(isProperty) : isProperty(value) ? [value] : [];
      for (const p of props) {
        const other = seen.get(p.name);
        if (other !== undefined && other !== file) {
          throw new LoadError(`two properties are named '${p.name}' (in ${other} and ${file}): names must be unique`);
        }
        if (other === file && found.some((q) => q.property === p)) continue;
        if (other === file) throw new LoadError(`two properties are named '${p.name}' in ${file}: names must be unique`);
        seen.set(p.name, file);
        found.push({ property: p, origin: Array.isArray(value) ? { file, exportName, index: value.indexOf(p) } : { file, exportName } });
      }
    }
  }
  return found;
}

/** The shipped catalog. */
export function loadCatalog(): Promise<LoadedProperty[]> {
  return loadProperties(CATALOG_MODULE);
}
