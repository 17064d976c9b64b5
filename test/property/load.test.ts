/**
 * Loading user property files through the command (`nanhunt check --properties`), in child
 * processes: TypeScript goes through nanhunt's esbuild hooks (src/property/typescript-hooks.ts),
 * JavaScript through Node. A file that cannot be loaded is one line naming it and the cause, exit 2.
 * (Every kind of file in a CommonJS project, with the installed package: test/package/consumer.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const SCRATCH = mkdtempSync(path.join(tmpdir(), 'nanhunt-load-'));
// property files that import '@tensorflow/tfjs' must live under the repository to resolve it
mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
const PROJECT = mkdtempSync(path.join(ROOT, 'node_modules/.cache', 'nanhunt-load-'));
afterAll(() => {
  rmSync(SCRATCH, { recursive: true, force: true });
  rmSync(PROJECT, { recursive: true, force: true });
});

function nanhunt(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: SCRATCH, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('property files that cannot be loaded', () => {
  const cases: [string, string, RegExp][] = [
    ['syntax.ts', '// a property file\nexport const x: number = ;\n', /: SyntaxError: Unexpected ";" \(line 2, column 26\)$/],
    ['syntax.mjs', 'const a = 1;\nconst b = ;\n', /: SyntaxError: Unexpected ";" \(line 2, column 11\)$/],
    ['syntax.cts', 'export const a: number = 1;\nconst b: = 2;\n', /: SyntaxError: Unexpected "=" \(line 2, column 10\)$/],
    ['throws.mts', 'const a: number = 1;\nthrow new Error(`boom on import ${a}`);\n', /: Error: boom on import 1 \(line 2\)$/],
    ['throws.cjs', 'exports.a = 1;\nthrow new TypeError("cjs boom");\n', /: TypeError: cjs boom \(line 2\)$/],
    ['missing.ts', "import x from 'no-such-package';\nexport const y = x;\n", /: Error: Cannot find package 'no-such-package' imported from /],
  ];
  for (const [name, text, cause] of cases) {
    it(`${name}: one line naming the file and the cause, exit 2`, () => {
      const file = write(SCRATCH, `bad/${name}`, text);
      const r = nanhunt('check', '--properties', file);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^nanhunt: cannot load bad/${name.replace('.', '\\.')}: `));
      expect(lines[0]).toMatch(cause);
    });
  }

  it('a module that exports no property is named, exit 2', () => {
    write(SCRATCH, 'none/a.mts', 'export const answer: number = 42;\n');
    const r = nanhunt('check', '--properties', 'none');
    expect(r.code).toBe(2);
    expect(r.err.trimEnd()).toBe(
      `nanhunt: ${path.join('none', 'a.mts')} exports no property: export a property(...) or trainingProperty(...), or an array of them (in a directory, name helper modules _*.ts)`,
    );
  });
});

describe('TypeScript property files', () => {
  it('load as ES modules with their relative imports (./x.js names x.ts), helpers in _*.ts skipped; the findings are reported', () => {
    const api = pathToFileURL(path.join(ROOT, 'src/index.ts')).href;
    write(PROJECT, 'props/_scale.ts', 'export const scale: number = 1;\n');
    write(
      PROJECT,
      'props/exp.ts',
      `import * as tf from '@tensorflow/tfjs';\nimport { float32, property, tensor } from '${api}';\nimport { scale } from './_scale.js';\n` +
        `export const expProperty = property({ name: 'load: exp', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.exp(tf.mul(x, scale)) });\n`,
    );
    write(
      PROJECT,
      'props/abs.mts',
      `import * as tf from '@tensorflow/tfjs';\nimport { property, tensor } from '${api}';\n` +
        `export default [property({ name: 'load: abs', inputs: { x: tensor() }, subject: ({ x }: { x: tf.Tensor }) => tf.abs(x) })];\n`,
    );
    const r = nanhunt('check', '--properties', path.join(PROJECT, 'props'), '--seed', '5', '--no-db', '--no-repro');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('✓ load: abs');
    expect(r.out).toContain('✗ load: exp');
    expect(r.out).toContain('x: Tensor float32 [1] [89]');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
  });
});
