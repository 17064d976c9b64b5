/**
 * `nanhunt check --workers`: wall and CPU time of the whole catalog (or a `--filter`) with 1 and 2
 * worker counts (or `--workers 1,2,4`), each run as `nanhunt check --quiet --no-db --no-repro`
 * in a child process, and whether every run ends with the same final line and writes the same
 * nanhunt.json as the first, durations aside. Rounds alternate the order of the worker counts, so
 * the drift of a shared machine hits each alike; the load average is printed at the start and the
 * end (another process's work inflates wall time, less so CPU time).
 *
 *   npx tsx bench/workers.ts [--workers 1,2] [--backend cpu] [--filter text] [--runs n] [--rounds 1]
 *
 * `npm run bench` runs it too (figure `workers`: the catalog with 1 and 2 workers; `--quick`: a
 * small filter with few runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/nanhunt.js');

export interface WorkersRun {
  readonly workers: number;
  readonly round: number;
  readonly wallMs: number;
  /** The child's user + system CPU time (Linux: from /proc; undefined elsewhere). */
  readonly cpuMs: number | undefined;
  readonly exitCode: number | null;
  readonly finalLine: string;
  /** nanhunt.json without durations and dates. */
  readonly report: string;
}

/** CPU time of this process's waited-for children so far, in ms (Linux), else undefined. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 16 and 17 of stat (cutime, cstime), counted from the state field (3): indices 13, 14
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // clock ticks: 100 per second on Linux
  } catch {
    return undefined;
  }
}

/** One `nanhunt check` of the selection with `workers` worker threads. */
export function runCheck(workers: number, round: number, options: { backend?: string; filter?: string; runs?: number } = {}): WorkersRun {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-bench-workers-'));
  try {
    const args = [BIN, 'check', '--quiet', '--no-db', '--no-repro', '--reports', reports, '--workers', String(workers)];
    if (options.backend) args.push('--backend', options.backend);
    if (options.filter) args.push('--filter', options.filter);
    if (options.runs !== undefined) args.push('--runs', String(options.runs));
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 });
    const wallMs = performance.now() - t0;
    const cpu1 = childrenCpuMs();
    let report = '';
    try {
      const strip = (k: string, v: unknown) => (k === 'durationMs' || k === 'generatedAt' ? undefined : v);
      report = JSON.stringify(JSON.parse(readFileSync(path.join(reports, 'nanhunt.json'), 'utf8'), strip));
    } catch {
      report = `(no report: ${(r.stderr ?? '').trim().split('\n')[0] ?? ''})`;
    }
    return {
      workers,
      round,
      wallMs,
      cpuMs: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
      exitCode: r.status,
      finalLine: (r.stdout ?? '').trimEnd().split('\n').at(-1) ?? '',
      report,
    };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

/** The runs as a table; the last column compares each run's report with the first run's. */
export function formatWorkers(runs: readonly WorkersRun[]): string {
  const first = runs[0];
  const lines = ['workers  round  wall s  CPU s  exit  same report  final line'];
  for (const r of runs) {
    const cpu = r.cpuMs === undefined ? 'n/a' : (r.cpuMs / 1000).toFixed(1);
    lines.push(
      `${String(r.workers).padStart(7)}  ${String(r.round).padStart(5)}  ${(r.wallMs / 1000).toFixed(1).padStart(6)}  ${cpu.padStart(5)}  ${String(r.exitCode).padStart(4)}  ${(r.report === first?.report ? 'yes' : 'NO').padStart(11)}  ${r.finalLine}`,
    );
  }
  return lines.join('\n');
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const counts = (arg('workers') ?? '1,2').split(',').map(Number);
  const rounds = Number(arg('rounds') ?? 1);
  const backend = arg('backend');
  const filter = arg('filter');
  const runs = arg('runs') !== undefined ? Number(arg('runs')) : undefined;
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
  console.log(`nanhunt check --workers bench · node ${process.version} · ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${load()} at the start`);
  console.log(
    `selection: ${filter ? `--filter ${filter}` : 'the catalog'} on ${backend ?? 'cpu'}${runs !== undefined ? `, --runs ${runs}` : ''}, ${rounds} round(s)`,
  );
  const all: WorkersRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? counts : [...counts].reverse();
    for (const n of order)
      all.push(runCheck(n, round, { ...(backend ? { backend } : {}), ...(filter ? { filter } : {}), ...(runs !== undefined ? { runs } : {}) }));
  }
  console.log('');
  console.log(formatWorkers(all));
  console.log('');
  console.log(`load average ${load()} at the end`);
}
