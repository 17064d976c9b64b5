import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { checkCommand } from '../../src/cli/check.ts';
import { evaluateGate } from '../../src/gate/gate.ts';
import { REPORT_SCHEMA_FILE, resultsDocument } from '../../src/report/json.ts';
import type { PropertyResult } from '../../src/property/runner.ts';
import { fixtureResults, unsupportedResult } from './fixture-results.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const info = { nanhunt: '0.1.0', tfjs: tf.version.tfjs, backend: 'cpu', seed: 0 };
let validate: ValidateFunction;
let results: PropertyResult[];

beforeAll(() => {
  const schema = JSON.parse(readFileSync(REPORT_SCHEMA_FILE, 'utf8'));
  // strict: the schema itself must use no unknown keywords or formats beyond date-time (strictRequired
  // would forbid the if/then requirements that refer to properties declared beside them)
  const ajv = new Ajv({
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    allErrors: true,
    formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ },
  });
  validate = ajv.compile(schema);
  results = fixtureResults();
});

const errorsOf = () => JSON.stringify(validate.errors, null, 1);
const roundTrip = (doc: unknown) => JSON.parse(JSON.stringify(doc));

describe('nanhunt.json and its schema', () => {
  it('is shipped with the package', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./schema/nanhunt.schema.json']).toBe('./schema/nanhunt.schema.json');
    expect(path.relative(ROOT, REPORT_SCHEMA_FILE)).toBe('schema/nanhunt.schema.json');
    // what npm would publish (package.json "files", .npmignore and .gitignore all apply) holds the schema
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('schema/nanhunt.schema.json');
  });

  it('a document with every kind of result validates, and carries the figures per property', () => {
    const all = [...results, unsupportedResult()];
    const gate = evaluateGate(all, { file: 'nanhunt.baseline.json', entries: [{ property: 'gate subject throws', error: 'subject', line: 5 }] });
    const doc = roundTrip(
      resultsDocument(info, all, {
        verdicts: gate.verdicts,
        generatedAt: '2025-01-02T03:04:05.678Z',
        gate: { baseline: 'nanhunt.baseline.json', strict: false, exitCode: gate.exitCode, new: 2, known: 1, fixed: [], inconclusive: [], notRun: 0 },
      }),
    );
    expect(validate(doc), errorsOf()).toBe(true);
    expect(doc.summary).toEqual({ total: 7, passed: 2, failed: 2, errored: 1, expectedFailures: 1, unsupported: 1 });
    const p = (name: string) => doc.properties.find((x: { name: string }) => x.name.includes(name));
    const exp = p('exp is finite');
    expect(exp).toMatchObject({ status: 'failed', verdict: 'new', backend: 'cpu', invariant: 'finite', firstNonFiniteKernel: 'Exp' });
    expect(exp.counterexample).toEqual({ x: { $tensor: true, shape: [1], dtype: 'float32', values: [89] } });
    expect(exp.path).toMatch(/^\d+(:\d+)*$/);
    expect(typeof exp.seed).toBe('number');
    expect(exp.runs).toBeGreaterThan(0);
    expect(exp.durationMs).toBeGreaterThan(0);
    const inaccurate = p('within 8 bits');
    expect(inaccurate.accuracy.ulps).toBeGreaterThan(255);
    expect(inaccurate.accuracy.bits).toBeGreaterThan(8);
    expect(Object.keys(inaccurate.accuracy).sort()).toEqual(['absError', 'bits', 'relError', 'ulps']);
    const measured = p('(measured)');
    expect(measured.status).toBe('passed');
    expect(measured.errorSummary.samples).toBeGreaterThan(100);
    expect(measured.errorSummary.maxBits).toBeGreaterThan(20); // log(1 + 1e-10) = 0 in float32: no correct bit
    expect(p('throws')).toMatchObject({ status: 'errored', verdict: 'known', error: { stage: 'subject' } });
    expect(p('example bug')).toMatchObject({ status: 'failed', expectedFailure: true, verdict: 'expected' });
    expect(p('unsupported')).toMatchObject({ status: 'unsupported', verdict: 'other' });
    // the log of -0 or a negative is non-finite: the location keeps NaN/-Infinity as strings, not null
    expect(JSON.stringify(doc)).not.toMatch(/:null\b/);
  });

  it('rejects documents that break it (so the validation above means something)', () => {
    const good = roundTrip(resultsDocument(info, results));
    expect(validate(good), errorsOf()).toBe(true);
    const broken: [string, (d: any) => void][] = [
      ['no properties', (d) => delete d.properties],
      ['a property without a name', (d) => delete d.properties[0].name],
      ['a failure without its invariant', (d) => delete d.properties.find((p: any) => p.status === 'failed').invariant],
      ['an error without its stage', (d) => delete d.properties.find((p: any) => p.status === 'errored').error],
      ['a bad tensor', (d) => (d.properties.find((p: any) => p.counterexample).counterexample.x.dtype = 'float64')],
      ['a non-finite number as null', (d) => (d.properties.find((p: any) => p.counterexample).counterexample.x.values = [null])],
      ['a bad path', (d) => (d.properties.find((p: any) => p.path).path = 'a:b')],
      ['a negative count', (d) => (d.summary.failed = -1)],
    ];
    for (const [what, breakIt] of broken) {
      const d = structuredClone(good);
      breakIt(d);
      expect(validate(d), what).toBe(false);
    }
  });

  it('`nanhunt check` writes reports/nanhunt.json (and --json) that validate', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-json-'));
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    const code = await checkCommand(
      [
        '--properties',
        path.join(ROOT, 'test/fixtures/gate/props.ts'),
        '--reports',
        dir,
        '--json',
        path.join(dir, 'copy.json'),
        '--runs',
        '40',
        '--no-db',
        '--no-repro',
      ],
      io,
    );
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe('2 passed, 1 expected failure, 3 failed'); // counted apart, as the HTML and JSON count it
    const doc = JSON.parse(readFileSync(path.join(dir, 'nanhunt.json'), 'utf8'));
    expect(validate(doc), errorsOf()).toBe(true);
    expect(doc.runs).toBe(40);
    // the repository's own nanhunt.baseline.json (cwd) lists catalog findings only: none of these is known
    expect(doc.gate).toMatchObject({ strict: false, exitCode: 1, new: 3, known: 0, fixed: [] });
    expect(doc.properties.map((p: any) => p.name).sort()).toEqual(results.map((r) => r.name).sort());
    expect(readFileSync(path.join(dir, 'copy.json'), 'utf8')).toBe(readFileSync(path.join(dir, 'nanhunt.json'), 'utf8'));
  });
});
