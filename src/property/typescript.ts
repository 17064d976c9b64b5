/**
 * Importing a user's TypeScript property files (`.ts`, `.mts`, `.cts`) in any project: nanhunt's
 * module hooks (`typescript-hooks.ts`) compile `.ts`/`.mts` to ES modules, and a CommonJS handler
 * compiles `.cts`. Enabled once, the first time a TypeScript file is loaded; not under vite
 * (vitest), which compiles the files nanhunt imports itself.
 */
import { readFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { MODULE_EXTENSION } from '../core/package.ts';
import { syntaxError } from './typescript-hooks.ts';

interface CommonJsModule {
  _compile(code: string, filename: string): void;
}

let enabled = false;

/** Vite's module runner (vitest) defines `import.meta.env` in the modules it runs; Node does not. */
const UNDER_VITE = (import.meta as ImportMeta & { env?: unknown }).env !== undefined;

type Esbuild = typeof import('esbuild');

function esbuild(): Esbuild {
  return createRequire(import.meta.url)('esbuild') as Esbuild;
}

/**
 * Where a file that Node refused with a SyntaxError is wrong, found by esbuild's parser (Node's
 * message for an ES module has no line): `Unexpected ";" (line 2, column 11)`, or undefined.
 */
export function locateSyntaxError(file: string): string | undefined {
  try {
    esbuild().transformSync(readFileSync(file, 'utf8'), { loader: /\.[mc]?ts$/.test(file) ? 'ts' : 'js', sourcefile: file });
  } catch (e) {
    return syntaxError(e)?.message;
  }
  return undefined;
}

export function enableTypeScript(): void {
  if (enabled) return;
  enabled = true;
  if (UNDER_VITE) return;
  // stack traces of errors in a property file point into its TypeScript source
  process.setSourceMapsEnabled(true);
  module.register(new URL(`./typescript-hooks${MODULE_EXTENSION}`, import.meta.url));
  createRequire(import.meta.url).extensions['.cts'] ??= (m, filename) => {
    let code: string;
    try {
      ({ code } = esbuild().transformSync(readFileSync(filename, 'utf8'), { loader: 'ts', format: 'cjs', sourcemap: 'inline', sourcefile: filename }));
    } catch (e) {
      throw syntaxError(e) ?? e;
    }
    (m as unknown as CommonJsModule)._compile(code, filename);
  };
}
