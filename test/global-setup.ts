// The suite never writes into the repository's reports/ or .nanhunt/ (a user's reports and failure
// database live there): tests write into temporary directories. This checks it for the whole run.
// Those temporary directories live under one directory per run (TMPDIR, inherited by the test
// workers and every process they start), removed when the run ends: a run leaves nothing in /tmp.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const GUARDED = ['reports', '.nanhunt'];

/** Every file and directory under the guarded folders, with its size and modification time. */
function snapshot(): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (rel: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path.join(ROOT, rel));
    } catch {
      return;
    }
    seen.set(rel, st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const name of readdirSync(path.join(ROOT, rel))) walk(path.join(rel, name));
  };
  for (const dir of GUARDED) walk(dir);
  return seen;
}

export default function setup(): () => void {
  const before = snapshot();
  const runTmp = mkdtempSync(path.join(tmpdir(), 'nanhunt-test-run-'));
  process.env.TMPDIR = runTmp;
  return () => {
    rmSync(runTmp, { recursive: true, force: true });
    const after = snapshot();
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p) && after.get(p) !== 'dir');
    if (changed.length === 0) return;
    // vitest reports an error thrown here but keeps exit code 0: set it
    console.error(`the test suite wrote into the repository's ${GUARDED.join(' or ')}: ${changed.sort().join(', ')}`);
    process.exitCode = 1;
  };
}
