/**
 * The page's script: esbuild bundles the page side (page.ts), TensorFlow.js and the property
 * modules (the catalog, or the files of `--properties`) into one ES module for the browser.
 *
 * nanhunt's modules that the properties import may import Node's built-in modules (loading,
 * package paths); in the page they are stand-ins: `path` and `url` work on plain paths, `module`'s
 * createRequire loads mathjs's browser bundle (the BigNumber references need it), and any other
 * built-in function throws "not available in the browser" if a property calls it. nanhunt's version
 * (core/version.ts reads package.json) is written into the bundle.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FROM_SOURCE, MODULE_EXTENSION } from '../core/package.ts';
import { BackendError } from '../run/backend.ts';
import { VERSION } from '../core/version.ts';

/** page.ts as it runs here (`.ts` from source, `.js` compiled). */
export const PAGE_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), `page${MODULE_EXTENSION}`);

const PATH_STUB = `
const norm = (p) => {
  const abs = p.startsWith('/');
  const parts = [];
  for (const s of p.split('/')) {
    if (!s || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  const j = parts.join('/');
  return abs ? '/' + j : j || '.';
};
export const sep = '/';
export const delimiter = ':';
export function join(...a) { return norm(a.filter((x) => x !== '').join('/')); }
export function resolve(...a) { let r = '/'; for (const x of a) r = x.startsWith('/') ? x : r + '/' + x; return norm(r); }
export function normalize(p) { return norm(p); }
export function isAbsolute(p) { return p.startsWith('/'); }
export function dirname(p) { const n = norm(p); const i = n.lastIndexOf('/'); return i < 0 ? '.' : i === 0 ? '/' : n.slice(0, i); }
export function basename(p, ext) { const b = norm(p).split('/').pop() ?? ''; return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b; }
export function extname(p) { const b = basename(p); const i = b.lastIndexOf('.'); return i > 0 ? b.slice(i) : ''; }
export function relative(from, to) { const f = norm(from); const t = norm(to); return t.startsWith(f + '/') ? t.slice(f.length + 1) : t; }
export const posix = { sep, delimiter, join, resolve, normalize, isAbsolute, dirname, basename, extname, relative };
export default posix;
`;

const URL_STUB = `
export function fileURLToPath(u) { return decodeURIComponent(new URL(String(u)).pathname); }
export function pathToFileURL(p) { return new URL('file://' + p); }
const URL_ = globalThis.URL;
export { URL_ as URL };
export default { fileURLToPath, pathToFileURL, URL: URL_ };
`;

const MODULE_STUB = `
import math from 'mathjs/lib/browser/math.js';
export const builtinModules = [];
export function createRequire() {
  return (specifier) => {
    if (specifier === 'mathjs/lib/browser/math.js' || specifier === 'mathjs') return math;
    throw new Error('require(' + JSON.stringify(specifier) + ') is not available in the browser');
  };
}
export function register() {}
export default { builtinModules, createRequire, register };
`;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Packages only Node runs (nanhunt's loader compiles TypeScript with esbuild): stand-ins in the page. */
const NODE_ONLY = /^(esbuild|tsx(\/.*)?|playwright-core)$/;

/** A module whose every function throws when called in the page (a Node built-in, or a package of {@link NODE_ONLY}). */
async function unavailableStub(name: string): Promise<string> {
  let keys: string[] = [];
  try {
    const specifier = NODE_ONLY.test(name) ? name : `node:${name}`;
    keys = Object.keys((await import(specifier)) as object).filter((k) => k !== 'default' && IDENTIFIER.test(k));
  } catch {
    // not importable here: an empty stand-in
  }
  const lines = [
    `const unavailable = (what) => function () { throw new Error(what + ' is not available in the browser'); };`,
    ...keys.map((k) => `export const ${k} = unavailable(${JSON.stringify(`${NODE_ONLY.test(name) ? name : `node:${name}`}.${k}`)});`),
    `export default { ${keys.join(', ')} };`,
  ];
  return lines.join('\n');
}

const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/\\-]/g, (c) => `\\${c}`)).join('|')})$`);

export interface PageBundle {
  readonly code: string;
  readonly ms: number;
}

/**
 * Bundle the page with the property modules `files` (absolute paths). `webgpu`: also bundle
 * @tensorflow/tfjs-backend-webgpu (an optional peer dependency). Throws a BackendError when a
 * module cannot be bundled (a missing package, a syntax error), naming it.
 */
export async function bundlePage(files: readonly string[], options: { readonly webgpu?: boolean } = {}): Promise<PageBundle> {
  const started = performance.now();
  const esbuild = await import('esbuild');
  const entry = [
    `import { install } from ${JSON.stringify(PAGE_MODULE)};`,
    ...(options.webgpu ? [`import '@tensorflow/tfjs-backend-webgpu';`] : []),
    ...files.map((f, i) => `import * as m${i} from ${JSON.stringify(f)};`),
    `install([${files.map((_, i) => `m${i}`).join(', ')}]);`,
  ].join('\n');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      stdin: { contents: entry, resolveDir: path.dirname(PAGE_MODULE), sourcefile: 'nanhunt-page-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // from source, `import 'nanhunt'` in a property file resolves to the TypeScript source, as in Node
      conditions: FROM_SOURCE ? ['nanhunt-source'] : [],
      logLevel: 'silent',
      // a stand-in `process` (not Node's: tfjs must not take the page for Node) for modules that read process.env
      banner: { js: `globalThis.process ??= { env: {}, versions: {}, argv: [], platform: 'browser', arch: '', version: '', cwd: () => '/' };` },
      plugins: [
        {
          name: 'nanhunt-node-builtins',
          setup(build) {
            // nanhunt's version is read from package.json in Node; the page gets it written in
            build.onLoad({ filter: /[\\/]core[\\/]version\.[jt]s$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(VERSION)};`, loader: 'js' }));
            build.onResolve({ filter: BUILTIN }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'node-builtin' }));
            build.onResolve({ filter: NODE_ONLY }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
            build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, async (args) => {
              const name = NODE_ONLY.test(args.path) ? args.path : args.path.split('/')[0]!;
              const contents = name === 'path' ? PATH_STUB : name === 'url' ? URL_STUB : name === 'module' ? MODULE_STUB : await unavailableStub(args.path);
              return { contents, loader: 'js', resolveDir: path.dirname(PAGE_MODULE) };
            });
          },
        },
      ],
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const first = errors[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    const text = first ? `${first.text}${where}` : (e as Error).message.split('\n')[0];
    if (options.webgpu && /@tensorflow\/tfjs-backend-webgpu/.test(text ?? '')) {
      throw new BackendError(
        `backend 'webgpu' needs the optional package @tensorflow/tfjs-backend-webgpu, which is not installed. Install it with: npm install @tensorflow/tfjs-backend-webgpu`,
      );
    }
    throw new BackendError(`cannot bundle the properties for the browser: ${text}`);
  }
  return { code: result.outputFiles![0]!.text, ms: performance.now() - started };
}
