// The failure database as a library: save → load → run first → fixed → prune, corrupt and foreign
// files, and file contents. Real tfjs kernels (cpu backend), real files in a temporary directory.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { probabilities, property, runProperty, tensor, tensorValue, type PropertyResult } from '../../src/index.ts';
import { openFailureDatabase } from '../../src/db/index.ts';
import { zeroTimesExp } from '../fixtures/repro/props.ts';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'nanhunt-db-'));
}

function collect(): { warn: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { warn: (m) => lines.push(m), lines };
}

const inputs = { p: tensor({ shape: { maxRank: 1, maxSize: 8 }, elements: probabilities() }) };
const buggy = property({ name: 'db test: log', inputs, subject: ({ p }) => tf.log(p) });
const fixedVersion = property({ name: 'db test: log', inputs, subject: ({ p }) => tf.log(tf.maximum(p, 1e-30)) });

describe('failure database', () => {
  it('replaces a saved case that failed again and shrank further by the smaller case', () => {
    const dir = tempDir();
    const db = openFailureDatabase(dir, { warn: () => {} });
    // a saved case that is not minimal: 3 elements, one zero
    const big = { p: tensorValue([3], [0.5, 0, 0.25]) };
    const first = runProperty(buggy, { seed: 3, runs: 1, examples: [big], provenance: false });
    expect(first.example).toBe(0);
    // the saved file as an older session would have written it, with the unshrunk case
    const older = db.save({ ...first, counterexample: big }, { property: buggy })!;
    expect(readdirSync(dir)).toEqual([path.basename(older.file)]);
    const loaded = db.load(buggy.name);
    const again = runProperty(buggy, { seed: 3, runs: 10, examples: loaded.map((l) => l.inputs), provenance: false });
    expect(again.example).toBe(0);
    expect(String((again.counterexample as { p: unknown }).p)).toBe("tensor([0], [1], 'float32')");
    const written = db.recordRun(again, loaded, { property: buggy })!;
    expect(readdirSync(dir)).toEqual([path.basename(written.file)]);
    expect(written.file).not.toBe(older.file);
  });

  it('save → the next run replays the saved case first → fix → it passes and is kept until pruned', () => {
    const dir = tempDir();
    const { warn, lines } = collect();
    const db = openFailureDatabase(dir, { warn });
    expect(db.load(buggy.name)).toEqual([]); // the directory does not exist yet: empty, no error

    const first = runProperty(buggy, { seed: 7, runs: 100 });
    expect(first.status).toBe('failed');
    expect(first.runs).toBeGreaterThan(1);
    const saved = db.save(first, { property: buggy, globalSeed: 0 })!;
    expect(saved.status).toBe('failing');
    expect(readdirSync(dir)).toEqual([path.basename(saved.file)]);

    // next run: the saved case runs first and fails at once (run 1, nothing to shrink)
    const loaded = db.load(buggy.name);
    expect(loaded).toHaveLength(1);
    const second = runProperty(buggy, { seed: 12345, runs: 100, examples: loaded.map((s) => s.inputs) });
    expect(second.status).toBe('failed');
    expect(second.example).toBe(0);
    expect(second.path).toBeUndefined();
    expect(second.runs).toBe(1);
    expect(String((second.counterexample as { p: unknown }).p)).toBe(String((first.counterexample as { p: unknown }).p));
    db.recordRun(second, loaded, { property: buggy });
    expect(readdirSync(dir)).toHaveLength(1); // the same case: the same file

    // the fix: the saved case passes, then the generated cases run too; the file is kept, marked fixed
    const third = runProperty(fixedVersion, { seed: 1, runs: 30, examples: db.examples(buggy.name) });
    expect(third.status).toBe('passed');
    expect(third.runs).toBe(31); // 1 saved case + 30 generated
    db.recordRun(third, db.load(buggy.name));
    const after = db.load(buggy.name);
    expect(after).toHaveLength(1);
    expect(after[0]!.status).toBe('fixed');
    expect(after[0]!.record.fixedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // prune (default: fixed ones) removes it
    const pruned = db.prune();
    expect(pruned.removed.map((f) => f.property)).toEqual([buggy.name]);
    expect(readdirSync(dir)).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('writes the inputs as values (-0, NaN, Infinity exact), seed, path, backend, versions, origin, failure and provenance', () => {
    const dir = tempDir();
    const db = openFailureDatabase(dir, { warn: () => {} });
    const r = runProperty(zeroTimesExp, { seed: 3, runs: 100 });
    expect(r.status).toBe('failed');
    const saved = db.save(r, { property: zeroTimesExp, origin: { file: 'test/fixtures/repro/props.ts', export: 'zeroTimesExp' }, globalSeed: 4 })!;
    const json = JSON.parse(readFileSync(saved.file, 'utf8'));
    expect(json).toMatchObject({
      nanhunt: 'failure',
      format: 1,
      property: 'fixture zero times exp',
      status: 'failing',
      failure: { kind: 'violation', invariant: 'finite', message: 'output is NaN' },
      inputs: { x: { $tensor: true, shape: [1], dtype: 'float32' } },
      environment: { backend: 'cpu', tfjs: tf.version.tfjs, nanhunt: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      seed: r.seed,
      globalSeed: 4,
      path: r.path,
      origin: { file: 'test/fixtures/repro/props.ts', export: 'zeroTimesExp' },
      provenance: { bornIn: 'Exp', nanBornIn: 'Multiply', chain: ['ZerosLike', 'Exp', 'Multiply'] },
    });
    expect(json.provenance.born.text).toMatch(/^Exp\(x=\[1\] \d+(\.\d+)?\) -> \[1\] Infinity$/);
    expect(json.provenance.nanBorn.inputs.b).toMatchObject({ posInf: 1, nan: 0 });

    // special values survive the round trip exactly
    const special = { t: tensorValue([4], [-0, NaN, Infinity, -Infinity]), lr: -0, n: NaN };
    const fake: PropertyResult = { ...r, name: 'db test: specials', counterexample: special };
    const s2 = db.save(fake)!;
    const back = db.load('db test: specials')[0]!.inputs as typeof special;
    expect(Array.from(back.t.data)).toEqual([-0, NaN, Infinity, -Infinity]);
    expect(Object.is(Array.from(back.t.data)[0], -0)).toBe(true);
    expect(Object.is(back.lr, -0)).toBe(true);
    expect(back.n).toBeNaN();
    expect(readFileSync(s2.file, 'utf8')).toContain('"values": ["-0", "NaN", "Infinity", "-Infinity"]');
  });

  it('keeps one file per minimal case, its first-seen time, and lists the most recently seen first', () => {
    const dir = tempDir();
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const db = openFailureDatabase(dir, {
      warn: () => {},
      now: () => {
        clock += 60_000;
        return new Date(clock);
      },
    });
    const r = runProperty(buggy, { seed: 7, runs: 100 });
    const a = db.save(r)!;
    const again = db.save(r)!;
    expect(again.file).toBe(a.file);
    expect(again.record.firstSeen).toBe(a.record.firstSeen);
    expect(again.record.lastSeen > a.record.lastSeen).toBe(true);
    const other = db.save({ ...r, counterexample: { p: tensorValue([2], [0, 0.5]) } })!;
    expect(other.file).not.toBe(a.file);
    expect(db.load(buggy.name).map((s) => s.file)).toEqual([other.file, a.file]);
    expect(db.list()).toHaveLength(2);
  });

  it('does not save a passing result, or a minimal case that did not fail again', () => {
    const db = openFailureDatabase(tempDir(), { warn: () => {} });
    const passed = runProperty(fixedVersion, { seed: 1, runs: 5 });
    expect(db.save(passed)).toBeUndefined();
    const flaky: PropertyResult = {
      ...runProperty(buggy, { seed: 7, runs: 100 }),
      status: 'errored',
      failure: { kind: 'error', stage: 'replay', message: 'the minimal case passed when run again' },
    };
    expect(db.save(flaky)).toBeUndefined();
    expect(db.list()).toEqual([]);
  });

  it('reports each corrupt or foreign file once (stderr warning) and skips it, never fatal', () => {
    const dir = tempDir();
    const { warn, lines } = collect();
    const db = openFailureDatabase(dir, { warn });
    const good = db.save(runProperty(buggy, { seed: 7, runs: 100 }))!;
    const text = readFileSync(good.file, 'utf8');
    writeFileSync(path.join(dir, 'truncated.json'), text.slice(0, text.length / 2));
    writeFileSync(path.join(dir, 'foreign.json'), JSON.stringify({ name: 'some other tool', version: 3 }));
    writeFileSync(path.join(dir, 'array.json'), '[1, 2, 3]');
    writeFileSync(path.join(dir, 'newer.json'), JSON.stringify({ ...JSON.parse(text), format: 99 }));
    writeFileSync(
      path.join(dir, 'bad-inputs.json'),
      JSON.stringify({ ...JSON.parse(text), inputs: { $tensor: true, shape: [2], dtype: 'float32', values: [1] } }),
    );
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    mkdirSync(path.join(dir, 'subdir'));

    expect(db.load(buggy.name).map((s) => s.file)).toEqual([good.file]);
    expect(db.load(buggy.name)).toHaveLength(1); // a second read warns no more
    const byFile = Object.fromEntries(db.problems().map((p) => [path.basename(p.file), p.reason]));
    expect(byFile['truncated.json']).toMatch(/^not valid JSON .*truncated or corrupt/);
    expect(byFile['foreign.json']).toMatch(/not a nanhunt failure file/);
    expect(byFile['array.json']).toMatch(/not a nanhunt failure file/);
    expect(byFile['newer.json']).toMatch(/newer nanhunt \(format 99/);
    expect(byFile['bad-inputs.json']).toMatch(/malformed failure file: "inputs" cannot be read back/);
    expect(byFile['notes.txt']).toMatch(/not a failure file/);
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^nanhunt: skipping .* in the failure database: /);

    // prune leaves files it does not own alone
    db.prune(() => true);
    expect(readdirSync(dir).sort()).toEqual(['array.json', 'bad-inputs.json', 'foreign.json', 'newer.json', 'notes.txt', 'subdir', 'truncated.json']);
  });

  it("after the first load reads every file, a load reads its own property's files, the renamed ones and those written since", () => {
    const dir = tempDir();
    const db = openFailureDatabase(dir, { warn: () => {} });
    const other = property({ name: 'db test: log, another property', inputs, subject: ({ p }) => tf.log(p) });
    const a = db.save(runProperty(buggy, { seed: 7, runs: 100 }), { property: buggy })!;
    const b = db.save(runProperty(other, { seed: 7, runs: 100 }), { property: other })!;
    // a failure file of `buggy` under a name of its own (copied in from a bug report)
    writeFileSync(path.join(dir, 'from-the-issue.json'), readFileSync(a.file));
    expect(db.load(other.name).map((s) => s.file)).toEqual([b.file]); // the first load: every file read
    expect(
      db
        .load(buggy.name)
        .map((s) => path.basename(s.file))
        .sort(),
    ).toEqual([path.basename(a.file), 'from-the-issue.json'].sort());
    // written by another process meanwhile: a new case of `buggy`, under its own name
    const bigger = { ...runProperty(buggy, { seed: 8, runs: 100 }), counterexample: { p: tensorValue([2], [0.5, 0]) } };
    const c = openFailureDatabase(dir, { warn: () => {} }).save(bigger, { property: buggy });
    expect(c?.file).not.toBe(a.file);
    expect(db.load(buggy.name).map((s) => s.file)).toContain(c!.file);
    expect(db.load(other.name).map((s) => s.file)).toEqual([b.file]);
  });

  it("writes a large tensor's values as lines of up to 160 columns, which read back exactly", () => {
    const db = openFailureDatabase(tempDir(), { warn: () => {} });
    const values = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0.1 * i : 0));
    const result = runProperty(buggy, { seed: 7, runs: 100 });
    const saved = db.save({ ...result, counterexample: { p: tensorValue([3000], values) } }, { property: buggy })!;
    const lines = readFileSync(saved.file, 'utf8').split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(160);
    expect(lines.length).toBeLessThan(300); // not one value a line
    const back = (db.load(buggy.name)[0]!.inputs as { p: { data: Float32Array } }).p;
    expect(Array.from(back.data)).toEqual(Array.from(Float32Array.from(values)));
    expect(Object.is(back.data[0], -0)).toBe(true);
  });

  it('a database path that is a file is an error of the directory, reported by name', () => {
    const dir = tempDir();
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const db = openFailureDatabase(file, { warn: () => {} });
    expect(() => db.load('x')).toThrow(/is not a directory/);
  });
});
