/**
 * The architecture, checked: src/ is a stack of layers (docs/architecture.md), each folder imports
 * only folders below it, so there is no cycle between folders; nothing outside cli/ imports cli/;
 * one module runs fast-check's search; the catalog module never imports the catalog's data.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

/** The layers, bottom first: a folder may import its own files and the folders before it. */
const LAYERS = [
  'core',
  'shrink',
  'generate',
  'reference',
  'run',
  'check',
  'explain',
  'property',
  'catalog',
  'gate',
  'db',
  'report',
  'diff',
  'train',
  'guard',
  'browser',
  'vitest',
  'cli',
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import and re-export of a file, resolved to a path under the repository. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)].map((m) =>
    path.resolve(path.dirname(file), (m[1] ?? m[2])!),
  );
}

/** The src/ folder of a path (`index` for src/index.ts), or undefined outside src/. */
function folderOf(p: string): string | undefined {
  const rel = path.relative(SRC, p);
  if (rel.startsWith('..')) return undefined;
  const [first] = rel.split(path.sep);
  return first!.endsWith('.ts') ? first!.slice(0, -3) : first;
}

interface Edge {
  readonly file: string;
  readonly from: string;
  readonly target: string;
}

const edges: Edge[] = files(SRC).flatMap((file) => imports(file).map((target) => ({ file: path.relative(ROOT, file), from: folderOf(file)!, target })));

/** Imports of a layer from a layer above it. */
function upwardImports(es: readonly Edge[]): string[] {
  return es
    .filter((e) => e.from !== 'index')
    .map((e) => ({ ...e, to: folderOf(e.target) }))
    .filter((e) => e.to !== undefined && e.to !== 'index' && e.to !== e.from && LAYERS.indexOf(e.to) > LAYERS.indexOf(e.from))
    .map((e) => `${e.file} imports ${path.relative(ROOT, e.target)} (${e.from} is below ${e.to})`);
}

describe('architecture', () => {
  it('every folder of src/ is a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.sort()).toEqual([...LAYERS].sort());
  });

  it('each folder imports only itself and the layers below it (so no cycle between folders)', () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  it('nothing outside cli/ imports cli/, and nothing in src/ imports an entry point or the catalog data', () => {
    const wrong = edges
      .filter(
        (e) =>
          (e.from !== 'cli' && folderOf(e.target) === 'cli') ||
          (folderOf(e.target) === 'index' && e.from !== 'index') ||
          e.target.startsWith(path.join(ROOT, 'properties')),
      )
      .map((e) => `${e.file} imports ${path.relative(ROOT, e.target)}`);
    expect(wrong).toEqual([]);
  });

  it('one module runs the search: fast-check is driven from src/property/engine.ts only', () => {
    const callers = files(SRC).filter((f) => /\bfc\.(check|assert|sample)\(/.test(readFileSync(f, 'utf8')));
    expect(callers.map((f) => path.relative(ROOT, f))).toEqual(['src/property/engine.ts']);
  });

  it('the layer check can fail: a planted upward import is reported, a downward one is not', () => {
    const planted: Edge[] = [
      { file: 'src/gate/x.ts', from: 'gate', target: path.join(SRC, 'cli/args.ts') },
      { file: 'src/cli/x.ts', from: 'cli', target: path.join(SRC, 'gate/gate.ts') },
    ];
    expect(upwardImports(planted)).toEqual(['src/gate/x.ts imports src/cli/args.ts (gate is below cli)']);
  });
});
