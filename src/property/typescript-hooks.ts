/**
 * Node module hooks (registered with `module.register` by `typescript.ts`) that let nanhunt import a
 * user's TypeScript property files in any project, whatever its `"type"`. They run on Node's
 * module loader thread.
 *
 * - `.ts` and `.mts` files are compiled by esbuild to ES modules in place (import/export, whatever
 *   the package's "type"). Node then resolves their imports from where they are, without a query
 *   or namespace: `nanhunt` and `@tensorflow/tfjs` are the project's single copies, the very
 *   modules nanhunt runs on (tsx's scoped `tsImport` loads a second copy of every ES module the
 *   file imports, nanhunt's included).
 * - `.cts` files are CommonJS: they go to Node's CommonJS loader, which compiles them with the
 *   handler `typescript.ts` installs.
 * - A relative import that names `./x.js` or `./x` where only `./x.ts` exists resolves to the .ts file.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform, type TransformFailure } from 'esbuild';

type Next<C, R> = (target: string, context: C) => Promise<R>;
interface ResolveContext {
  readonly parentURL?: string;
}
interface Resolved {
  readonly url: string;
}
interface Loaded {
  readonly format?: string | null;
  readonly source?: string | ArrayBuffer | Uint8Array | null;
  readonly shortCircuit?: boolean;
}

const TYPESCRIPT = /\.(ts|mts|cts)$/;
const DECLARATION = /\.d\.[mc]?ts$/;
const RELATIVE = /^\.{1,2}\//;

function typescriptFile(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const file = fileURLToPath(url);
  return TYPESCRIPT.test(file) && !DECLARATION.test(file) ? file : undefined;
}

export async function resolve(specifier: string, context: ResolveContext, next: Next<ResolveContext, Resolved>): Promise<Resolved> {
  try {
    return await next(specifier, context);
  } catch (e) {
    const parent = context.parentURL;
    if (!parent || !typescriptFile(parent) || !RELATIVE.test(specifier) || (e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    const candidates = /\.[mc]?js$/.test(specifier)
      ? [specifier.replace(/js$/, 'ts')]
      : [`${specifier}.ts`, `${specifier}.mts`, `${specifier}.cts`, `${specifier}.js`, `${specifier}/index.ts`, `${specifier}/index.js`];
    for (const candidate of candidates) {
      try {
        return await next(candidate, context);
      } catch {
        // try the next one
      }
    }
    throw e;
  }
}

/** esbuild's first error as a one-line SyntaxError with its line and column, when `e` is an esbuild failure. */
export function syntaxError(e: unknown): SyntaxError | undefined {
  const first = (e as Partial<TransformFailure> | undefined)?.errors?.[0];
  if (!first) return undefined;
  const at = first.location ? ` (line ${first.location.line}, column ${first.location.column + 1})` : '';
  return new SyntaxError(`${first.text}${at}`);
}

export async function load(url: string, context: object, next: Next<object, Loaded>): Promise<Loaded> {
  const file = typescriptFile(url);
  if (file === undefined) return next(url, context);
  if (file.endsWith('.cts')) return { format: 'commonjs', shortCircuit: true };
  let code: string;
  try {
    ({ code } = await transform(await readFile(file, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      sourcemap: 'inline',
      sourcefile: file,
      target: `node${process.versions.node}`,
    }));
  } catch (e) {
    throw syntaxError(e) ?? e;
  }
  return { format: 'module', source: code, shortCircuit: true };
}
