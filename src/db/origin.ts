/**
 * Where a saved failure's property lives, and loading it back.
 *
 * Catalog properties are recorded relative to nanhunt's `properties/` directory (so a failure file
 * works in any checkout); other properties by their module path, relative to the working directory
 * of the run (absolute when outside it). Replay loads that module and takes the property by name.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Property } from '../property/property.ts';
import { CATALOG_DIR, loadCatalog, loadProperties, type LoadedProperty, type PropertyOrigin } from '../property/load.ts';
import { FailureFileError, type FailureOrigin, type FailureRecord } from './record.ts';

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

function inside(dir: string, file: string): string | undefined {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? posix(rel) : undefined;
}

/** A loaded property's origin as a failure file records it (catalog-relative, or relative to `cwd`). */
export function originOf(origin: PropertyOrigin, cwd: string = process.cwd()): FailureOrigin {
  if (origin.capture !== undefined) return { capture: inside(path.resolve(cwd), path.resolve(cwd, origin.capture)) ?? origin.capture };
  const where = origin.index !== undefined ? { export: origin.exportName, index: origin.index } : { export: origin.exportName };
  const catalog = inside(CATALOG_DIR, origin.file);
  if (catalog !== undefined) return { catalog, ...where };
  return { file: inside(path.resolve(cwd), origin.file) ?? origin.file, ...where };
}

/** The module file an origin names, or undefined when it cannot be found. */
export function originModule(origin: FailureOrigin | undefined, options: { cwd?: string; failureFile?: string } = {}): string | undefined {
  if (!origin || origin.test !== undefined || origin.capture !== undefined) return undefined;
  if (origin.catalog !== undefined) {
    const f = path.resolve(CATALOG_DIR, origin.catalog);
    if (existsSync(f)) return f;
    // saved from nanhunt's sources (`index.ts`) and replayed by its build (`index.js`), or the other way round
    const other = f.replace(/\.(ts|js)$/, (ext) => (ext === '.ts' ? '.js' : '.ts'));
    return existsSync(other) ? other : undefined;
  }
  if (origin.file === undefined) return undefined;
  if (path.isAbsolute(origin.file)) return existsSync(origin.file) ? origin.file : undefined;
  const bases = [options.cwd ?? process.cwd()];
  // a failure file in <project>/.nanhunt/failures/: the project is two levels up
  if (options.failureFile) bases.push(path.resolve(path.dirname(options.failureFile), '../..'));
  for (const base of bases) {
    const f = path.resolve(base, origin.file);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** `properties/examples.ts (export naiveBce)`, for messages. */
export function describeOrigin(origin: FailureOrigin | undefined): string {
  if (!origin) return 'an unknown module';
  if (origin.test !== undefined) return `vitest test '${origin.test}'${origin.file ? ` in ${origin.file}` : ''}`;
  if (origin.capture !== undefined) return `the captured training step ${origin.capture}`;
  const where = origin.catalog !== undefined ? `nanhunt's catalog properties/${origin.catalog}` : (origin.file ?? 'an unknown module');
  const exp = origin.export !== undefined ? ` (export ${origin.export}${origin.index !== undefined ? `[${origin.index}]` : ''})` : '';
  return where + exp;
}

/**
 * Load the property a record names: from `propertiesOverride` (a file or directory) when given,
 * else from the record's origin. Throws a FailureFileError with a one-line reason.
 */
export async function loadRecordedProperty(
  record: FailureRecord,
  options: { propertiesOverride?: string; cwd?: string; failureFile?: string } = {},
): Promise<{ property: Property; module: string }> {
  let module: string | undefined;
  if (options.propertiesOverride !== undefined) {
    module = path.resolve(options.cwd ?? process.cwd(), options.propertiesOverride);
    if (!existsSync(module)) throw new FailureFileError(`no such file or directory: ${options.propertiesOverride}`);
  } else {
    if (record.origin?.capture !== undefined) {
      throw new FailureFileError(`'${record.property}' is a captured training step: it is rebuilt from the saved case (src/guard), not loaded from a module`);
    }
    if (record.origin?.test !== undefined) {
      throw new FailureFileError(`'${record.property}' was saved by the ${describeOrigin(record.origin)}: run that test again (its saved failures run first)`);
    }
    module = originModule(record.origin, options);
    if (module === undefined) {
      throw new FailureFileError(`cannot find the module of '${record.property}' (${describeOrigin(record.origin)}): pass --properties <file-or-dir>`);
    }
  }
  let all: LoadedProperty[];
  try {
    // a property of nanhunt's catalog is found in the catalog's one list, whichever file defines it
    all = options.propertiesOverride === undefined && record.origin?.catalog !== undefined ? await loadCatalog() : await loadProperties(module);
  } catch (e) {
    throw new FailureFileError(`cannot load properties from ${module}: ${(e as Error).message.split('\n')[0]}`);
  }
  const property = all.find((p) => p.property.name === record.property)?.property;
  if (!property) throw new FailureFileError(`no property named '${record.property}' in ${module} (renamed or removed?)`);
  return { property, module };
}
