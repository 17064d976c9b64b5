// Regenerates the findings table of docs/catalog.md from fresh reports: runs `nanhunt check` on each
// backend (default cpu and wasm; e.g. `npm run catalog:findings -- cpu wasm node`), seed 0, no
// failure database, and writes every finding with its minimal input. An argument `backend=report.json`
// takes that backend's findings from a report already written by `nanhunt check` or `nanhunt
// baseline` at seed 0 (e.g. `npm run catalog:findings -- cpu=reports/nanhunt.json`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CATALOG_DOC_FILE } from '../src/catalog/docs.ts';
import { findingsOf, updateFindings, type ReportDocument } from '../src/catalog/findings.ts';

const backends = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['cpu', 'wasm'];
const bin = path.resolve(import.meta.dirname, '../bin/nanhunt.js');
const docs: ReportDocument[] = [];
for (const arg of backends) {
  const [backend, given] = arg.split('=') as [string, string | undefined];
  if (given !== undefined) {
    const doc = JSON.parse(readFileSync(given, 'utf8')) as ReportDocument;
    if (doc.backend !== backend) throw new Error(`${given} is a report of backend ${doc.backend}, not ${backend}`);
    docs.push(doc);
    console.log(`${backend}: ${findingsOf(doc).length} findings (from ${given})`);
    continue;
  }
  const dir = mkdtempSync(path.join(tmpdir(), `nanhunt-findings-${backend}-`));
  try {
    const run = spawnSync(process.execPath, [bin, 'check', '--backend', backend, '--seed', '0', '--no-db', '--no-repro', '--quiet', '--reports', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (run.status === 2 || run.status === null) throw new Error(`nanhunt check --backend ${backend} failed (exit ${run.status})`);
    const doc = JSON.parse(readFileSync(path.join(dir, 'nanhunt.json'), 'utf8')) as ReportDocument;
    docs.push(doc);
    console.log(`${backend}: ${findingsOf(doc).length} findings`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
writeFileSync(CATALOG_DOC_FILE, updateFindings(readFileSync(CATALOG_DOC_FILE, 'utf8'), docs));
console.log(`${path.relative(process.cwd(), CATALOG_DOC_FILE)}: findings of ${backends.map((b) => b.split('=')[0]).join(', ')}`);
