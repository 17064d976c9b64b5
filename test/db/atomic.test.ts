// Atomic writes of failure files under simulated and real crashes: a reader sees the old file or
// the new one, never a partial one; leftovers of interrupted writes are skipped and pruned.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isStaleTemp, isTempFile, writeAtomic } from '../../src/core/atomic.ts';
import { runProperty } from '../../src/index.ts';
import { openFailureDatabase, readFailureFile } from '../../src/db/index.ts';
import { logOfProbabilities } from '../fixtures/repro/props.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WRITER = path.join(ROOT, 'test/fixtures/repro/_crash-writer.ts');

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'nanhunt-atomic-'));
}

/** Run the crash writer; resolve when it has printed `saved <after>` (then kill it after `delayMs`) or died. */
function runWriter(dir: string, mode: string | undefined, after: number, delayMs: number): Promise<{ saves: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, ...(mode ? [mode] : [])], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (new RegExp(`saved ${after}\\n`).test(out)) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (!out.includes('saved 0')) reject(new Error(`the writer did not start: ${err}`));
      else resolve({ saves: out.trim().split('\n').length, signal });
    });
  });
}

describe('atomic failure files', () => {
  it('a write that throws midway leaves the previous file intact and no temporary file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.json');
    writeAtomic(file, '{"old": true}\n');
    expect(() =>
      writeAtomic(file, '{"new": true}\n', {
        afterWrite: (tmp) => {
          // the new text is complete in the temporary file, but the writer "crashes" before the rename
          expect(readFileSync(tmp, 'utf8')).toBe('{"new": true}\n');
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(readFileSync(file, 'utf8')).toBe('{"old": true}\n');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a rename that fails (the target is a directory) throws and cleans up its temporary file', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'b.json'));
    writeFileSync(path.join(dir, 'b.json', 'keep'), 'x');
    expect(() => writeAtomic(path.join(dir, 'b.json'), '{}')).toThrow();
    expect(readdirSync(dir)).toEqual(['b.json']);
  });

  it('a partial temporary file left by a dead writer is reported, skipped, and removed by prune', () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const db = openFailureDatabase(dir, { warn: (m) => warnings.push(m) });
    const saved = db.save(runProperty(logOfProbabilities, { seed: 2, runs: 100 }))!;
    const text = readFileSync(saved.file, 'utf8');
    // pid 2^30 cannot exist (Linux pid_max is at most 2^22): the writer is gone
    const dead = path.join(dir, `.${path.basename(saved.file)}.1073741824.0badf00d.tmp`);
    writeFileSync(dead, text.slice(0, 100));
    // a temporary file of a write in progress (this process): neither reported nor removed
    const live = path.join(dir, `.other.json.${process.pid}.12345678.tmp`);
    writeFileSync(live, '{');
    expect(isTempFile(path.basename(dead)) && isTempFile(path.basename(live))).toBe(true);
    expect(isStaleTemp(dead)).toBe(true);
    expect(isStaleTemp(live)).toBe(false);

    expect(db.load(logOfProbabilities.name).map((s) => s.file)).toEqual([saved.file]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipping .*\.tmp in the failure database: a temporary file left by an interrupted write/);
    const pruned = db.prune(() => false);
    expect(pruned.temporaries).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual([path.basename(live), path.basename(saved.file)].sort());

    // an old temporary file of a live pid (a hung writer) is stale after a minute
    const old = new Date(Date.now() - 120_000);
    utimesSync(live, old, old);
    expect(isStaleTemp(live)).toBe(true);
  });

  it('a writer killed between writing and renaming (SIGKILL) leaves the previous file readable', async () => {
    const dir = tempDir();
    const { signal } = await runWriter(dir, 'die-before-rename', Infinity, 0);
    expect(signal).toBe('SIGKILL');
    const files = readdirSync(dir);
    const json = files.filter((f) => f.endsWith('.json'));
    expect(json).toHaveLength(1);
    expect(files.filter((f) => isTempFile(f))).toHaveLength(1); // the orphaned new version
    const saved = readFailureFile(path.join(dir, json[0]!));
    expect(saved.record.runs).toBe(0); // the previous complete version
    const warnings: string[] = [];
    const db = openFailureDatabase(dir, { warn: (m) => warnings.push(m) });
    expect(db.list()).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/temporary file left by an interrupted write/);
    expect(db.prune(() => false).temporaries).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(json);
  }, 60_000);

  it('a reader never sees a partial file while another process rewrites it, nor after that process is killed', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    while (!out.includes('saved 0')) await new Promise((r) => setTimeout(r, 20));
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);
    // read as fast as possible while the writer rewrites the file (a 400 kB file)
    let reads = 0;
    const partial: string[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const text = readFileSync(file, 'utf8');
      reads++;
      try {
        JSON.parse(text);
      } catch {
        partial.push(`${text.length} bytes`);
      }
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const saves = out.trim().split('\n').length;
    expect(saves).toBeGreaterThanOrEqual(4); // the file really was rewritten while being read
    expect(reads).toBeGreaterThanOrEqual(20);
    expect(partial).toEqual([]);
    const saved = readFailureFile(file); // and after the kill: complete
    expect(saved.record.runs).toBeGreaterThanOrEqual(saves - 2);
    expect((saved.inputs as { x: { data: Float32Array } }).x.data).toHaveLength(20_000);
  }, 60_000);
});
