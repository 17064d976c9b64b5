// The diff JSON report (`nanhunt diff --json`) against its JSON Schema, schema/nanhunt-diff.schema.json:
// documents of real cpu/wasm runs validate, broken ones do not.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { float32, property, tensor, type Property } from '../../src/index.ts';
import { diffAll, diffDocument, prepareBackends, withReference, type DiffDocument } from '../../src/diff/index.ts';
import { sigmoid } from '../../src/reference/elementwise.ts';
import { loadCatalog } from '../../src/property/load.ts';
import { diffCommand } from '../../src/cli/diff.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = path.join(ROOT, 'schema/nanhunt-diff.schema.json');
const FIXTURE = path.join(ROOT, 'test/fixtures/diff/cli-props.ts');

let validate: ValidateFunction;
let doc: any;

const errorsOf = () => JSON.stringify(validate.errors, null, 1);
const roundTrip = (d: unknown) => JSON.parse(JSON.stringify(d));

beforeAll(async () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  // as for nanhunt.schema.json: strict, no unknown keywords or formats beyond date-time
  const ajv = new Ajv({
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    allErrors: true,
    formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ },
  });
  validate = ajv.compile(schema);

  await prepareBackends(['cpu', 'wasm']);
  const catalog = (await loadCatalog()).map((l) => l.property);
  const named = (name: string): Property => {
    const p = catalog.find((q) => q.name === name);
    if (!p) throw new Error(`no catalog property ${name}`);
    return p;
  };
  // properties of different input types
  const properties: Property<any>[] = [
    named('abs'), // agreed
    // disagreed: wasm flushes sigmoid(-88) to 0 (value, subnormal); without a reference the diff
    // compares the backends with each other (the catalog's sigmoid is judged by its reference, and
    // a flushed subnormal is within wasm's tolerance there)
    property({
      name: 'schema: sigmoid without a reference',
      inputs: { x: tensor({ shape: { maxRank: 2, maxSize: 64 }, elements: float32() }) },
      subject: ({ x }) => tf.sigmoid(x),
    }),
    named('naive BCE (example bug)'), // disagreed: -0 on cpu, NaN on wasm (finiteness)
    named('conv2d gradient'), // unsupported: no Conv2DBackpropFilter on wasm
    named('train.momentum dispose'), // errored: the subject leaks on both backends
    // disagreed, judged by an exact reference (verdict)
    withReference(
      property({ name: 'schema: sigmoid with its reference', inputs: { x: tensor({ elements: float32() }) }, subject: ({ x }) => tf.sigmoid(x) }),
      ({ x }) => sigmoid(x),
    ),
    // disagreed: one backend throws
    property({
      name: 'schema: wasm throws',
      inputs: { x: tensor({ elements: float32({ min: -1, max: 1 }) }) },
      subject: ({ x }) => {
        if (tf.getBackend() === 'wasm') throw new Error('planted: wasm refuses');
        return tf.abs(x);
      },
    }),
  ];
  const results = await diffAll(properties, { backends: ['cpu', 'wasm'], seed: 0, runs: 30 });
  doc = roundTrip(
    diffDocument(
      {
        nanhunt: '0.1.0',
        tfjs: tf.version.tfjs,
        backends: ['cpu', 'wasm'],
        seed: 0,
        runs: 30,
        tolerance: { ulps: 4, atol: 0 },
        generatedAt: '2026-12-01T05:00:00.000Z',
      },
      results,
    ),
  );
});

describe('the diff JSON report and its schema', () => {
  it('is shipped with the package', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./schema/nanhunt-diff.schema.json']).toBe('./schema/nanhunt-diff.schema.json');
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('schema/nanhunt-diff.schema.json');
  });

  it('a document of a real cpu/wasm run, with every status and kind of disagreement, validates', () => {
    expect(validate(doc), errorsOf()).toBe(true);
    // the document really holds what the schema is meant to describe
    expect(doc.summary).toEqual({ total: 7, agreed: 1, disagreed: 4, unsupported: 1, errored: 1 });
    const p = (name: string) => doc.properties.find((x: { name: string }) => x.name === name);
    expect(p('schema: sigmoid without a reference').disagreement).toMatchObject({ kind: 'value', hint: 'subnormal', values: { wasm: 0 } });
    expect(p('schema: sigmoid without a reference').counterexample).toEqual({ x: { $tensor: true, shape: [1], dtype: 'float32', values: [-88] } });
    expect(p('schema: sigmoid without a reference').divergence).toMatchObject({ kernels: { cpu: 'Sigmoid', wasm: 'Sigmoid' } });
    expect(p('naive BCE (example bug)').disagreement).toMatchObject({ kind: 'finiteness', values: { cpu: '-0', wasm: 'NaN' }, ulps: 'Infinity', side: 'wasm' });
    expect(p('schema: sigmoid with its reference').verdict).toMatchObject({ right: ['cpu'] });
    expect(p('schema: wasm throws').disagreement).toMatchObject({ kind: 'throws', side: 'wasm', errors: { wasm: expect.stringContaining('planted') } });
    expect(p('conv2d gradient').unsupported).toEqual([
      { backend: 'wasm', kernel: 'Conv2DBackpropFilter', message: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" },
    ]);
    expect(p('train.momentum dispose').error).toMatch(/leaked/);
    expect(p('abs').stats.wasm.histogram['0']).toBeGreaterThan(0);
    // NaN, ±Infinity and -0 are strings, never null
    expect(JSON.stringify(doc)).not.toMatch(/:null\b/);
  });

  it('rejects documents that break it (so the validation above means something)', () => {
    const disagreed = (d: any) => d.properties.find((x: any) => x.status === 'disagreed' && x.disagreement?.kind === 'value');
    const broken: [string, (d: any) => void][] = [
      ['another kind of document', (d) => (d.kind = 'nanhunt.check')],
      ['no properties', (d) => delete d.properties],
      ['one backend', (d) => (d.backends = ['cpu'])],
      ['an unknown status', (d) => (d.properties[0].status = 'maybe')],
      ['a disagreement without its minimal case', (d) => delete disagreed(d).counterexample],
      ['a disagreement without its replay command', (d) => delete disagreed(d).replay],
      ['an unknown kind of disagreement', (d) => (disagreed(d).disagreement.kind = 'vibes')],
      ['a NaN written as null', (d) => (disagreed(d).disagreement.values.wasm = null)],
      ['a histogram without a bucket', (d) => delete disagreed(d).stats.wasm.histogram['>256']],
      ['an unsupported property without its kernel', (d) => delete d.properties.find((x: any) => x.status === 'unsupported').unsupported],
      ['an errored property without its error', (d) => delete d.properties.find((x: any) => x.status === 'errored').error],
      ['a bad tensor', (d) => (disagreed(d).counterexample.x.dtype = 'float64')],
      ['a bad path', (d) => (disagreed(d).path = 'a:b')],
      ['a negative count', (d) => (d.summary.disagreed = -1)],
    ];
    for (const [what, breakIt] of broken) {
      const d = structuredClone(doc);
      breakIt(d);
      expect(validate(d), what).toBe(false);
    }
  });

  it('`nanhunt diff --json` writes a document that validates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-diff-schema-'));
    const file = path.join(dir, 'diff.json');
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    const code = await diffCommand(['--backends', 'cpu,wasm', '--properties', FIXTURE, '--seed', '3', '--runs', '30', '--json', file], io);
    expect(lines.filter((l) => l.startsWith('ERR'))).toEqual([]);
    expect(code).toBe(1); // the planted exp disagrees
    const written = JSON.parse(readFileSync(file, 'utf8')) as DiffDocument;
    expect(validate(written), errorsOf()).toBe(true);
    expect(written.summary).toEqual({ total: 3, agreed: 1, disagreed: 1, unsupported: 1, errored: 0 });
    expect(typeof written.generatedAt).toBe('string');
  });
});
