/**
 * nanhunt as a user gets it: `npm pack` (which builds dist/ at `prepare`), the tarball installed
 * with TensorFlow.js and vitest into a fresh `npm init -y` project (CommonJS, as npm writes it)
 * under a temporary directory, from npm's cache (`--prefer-offline`: `npm ci` filled it). Then, as
 * the README tells users: a plain node ES module script and a CommonJS file run a property and print
 * its report; tsc --strict (NodeNext, the repository's TypeScript 7) checks a file that uses the API,
 * generators, invariants and the vitest matchers; a vitest file passes and fails as documented;
 * `npx nanhunt check --properties` runs TypeScript property files; property files of every kind
 * load with the project's single copy of nanhunt and TensorFlow.js. About 30 s, mostly the install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
/** The versions the repository installed: npm's cache has them. */
const version = (pkg: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Everything the children printed: no line of it may say a kernel is "already registered". */
const printed: string[] = [];

/** The environment of a user's shell: none of npm's, vitest's or nanhunt's variables of this run. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NANHUNT_)/i.test(k) || k === 'INIT_CWD' || k === 'TEST' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

function run(cwd: string, command: string, args: readonly string[], timeout = 120_000): Run {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout });
  printed.push(r.stdout ?? '', r.stderr ?? '');
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const node = (cwd: string, ...args: string[]) => run(cwd, process.execPath, args);

function write(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

let work = '';
let project = '';
let packed: { path: string }[] = [];

// The naive BCE of the README: it fails on one logit of 18 with label 0.
const NAIVE_BCE = `property({
  name: 'my naive BCE',
  inputs: {
    batch: tensors({
      dims: { n: { min: 1, max: 16 } },
      tensors: { x: { shape: ['n'], elements: logits() }, y: { shape: ['n'], elements: binaryLabels() } },
    }),
  },
  subject: ({ batch: { x, y } }) => {
    const p = tf.sigmoid(x);
    return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
  },
})`;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'nanhunt-consumer-'));
  const pack = run(ROOT, 'npm', ['pack', '--json', '--pack-destination', work]);
  expect(pack.code, pack.err).toBe(0);
  const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = info!.files;
  project = path.join(work, 'my-project');
  mkdirSync(project);
  expect(run(project, 'npm', ['init', '-y']).code).toBe(0);
  const install = run(project, 'npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    path.join(work, info!.filename),
    `@tensorflow/tfjs@${version('@tensorflow/tfjs')}`,
    `@tensorflow/tfjs-backend-wasm@${version('@tensorflow/tfjs-backend-wasm')}`,
    `vitest@${version('vitest')}`,
  ]);
  expect(install.code, install.err).toBe(0);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the installed package, in a CommonJS project', () => {
  it('is what npm init -y makes, and the tarball holds the build, schemas, docs, README and LICENSE, not the sources or tests', () => {
    expect(JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')).type).toBe('commonjs');
    const files = packed.map((f) => f.path);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/vitest/index.js', 'dist/properties/index.js', 'bin/nanhunt.js']) {
      expect(files, f).toContain(f);
    }
    for (const f of ['schema/nanhunt.schema.json', 'schema/nanhunt-diff.schema.json', 'README.md', 'LICENSE', 'docs/install.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|examples|scripts|properties|\.ci)\//.test(f) || f.endsWith('.test.ts'))).toEqual([]);
    // one TensorFlow.js: the project's (a peer dependency), none nested under nanhunt
    expect(existsSync(path.join(project, 'node_modules/nanhunt/node_modules/@tensorflow'))).toBe(false);
  });

  it('(a) a plain node ES module script runs a property and prints its report; every subpath imports', () => {
    write(
      project,
      'run.mjs',
      `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { binaryLabels, logits, property, runProperty, tensors, useBackend } from 'nanhunt';
import { failureReport } from 'nanhunt/report';

await useBackend('cpu');
const result = runProperty(${NAIVE_BCE}, { seed: 1 });
console.log(failureReport(result));
for (const sub of ['report', 'diff', 'train', 'db', 'catalog', 'properties']) {
  console.log('nanhunt/' + sub, Object.keys(await import('nanhunt/' + sub)).length > 0);
}
const schema = fileURLToPath(import.meta.resolve('nanhunt/schema/nanhunt.schema.json'));
console.log('schema', JSON.parse(readFileSync(schema, 'utf8')).$schema !== undefined);
console.log('tensors', tf.memory().numTensors);
`,
    );
    const r = node(project, 'run.mjs');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain("Property 'my naive BCE' failed on backend cpu");
    expect(r.out).toContain('batch: { x: Tensor float32 [1] [18], y: Tensor float32 [1] [0] }');
    expect(r.out).toContain('first non-finite value born in kernel #5 Log(x=[1] 0) -> [1] -Infinity');
    for (const sub of ['report', 'diff', 'train', 'db', 'catalog', 'properties']) expect(r.out).toContain(`nanhunt/${sub} true`);
    expect(r.out).toContain('schema true');
    expect(r.out).toContain('tensors 0');
  });

  it("(b) a CommonJS file require('nanhunt') (require of an ES module, Node >= 20.19)", () => {
    write(
      project,
      'check.js',
      `const tf = require('@tensorflow/tfjs');
const { float32, property, runProperty, tensor, useBackend } = require('nanhunt');
const { failureReport } = require('nanhunt/report');

useBackend('cpu').then(() => {
  const exp = property({ name: 'exp stays finite', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.exp(x) });
  console.log(failureReport(runProperty(exp, { seed: 5 })));
});
`,
    );
    const r = node(project, 'check.js');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain("Property 'exp stays finite' failed on backend cpu");
    expect(r.out).toContain('x: Tensor float32 [1] [89]');
  });

  it('(c) tsc --strict --noEmit (NodeNext, skipLibCheck) over the API, generators, invariants and the vitest matchers: no error', () => {
    write(
      project,
      'api.ts',
      `import * as tf from '@tensorflow/tfjs';
import { binaryLabels, finite, float32, logits, matchesReference, property, reference, runProperty, tensor, tensors, useBackend, type PropertyResult } from 'nanhunt';
import type * as Catalog from 'nanhunt/catalog';
import type * as Db from 'nanhunt/db';
import type * as Diff from 'nanhunt/diff';
import type * as Properties from 'nanhunt/properties';
import { failureReport } from 'nanhunt/report';
import type * as Train from 'nanhunt/train';

export const naiveBce = ${NAIVE_BCE};

export const log1p = property({
  name: 'log1p',
  inputs: { x: tensor({ elements: float32({ min: -0.5, max: 1e6 }) }) },
  subject: ({ x }) => tf.log1p(x),
  invariants: [finite({ gradients: true }), matchesReference(({ x }) => reference.log1p(x), { ulps: 2 })],
});

export async function report(): Promise<string> {
  await useBackend('cpu');
  const result: PropertyResult = runProperty(naiveBce, { seed: 1, runs: 50 });
  return failureReport(result);
}

export type Subpaths = [typeof Catalog, typeof Db, typeof Diff, typeof Properties, typeof Train];
`,
    );
    write(
      project,
      'bce.test.ts',
      `import * as tf from '@tensorflow/tfjs';
import { expect, test } from 'vitest';
import { binaryLabels, finite, logits, tensor, tensors } from 'nanhunt';
import { numProp } from 'nanhunt/vitest';

const batch = tensors({
  dims: { n: { min: 1, max: 16 } },
  tensors: { x: { shape: ['n'], elements: logits() }, y: { shape: ['n'], elements: binaryLabels() } },
});

numProp('naive BCE stays finite', { batch }, ({ batch: { x, y } }) => {
  const p = tf.sigmoid(x);
  return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
});

numProp('stable BCE stays finite, gradients too', { batch }, ({ batch: { x, y } }) => tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))), {
  invariants: [finite({ gradients: true })],
});

test('matchers', () => {
  const p = tf.tidy(() => tf.softmax(tf.tensor([1, 2])));
  expect(p).toBeAllFinite();
  tf.dispose(p);
  expect((x: tf.Tensor) => tf.softmax(x)).toStayFinite([tensor({ elements: logits() })], { runs: 50 });
  expect((x: tf.Tensor) => tf.exp(x)).not.toStayFinite([tensor()]);
  expect((x: tf.Tensor) => tf.log1p(x)).toMatchReference(Math.log1p, { ulps: 1 });
});
`,
    );
    write(
      project,
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
          // a consumer's own strict flags apply to its code, not to nanhunt's
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          noPropertyAccessFromIndexSignature: true,
        },
        include: ['api.ts', 'bce.test.ts'],
      }),
    );
    const r = node(project, TSC, '-p', '.', '--listFilesOnly');
    expect(r.out).toContain('node_modules/nanhunt/dist/src/vitest/index.d.ts');
    expect(r.out).not.toContain('node_modules/nanhunt/src/');
    const tsc = node(project, TSC, '-p', '.');
    expect(tsc.out + tsc.err).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('(d) vitest: numProp and the matchers pass, and the naive BCE fails with its minimal case', () => {
    const report = path.join(work, 'vitest.json');
    const r = node(project, 'node_modules/vitest/vitest.mjs', 'run', 'bce.test.ts', '--reporter=json', `--outputFile=${report}`);
    expect(r.code, r.err).toBe(1);
    const doc = JSON.parse(readFileSync(report, 'utf8')) as {
      numTotalTests: number;
      testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
    };
    const tests = doc.testResults.flatMap((f) => f.assertionResults);
    expect(Object.fromEntries(tests.map((t) => [t.title, t.status]))).toEqual({
      'naive BCE stays finite': 'failed',
      'stable BCE stays finite, gradients too': 'passed',
      matchers: 'passed',
    });
    const message = tests.find((t) => t.title === 'naive BCE stays finite')!.failureMessages.join('\n');
    expect(message).toContain("NanhuntFailure: Property 'naive BCE stays finite' failed on backend cpu");
    expect(message).toContain('batch: { x: Tensor float32 [1] [18], y: Tensor float32 [1] [0] }');
    expect(message).toContain('first non-finite value born in kernel #5 Log(x=[1] 0) -> [1] -Infinity');
  });

  it('(e) npx nanhunt check --properties my-props runs a .ts property file and exits 1 on its finding; a broken file is one line, exit 2', () => {
    write(
      project,
      'my-props/bce.ts',
      `import * as tf from '@tensorflow/tfjs';\nimport { binaryLabels, logits, property, tensors } from 'nanhunt';\n\nexport const naiveBce = ${NAIVE_BCE};\n`,
    );
    const r = run(project, 'npx', ['nanhunt', 'check', '--properties', 'my-props']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^nanhunt 0\.\d+\.\d+ · tfjs 4\.22\.0 · backend cpu · seed 0 · 1 property\n/);
    expect(r.out).toContain('✗ my naive BCE');
    expect(r.out).toContain('batch: { x: Tensor float32 [1] [18], y: Tensor float32 [1] [0] }');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('0 passed, 1 failed');
    expect(existsSync(path.join(project, 'reports/index.html'))).toBe(true);

    write(project, 'broken/bce.ts', "import { property } from 'nanhunt';\nexport const p = property({ name: 'broken', ;\n");
    const broken = run(project, 'npx', ['nanhunt', 'check', '--properties', 'broken']);
    expect(broken.code).toBe(2);
    expect(broken.out).toBe('');
    expect(broken.err).toMatch(/^nanhunt: cannot load broken\/bce\.ts: SyntaxError: .* \(line 2, column \d+\)\n$/);

    const help = run(project, 'npx', ['nanhunt', 'check', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: nanhunt check \[options\]/);
  });

  it('(e) property files of every kind load on the one copy of nanhunt and TensorFlow.js the project has', () => {
    const body = (ext: string) => `export const probe = { tf, nanhunt };
export const p = nanhunt.property({ name: 'probe ${ext}', inputs: { x: nanhunt.tensor() }, subject: ({ x }${ext.endsWith('ts') ? ': { x: tf.Tensor }' : ''}) => tf.abs(x) });\n`;
    const esm = "import * as tf from '@tensorflow/tfjs';\nimport * as nanhunt from 'nanhunt';\n";
    const cjs = "const tf = require('@tensorflow/tfjs');\nconst nanhunt = require('nanhunt');\n";
    write(project, 'kinds/a.ts', esm + body('ts'));
    write(project, 'kinds/b.mts', esm + body('mts'));
    write(project, 'kinds/c.cts', esm + body('cts'));
    write(project, 'kinds/d.js', cjs + body('js').replaceAll('export const ', 'exports.'));
    write(project, 'kinds/e.mjs', esm + body('mjs'));
    write(project, 'kinds/f.cjs', cjs + body('cjs').replaceAll('export const ', 'exports.'));
    write(
      project,
      'kinds.mjs',
      `import * as tf from '@tensorflow/tfjs';
import * as nanhunt from 'nanhunt';
import { pathToFileURL } from 'node:url';

await nanhunt.useBackend('cpu');
for (const { property, origin } of await nanhunt.loadProperties('kinds')) {
  const mod = await import(pathToFileURL(origin.file).href);
  const probe = mod.probe ?? mod.default.probe;
  const result = nanhunt.runProperty(property, { seed: 1, runs: 5 });
  console.log([property.name, origin.exportName, probe.nanhunt.runProperty === nanhunt.runProperty, probe.tf.abs === tf.abs, result.status].join(' '));
}
`,
    );
    const r = node(project, 'kinds.mjs');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual(['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map((ext) => `probe ${ext} p true true passed`));
  });

  it('without @tensorflow/tfjs (a peer dependency), the command says what to install in one line, exit 2', () => {
    const tfjs = path.join(project, 'node_modules/@tensorflow/tfjs');
    const away = path.join(work, 'tfjs-away');
    renameSync(tfjs, away);
    try {
      const r = run(project, 'npx', ['nanhunt', 'check', '--properties', 'my-props']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        "nanhunt: @tensorflow/tfjs is not installed; nanhunt runs on the project's TensorFlow.js (a peer dependency): npm install --save-dev @tensorflow/tfjs@^4.22.0 @tensorflow/tfjs-backend-wasm@^4.22.0\n",
      );
    } finally {
      renameSync(away, tfjs);
    }
  });

  it('(f) no run printed that a kernel is "already registered" (a second TensorFlow.js)', () => {
    expect(printed.length).toBeGreaterThan(10);
    expect(printed.filter((text) => text.includes('already registered'))).toEqual([]);
  });
});
