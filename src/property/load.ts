/**
 * Finding properties: every module under a directory (or one file) is imported and each exported
 * Property — or array of Properties — is collected, with where it came from. nanhunt's shipped
 * catalog is the module `properties/index.ts`.
 *
 * Property files may be `.ts`, `.mts`, `.cts`, `.js`, `.mjs` or `.cjs`, in a project of either
 * `"type"`: JavaScript is imported as Node imports it; TypeScript is compiled by esbuild, `.ts` and
 * `.mts` as ES modules, `.cts` as CommonJS (`typescript.ts`). A file that cannot be loaded — a
 * syntax error, an error thrown on import, no property exported — is a LoadError naming the file.
 *
 * Loading returns data: each property beside its origin (module file, export name, index). Nothing
 * is remembered on the side; whoever saves a failure passes the origin along.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../core/errors.ts';
import { MODULE_EXTENSION } from '../core/package.ts';
import { isProperty, type Property } from './property.ts';
import { enableTypeScript, locateSyntaxError } from './typescript.ts';

/**
 * nanhunt's shipped catalog: the directory, and the module that exports the whole list
 * (`properties/index.ts` from source, `dist/properties/index.js` compiled: the build keeps the layout).
 */
export const CATALOG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../properties');
export const CATALOG_MODULE = path.join(CATALOG_DIR, `index${MODULE_EXTENSION}`);

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

const MODULE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const TYPESCRIPT = /\.(ts|mts|cts)$/;
const SKIP = /(\.d\.[mc]?ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

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

/** `file` relative to the working directory when it is inside it. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** The line of `file` an error's stack points at first (a syntax error's own location, or where it was thrown). */
function lineIn(error: Error, file: string): number | undefined {
  const names = [pathToFileURL(file).href, file];
  for (const line of (error.stack ?? '').split('\n')) {
    for (const name of names) {
      const at = line.indexOf(`${name}:`);
      const m = at === -1 ? null : /^:(\d+)/.exec(line.slice(at + name.length));
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/** What went wrong importing `file`, in one line. */
function loadFailure(error: unknown, file: string): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  const message = (error.message.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  if (error instanceof SyntaxError && !/\bline \d+/.test(message)) {
    const located = locateSyntaxError(file);
    if (located !== undefined) return `SyntaxError: ${located}`;
  }
  const line = /\bline \d+/.test(message) ? undefined : lineIn(error, file);
  return `${error.name}: ${message}${line !== undefined ? ` (line ${line})` : ''}`;
}

/** Import one module: JavaScript as Node imports it, TypeScript compiled (whatever the package's "type"). */
async function importModule(file: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.test(file)) enableTypeScript();
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new LoadError(`cannot load ${shown(file)}: ${loadFailure(e, file)}`);
  }
}

/** A module's exports: its named exports, then those of a CommonJS `module.exports` object not already named. */
function exportsOf(mod: Record<string, unknown>): [string, unknown][] {
  const entries = Object.entries(mod);
  const cjs = mod.default;
  if (typeof cjs !== 'object' || cjs === null || Array.isArray(cjs) || isProperty(cjs)) return entries;
  return [...entries, ...Object.entries(cjs).filter(([name]) => !Object.hasOwn(mod, name))];
}

/** Import the modules and collect their properties, in file order then export order. */
export async function loadProperties(target: string): Promise<LoadedProperty[]> {
  const found: LoadedProperty[] = [];
  const seen = new Map<string, string>();
  for (const file of modulesUnder(path.resolve(target))) {
    const mod = await importModule(file);
    const before = found.length;
    for (const [exportName, value] of exportsOf(mod)) {
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
    if (found.length === before) {
      throw new LoadError(
        `${shown(file)} exports no property: export a property(...) or trainingProperty(...), or an array of them (in a directory, name helper modules _*.ts)`,
      );
    }
  }
  return found;
}

/** The shipped catalog. */
export function loadCatalog(): Promise<LoadedProperty[]> {
  return loadProperties(CATALOG_MODULE);
}
