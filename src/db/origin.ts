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
import { CATALOG_DIR, loadProperties, propertyOrigin } from '../cli/load.ts';
import { FailureFileError, type FailureOrigin, type FailureRecord } from './record.ts';

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

function inside(dir: string, file: string): string | undefined {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? posix(rel) : undefined;
}

/** The origin of a property loaded by loadProperties (undefined when it was not). */
export function originOf(property: Property<any>, cwd: string = process.cwd()): FailureOrigin | undefined {
  const o = propertyOrigin(property);
  if (!o) return undefined;
  const where = o.index !== undefined ? { export: o.exportName, index: o.index } : { export: o.exportName };
  const catalog = inside(CATALOG_DIR, o.file);
  if (catalog !== undefined) return { catalog, ...where };
  return { file: inside(path.resolve(cwd), o.file) ?? o.file, ...where };
}

/** The module file an origin names, or undefined when it cannot be found. */
export function originModule(origin: FailureOrigin | undefined, options: { cwd?: string; failureFile?: string } = {}): string | undefined {
  if (!origin || origin.test !== undefined) return undefined;
  if (origin.catalog !== undefined) {
    const f = path.resolve(CATALOG_DIR, origin.catalog);
    return existsSync(f) ? f : undefined;
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
    if (record.origin?.test !== undefined) {
      throw new FailureFileError(
        `'${record.property}' was saved by the ${describeOrigin(record.origin)}: run that test again (its saved failures run first)`,
      );
    }
    module = originModule(record.origin, options);
    if (module === undefined) {
      throw new FailureFileError(
        `cannot find the module of '${record.property}' (${describeOrigin(record.origin)}): pass --properties <file-or-dir>`,
      );
    }
  }
  let all: Property[];
  try {
    all = await loadProperties(module);
  } catch (e) {
    throw new FailureFileError(`cannot load properties from ${module}: ${(e as Error).message.split('\n')[0]}`);
  }
  const property = all.find((p) => p.name === record.property);
  if (!property) throw new FailureFileError(`no property named '${record.property}' in ${module} (renamed or removed?)`);
  return { property, module };
}
