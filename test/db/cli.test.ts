// The failure database through the real CLI: check saves, the next check runs the saved case
// first, a fix (NANHUNT_FIXTURE_FIXED=1 switches the fixture's subject) passes and keeps the case
// until `db prune`; `replay` exits 1 / 0 / 2; corrupt files are warnings, never fatal.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { main } from '../../src/cli/main.ts';
import { VERSION } from '../../src/core/version.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');
const FIXTURE = 'test/fixtures/repro/props.ts';

function nanhunt(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', NANHUNT_FIXTURE_FIXED: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The CLI in this process (fast; for the many exit-2 cases). */
async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-cli-db-'));
  const db = path.join(dir, 'db');
  const check = (filter: string, ...more: string[]) => [
    'check',
    '--properties',
    FIXTURE,
    '--filter',
    filter,
    '--runs',
    '50',
    '--db',
    db,
    '--repro',
    path.join(dir, 'repro'),
    '--reports',
    path.join(dir, 'reports'),
    ...more,
  ];
  const files = () => (existsSync(db) ? readdirSync(db).filter((f) => f.endsWith('.json')) : []);
  return { dir, db, check, files };
}

describe('failure database through the CLI', () => {
  it('save → the next run replays the saved case first → fix → it passes and is kept until pruned', () => {
    const w = workspace();
    const FIXED = { NANHUNT_FIXTURE_FIXED: '1' };

    // 1. a failure is found, shrunk and saved
    const first = nanhunt(w.check('fixture log of probabilities'));
    expect(first.code).toBe(1);
    expect(first.err).toBe('');
    expect(w.files()).toHaveLength(1);
    const file = path.join(w.db, w.files()[0]!);
    expect(first.out).toContain(`saved: ${file} (replay: npx nanhunt replay ${file})`);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({
      nanhunt: 'failure',
      property: 'fixture log of probabilities',
      status: 'failing',
      failure: { kind: 'violation', invariant: 'finite', message: 'output is -Infinity' },
      inputs: { p: { $tensor: true, shape: [1], dtype: 'float32', values: [0] } },
      environment: { backend: 'cpu', tfjs: tf.version.tfjs, nanhunt: VERSION },
      globalSeed: 0,
      origin: { file: FIXTURE, export: 'logOfProbabilities' },
      provenance: { bornIn: 'Log', chain: ['Log'] },
    });
    expect(record.path).toMatch(/^\d+(:\d+)*$/);
    expect(first.out).toMatch(/after (\d+) runs/);
    expect(Number(/after (\d+) runs/.exec(first.out)![1])).toBeGreaterThan(1);

    // 2. the next run (another seed: generation would differ) runs the saved case first: fails at run 1
    const second = nanhunt(w.check('fixture log of probabilities', '--seed', '99'));
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/✗ fixture log of probabilities — finite: output is -Infinity \(after 1 run, 0 shrinks/);
    expect(second.out).toContain('a saved failure, run first: it still fails');
    expect(second.out).toContain('failure database');
    expect(w.files()).toHaveLength(1);

    // 3. the fix: the saved case passes, then 50 generated cases; the file is kept, marked fixed
    const fixed = nanhunt(w.check('fixture log of probabilities'), FIXED);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/✓ fixture log of probabilities \(51 runs/);
    expect(fixed.out).toMatch(/1 saved case run first \(1 now passes: kept, marked fixed, until 'npx nanhunt db prune'\)/);
    expect(w.files()).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ status: 'fixed', fixedAt: expect.any(String) });

    // 4. replay: 0 when fixed, 1 with the same report as check when it still fails
    const replayFixed = nanhunt(['replay', file], FIXED);
    expect(replayFixed.code).toBe(0);
    expect(replayFixed.out).toMatch(/✓ fixed: 'fixture log of probabilities' passes on the saved case on backend cpu/);
    const replayBroken = nanhunt(['replay', file]);
    expect(replayBroken.code).toBe(1);
    expect(replayBroken.out).toContain("Property 'fixture log of probabilities' failed on backend cpu after 1 run and 0 shrinks");
    expect(replayBroken.out).toContain('p: Tensor float32 [1] [0]');
    expect(replayBroken.out).toContain('first non-finite value born in kernel #0 Log(x=[1] 0) -> [1] -Infinity');
    expect(replayBroken.out).toContain(`replay: npx nanhunt replay ${file}`);
    expect(replayBroken.out).not.toContain('note:'); // same backend and versions

    // 5. db list shows it; prune keeps what still fails, removes what passes
    const list = nanhunt(['db', 'list', '--db', w.db]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/1 saved failure\n\s+fixed\s+fixture log of probabilities — finite: output is -Infinity, born in Log/);
    const keep = nanhunt(['db', 'prune', '--db', w.db]);
    expect(keep.out).toMatch(/kept .*'fixture log of probabilities' still fails on cpu/);
    expect(w.files()).toHaveLength(1);
    const prune = nanhunt(['db', 'prune', '--db', w.db], FIXED);
    expect(prune.code).toBe(0);
    expect(prune.out).toMatch(/removed .*: 'fixture log of probabilities' now passes on cpu\n1 removed, 0 kept/);
    expect(w.files()).toHaveLength(0);
  }, 120_000);

  it('replay exits 2 with one line for a missing, unreadable, malformed or foreign file, or a property it cannot load', async () => {
    const w = workspace();
    const saved = await inProcess(...w.check('fixture zero times exp'));
    expect(saved.code).toBe(1);
    const good = path.join(w.db, w.files()[0]!);
    const text = readFileSync(good, 'utf8');
    const json = JSON.parse(text);
    const write = (name: string, content: string) => {
      const f = path.join(w.dir, name);
      writeFileSync(f, content);
      return f;
    };
    const cases: [string, RegExp][] = [
      [path.join(w.dir, 'missing.json'), /cannot replay .*missing\.json: no such file$/],
      [w.dir, /cannot replay .*: is a directory, not a failure file$/],
      [write('truncated.json', text.slice(0, 200)), /cannot replay .*truncated\.json: not valid JSON .*truncated or corrupt$/],
      [write('foreign.json', '{"compilerOptions": {}}'), /cannot replay .*foreign\.json: not a nanhunt failure file/],
      [write('no-seed.json', JSON.stringify({ ...json, seed: 'x' })), /malformed failure file: "seed" must be an integer$/],
      [
        write('renamed.json', JSON.stringify({ ...json, property: 'no such property' })),
        /no property named 'no such property' in .*props\.ts \(renamed or removed\?\)$/,
      ],
      [
        write('moved.json', JSON.stringify({ ...json, origin: { file: 'nowhere/props.ts' } })),
        /cannot find the module of 'fixture zero times exp' .*pass --properties/,
      ],
      [
        write('vitest.json', JSON.stringify({ ...json, origin: { test: 'my test', file: 'a.test.ts' } })),
        /saved by the vitest test 'my test' in a\.test\.ts: run that test again/,
      ],
    ];
    for (const [file, message] of cases) {
      const r = await inProcess('replay', file);
      expect(r.code, file).toBe(2);
      expect(r.err.split('\n'), file).toHaveLength(1);
      expect(r.err, file).toMatch(message);
      expect(r.out, file).toBe('');
    }
    // --properties finds a moved property
    const moved = await inProcess('replay', path.join(w.dir, 'moved.json'), '--properties', FIXTURE);
    expect(moved.code).toBe(1);
    // usage errors are exit 2 as well; and a real process exits 2
    expect((await inProcess('replay')).code).toBe(2);
    expect((await inProcess('replay', good, good)).code).toBe(2);
    const spawned = nanhunt(['replay', path.join(w.dir, 'missing.json')]);
    expect(spawned.code).toBe(2);
    expect(spawned.err.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('a failure recorded on another backend or version says so before replaying', async () => {
    const w = workspace();
    await inProcess(...w.check('fixture zero times exp'));
    const good = path.join(w.db, w.files()[0]!);
    const json = JSON.parse(readFileSync(good, 'utf8'));
    const other = path.join(w.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...json, environment: { ...json.environment, backend: 'wasm', tfjs: '4.0.0', nanhunt: '0.0.1' } }));

    const onWasm = await inProcess('replay', other); // default: the recorded backend
    expect(onWasm.code).toBe(1);
    expect(onWasm.out).toContain('backend wasm · replaying');
    const notes = onWasm.out.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes).toEqual([`note: recorded with tfjs 4.0.0, this is tfjs ${tf.version.tfjs}`, `note: recorded with nanhunt 0.0.1, this is nanhunt ${VERSION}`]);
    expect(onWasm.out.indexOf('note: ')).toBeLessThan(onWasm.out.indexOf("Property 'fixture zero times exp' failed on backend wasm"));
    expect(onWasm.out).toContain('NaN born in kernel #2 Multiply');

    const onCpu = await inProcess('replay', other, '--backend', 'cpu');
    expect(onCpu.out).toContain('note: recorded on backend wasm, replaying on cpu');
    expect(onCpu.out.indexOf('note: recorded on backend')).toBeLessThan(onCpu.out.indexOf("Property 'fixture zero times exp' failed"));
    await inProcess('replay', good); // back on cpu for the other tests
  }, 60_000);

  it("a case saved on another backend does not run first: the gate's verdict stays the fresh one; one that fails here too is reported, not counted", async () => {
    const w = workspace();
    const saved = (backend: string) => ({
      nanhunt: 'failure',
      format: 1,
      property: 'fixture reciprocal away from 0',
      status: 'failing',
      failure: { kind: 'violation', invariant: 'finite', message: 'output is +Infinity' },
      inputs: { x: { $tensor: true, shape: [1], dtype: 'float32', values: [0] } },
      environment: { backend, tfjs: tf.version.tfjs, nanhunt: VERSION },
      seed: 1,
      runs: 1,
      shrinks: 0,
      origin: { file: FIXTURE, export: 'reciprocalAwayFromZero' },
      firstSeen: '2026-12-01T00:00:00.000Z',
      lastSeen: '2026-12-01T00:00:00.000Z',
    });
    mkdirSync(w.db, { recursive: true });
    const wasmFile = path.join(w.db, 'saved-on-wasm.json');
    writeFileSync(wasmFile, JSON.stringify(saved('wasm')));
    // cpu: the generated cases pass; the wasm case, replayed after, fails here too: said, not counted
    const cpu = await inProcess(...w.check('fixture reciprocal away from 0'));
    expect(cpu.code).toBe(0);
    expect(cpu.out).toContain('✓ fixture reciprocal away from 0 (50 runs');
    expect(cpu.out).toContain("'fixture reciprocal away from 0' passed here, but a case saved on backend wasm fails on cpu too: finite: output is +Infinity");
    expect(cpu.out).toContain(`(reached only through that saved case, so the gate does not count it; replay: npx nanhunt replay ${wasmFile} --backend cpu)`);
    expect(cpu.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
    // the wasm case is left as it was: still failing, still wasm's; nothing saved for cpu
    expect(JSON.parse(readFileSync(wasmFile, 'utf8'))).toMatchObject({ status: 'failing', environment: { backend: 'wasm' } });
    expect(w.files()).toEqual(['saved-on-wasm.json']);
    // the same case saved on cpu runs first on cpu, as before: the bug fails at run 1
    writeFileSync(path.join(w.db, 'saved-on-cpu.json'), JSON.stringify(saved('cpu')));
    const again = await inProcess(...w.check('fixture reciprocal away from 0'));
    expect(again.code).toBe(1);
    expect(again.out).toContain('a saved failure, run first: it still fails');
  }, 60_000);

  it('a corrupt or foreign file in the database is a warning on stderr; check still runs and saves', async () => {
    const w = workspace();
    const first = await inProcess(...w.check('fixture zero times exp'));
    const good = w.files()[0]!;
    writeFileSync(path.join(w.db, 'corrupt.json'), readFileSync(path.join(w.db, good), 'utf8').slice(0, 50));
    writeFileSync(path.join(w.db, 'package.json'), '{"name": "not ours"}');
    copyFileSync(path.join(w.db, good), path.join(w.db, 'renamed-copy.json')); // a shared file under another name still counts
    const r = await inProcess(...w.check('fixture zero times exp'));
    expect(first.code).toBe(1);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nanhunt: skipping .*corrupt\.json in the failure database: not valid JSON/);
    expect(r.err).toMatch(/nanhunt: skipping .*package\.json in the failure database: not a nanhunt failure file/);
    expect(r.err.trim().split('\n')).toHaveLength(2);
    expect(r.out).toContain('2 saved cases run first');
    expect(r.out).toContain('a saved failure, run first: it still fails');
  }, 60_000);

  it('--no-db and NANHUNT_DATABASE=off neither run nor save failures; --db with --no-db is bad usage', async () => {
    const w = workspace();
    const args = w.check('fixture zero times exp').filter((a, i, all) => a !== '--db' && all[i - 1] !== '--db');
    const previous = process.env.NANHUNT_DATABASE;
    try {
      delete process.env.NANHUNT_DATABASE;
      const off = await inProcess(...args, '--no-db');
      expect(off.code).toBe(1);
      expect(off.out).not.toContain('saved:');
      process.env.NANHUNT_DATABASE = 'off';
      const env = await inProcess(...args);
      expect(env.code).toBe(1);
      expect(env.out).not.toContain('saved:');
      process.env.NANHUNT_DATABASE = w.db;
      const toEnvDir = await inProcess(...args);
      expect(toEnvDir.out).toContain(`saved: ${w.db}`);
    } finally {
      if (previous === undefined) delete process.env.NANHUNT_DATABASE;
      else process.env.NANHUNT_DATABASE = previous;
    }
    const bad = await inProcess(...w.check('fixture zero times exp'), '--no-db');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--db and --no-db cannot be used together');
  }, 60_000);

  it('db prune --dry-run deletes nothing; --all deletes every saved failure (and leftover temporary files) without re-running', async () => {
    const w = workspace();
    await inProcess(...w.check('fixture zero times exp'));
    await inProcess(...w.check('fixture log of probabilities'));
    expect(w.files()).toHaveLength(2);
    writeFileSync(path.join(w.db, `.x.json.1073741824.0badf00d.tmp`), '{"nanh'); // a dead writer's leftover
    const dry = await inProcess('db', 'prune', '--db', w.db, '--all', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/2 would remove, 0 kept; 1 temporary file of interrupted writes would be removed/);
    expect(readdirSync(w.db)).toHaveLength(3);
    const filtered = await inProcess('db', 'list', '--db', w.db, '--filter', 'zero times');
    expect(filtered.out).toMatch(/^failure database .*: 1 saved failure\n\s+failing\s+fixture zero times exp — finite: output is NaN, born in Exp/);
    const all = await inProcess('db', 'prune', '--db', w.db, '--all');
    expect(all.out).toMatch(/2 removed, 0 kept; 1 temporary file of interrupted writes removed/);
    expect(readdirSync(w.db)).toEqual([]);
    expect((await inProcess('db')).code).toBe(2);
    expect((await inProcess('db', 'frobnicate')).err).toMatch(/unknown db subcommand 'frobnicate'/);
  }, 60_000);
});
