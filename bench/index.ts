/**
 * `npm run bench`: nanhunt's benchmarks. Prints a table of figures with the machine (cores, CPU,
 * Node, tfjs, backends, date, load average at start and end) and writes reports/bench.json.
 *
 *   npm run bench                               everything, on cpu and wasm
 *   npm run bench -- --only overhead,memory     some figures (overhead minimal detection memory reference workers scripts)
 *   npm run bench -- --backends cpu             one backend
 *   npm run bench -- --quick                    tiny settings: checks that everything runs (figures meaningless)
 *   npm run bench -- --out other.json           another JSON file
 *
 * Figures: 1 overhead (runs/s, nanhunt vs a hand-written fast-check loop), 2 time to a minimal
 * counterexample, 3 detection power (nanhunt's generators vs fc.float32Array()), 4 leaks and RSS
 * over 10,000 runs, 5 exact-reference cost, 6 the catalog with 1 and 2 worker threads
 * (bench/workers.ts; --quick: the 30 properties of --filter soft, 5 runs each); then the output of the other scripts of bench/
 * (bench/reference.ts, bench/training.ts, bench/guard.ts), run as they are. See each module for what is measured.
 * The script runs under `node --expose-gc` so memory readings follow a garbage collection.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { writeAtomic } from '../src/core/atomic.ts';
import { measureDetection, type DetectionRate, type DetectionRow } from './detection.ts';
import { clip, fmt, loadAverage, machineInfo, selectBackend, table, type MachineInfo } from './lib.ts';
import { measureMemory, RSS_GOAL, type MemoryRow } from './memory.ts';
import { measureMinimal, MINIMAL_GOAL_MS, type MinimalRow } from './minimal.ts';
import { BATCHED_GOAL, BATCHED_GOAL_MAX_ELEMENTS, measureOverhead, OVERHEAD_GOAL, OVERHEAD_SIZES, type OverheadRow } from './overhead.ts';
import { measureReferenceCost, type ReferenceCostRow } from './reference-cost.ts';
import { loadScenarios, type Scenario } from './scenarios.ts';
import { runScript, SCRIPTS, type ScriptResult } from './scripts.ts';
import { formatWorkers, runCheck, type WorkersRun } from './workers.ts';

export const FIGURES = ['overhead', 'minimal', 'detection', 'memory', 'reference', 'workers', 'scripts'] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  backends?: readonly string[];
  only?: readonly Figure[];
  /** Tiny settings: a smoke run (seconds), figures not meaningful. */
  quick?: boolean;
  /** Scenario ids to run (default all). */
  scenarios?: readonly string[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface Goal {
  figure: Figure;
  goal: string;
  met: boolean;
  detail: string;
}

export interface BenchReport {
  format: 'nanhunt-bench';
  version: 1;
  date: string;
  quick: boolean;
  machine: MachineInfo;
  backends: string[];
  load: { start: [number, number, number]; end: [number, number, number] };
  durationMs: number;
  overhead: OverheadRow[];
  minimal: MinimalRow[];
  detection: DetectionRow[];
  memory: MemoryRow[];
  reference: ReferenceCostRow[];
  /** `nanhunt check --workers 1` and `2` of the catalog on cpu (bench/workers.ts), each in a child process. */
  workers: WorkersFigure | undefined;
  /** The other scripts of bench/ (bench/reference.ts, bench/training.ts, bench/guard.ts), run as they are. */
  scripts: ScriptResult[];
  goals: Goal[];
}

/** Figure 6: the selection, and each run (its report compared with the first run's, not kept). */
export interface WorkersFigure {
  selection: string;
  runs: (Omit<WorkersRun, 'report'> & { sameReport: boolean })[];
}

const require = createRequire(import.meta.url);

function settings(quick: boolean) {
  return quick
    ? {
        overhead: { sizes: [16, 1024], rounds: 1, roundMs: 5 },
        minimal: { seeds: 1, trainingSeeds: 1 },
        detection: { seeds: 2, trainingSeeds: 1, runs: 10, timeLimitMs: 5000 },
        memory: { runs: 200, chunk: 100, warmup: 20 },
        reference: { rounds: 1, batchMs: 2, inputs: 2 },
        // a few properties with few runs: that the workers start, run and report alike
        workers: { filter: 'soft', runs: 5 } as { filter?: string; runs?: number },
      }
    : {
        overhead: { sizes: OVERHEAD_SIZES, rounds: 9, roundMs: 200 },
        minimal: { seeds: 5, trainingSeeds: 5 },
        detection: { seeds: 20, trainingSeeds: 20, runs: 100, timeLimitMs: 20_000 },
        memory: { runs: 10_000, chunk: 1000, warmup: 1000 },
        reference: { rounds: 5, batchMs: 150, inputs: 16 },
        workers: {} as { filter?: string; runs?: number },
      };
}

/** Run the benchmarks. Leaves the last backend used active. */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const loadStart = loadAverage();
  const quick = options.quick ?? false;
  const s = settings(quick);
  const backends = [...(options.backends ?? ['cpu', 'wasm'])];
  const only = new Set<Figure>(options.only ?? FIGURES);
  const log = options.log ?? (() => {});
  const report: BenchReport = {
    format: 'nanhunt-bench',
    version: 1,
    date: new Date().toISOString(),
    quick,
    machine: machineInfo(require('fast-check/package.json').version as string),
    backends,
    load: { start: loadStart, end: loadStart },
    durationMs: 0,
    overhead: [],
    minimal: [],
    detection: [],
    memory: [],
    reference: [],
    workers: undefined,
    scripts: [],
    goals: [],
  };
  let scenarios: Scenario[] = [];
  if (only.has('minimal') || only.has('detection')) {
    scenarios = await loadScenarios();
    if (options.scenarios) scenarios = scenarios.filter((x) => options.scenarios!.includes(x.id));
  }
  const step = (what: string) => log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${what}`);

  // Memory first, while the process is fresh (later figures allocate large tensors).
  if (only.has('memory')) {
    for (const b of backends) {
      await selectBackend(b);
      step(`memory: ${s.memory.runs} runs on ${b}`);
      report.memory.push(measureMemory({ backend: b, ...s.memory }));
    }
  }
  for (const b of backends) {
    await selectBackend(b);
    if (only.has('overhead')) {
      step(`overhead on ${b}`);
      report.overhead.push(...measureOverhead({ backend: b, ...s.overhead }));
    }
    if (only.has('minimal')) {
      for (const sc of scenarios) {
        step(`time to minimal: ${sc.title} on ${b}`);
        report.minimal.push(measureMinimal(sc, { backend: b, ...s.minimal }));
      }
    }
    // Detection depends on generators, not on the backend: measured on the first backend only.
    if (only.has('detection') && b === backends[0]) {
      for (const sc of scenarios) {
        step(`detection: ${sc.title} on ${b}`);
        report.detection.push(measureDetection(sc, { backend: b, ...s.detection }));
      }
    }
    if (only.has('reference')) {
      step(`reference cost on ${b}`);
      report.reference.push(...measureReferenceCost({ backend: b, ...s.reference }));
    }
  }
  // 1 and 2 worker threads over the catalog on cpu: child processes, after this process's own figures
  if (only.has('workers')) {
    const runs: WorkersRun[] = [];
    for (const n of [1, 2]) {
      step(`nanhunt check --workers ${n}${s.workers.filter ? ` --filter ${s.workers.filter}` : ''}`);
      runs.push(runCheck(n, 1, s.workers));
    }
    report.workers = {
      selection: `${s.workers.filter ? `--filter ${s.workers.filter}` : 'the catalog'} on cpu${s.workers.runs !== undefined ? `, --runs ${s.workers.runs}` : ''}`,
      runs: runs.map(({ report: text, ...r }) => ({ ...r, sameReport: text === runs[0]!.report })),
    };
  }
  // The other scripts have no smoke settings: a quick run skips them unless asked for by --only.
  if (only.has('scripts') && !(quick && !options.only?.includes('scripts'))) {
    for (const spec of SCRIPTS) {
      step(`script ${spec.script}`);
      report.scripts.push(runScript(spec));
    }
  }
  report.goals = goals(report);
  report.load.end = loadAverage();
  report.durationMs = performance.now() - started;
  return report;
}

function goals(r: BenchReport): Goal[] {
  const out: Goal[] = [];
  if (r.overhead.length > 0) {
    const worst = r.overhead.reduce((a, b) => (b.cpuRatio < a.cpuRatio ? b : a));
    const worstWall = r.overhead.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    out.push({
      figure: 'overhead',
      goal: `nanhunt >= ${OVERHEAD_GOAL}x the hand-written loop at every size (CPU-time ratio)`,
      met: r.overhead.every((x) => x.goalMet),
      detail: `lowest CPU-time ratio ${fmt(worst.cpuRatio)} (${worst.op} ${worst.elements} on ${worst.backend}); lowest wall ratio ${fmt(worstWall.ratio)} (${worstWall.op} ${worstWall.elements} on ${worstWall.backend})`,
    });
  }
  const judged = r.overhead.filter((x) => x.batchedGoalMet !== undefined);
  if (judged.length > 0) {
    const worst = judged.reduce((a, b) => (b.batchedCpuRatio < a.batchedCpuRatio ? b : a));
    out.push({
      figure: 'overhead',
      goal: `nanhunt with batching >= ${BATCHED_GOAL}x the hand-written loop for softmax at ${BATCHED_GOAL_MAX_ELEMENTS} elements or fewer on cpu (CPU-time ratio)`,
      met: judged.every((x) => x.batchedGoalMet),
      detail: `lowest CPU-time speedup ${fmt(worst.batchedCpuRatio)} (${worst.op} ${worst.elements}); wall ${fmt(worst.batchedRatio)}; the ceiling there (generation + one stacked call, no framework): ${fmt(worst.ceilingCpuRatio)}`,
    });
  }
  const cpuMinimal = r.minimal.filter((m) => m.backend === 'cpu' && !m.unavailable);
  if (cpuMinimal.length > 0) {
    const missed = cpuMinimal.filter((m) => !m.goalMet);
    out.push({
      figure: 'minimal',
      goal: `each naive scenario shrunk to its minimal case in < ${MINIMAL_GOAL_MS / 1000} s on cpu (median over seeds, CPU time)`,
      met: missed.length === 0,
      detail:
        missed.length === 0
          ? 'all met'
          : `missed: ${missed.map((m) => `${m.title} (median ${fmt(m.medianCpuMs / 1000)} s CPU, ${fmt(m.medianWallMs / 1000)} s wall${m.found < m.seeds ? `, found in ${m.found}/${m.seeds} seeds` : ''})`).join(', ')}`,
    });
  }
  if (r.memory.length > 0) {
    out.push({
      figure: 'memory',
      goal: `0 tensors leaked and RSS growth < ${RSS_GOAL * 100}% over ${r.memory[0]!.runs} runs`,
      met: r.memory.every((m) => m.goalMet),
      detail: r.memory.map((m) => `${m.backend}: ${m.leakedTensors} tensors, RSS ${pct(m.rssGrowth)}`).join('; '),
    });
  }
  return out;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function rate(d: DetectionRate | undefined): string {
  if (!d) return 'n/a';
  const runs = Number.isNaN(d.medianRuns) ? '' : ` (median ${fmt(d.medianRuns)} runs)`;
  const cut = d.interrupted > 0 ? `, ${d.interrupted} timed out` : '';
  return `${d.found}/${d.seeds}${runs}${cut}`;
}

/** The report as text: machine header, one table per figure, goals. */
export function formatBench(r: BenchReport): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`nanhunt bench${r.quick ? ' (QUICK: smoke settings, figures not meaningful)' : ''} — ${r.date}`);
  lines.push(`machine: ${m.cores} cores, ${m.cpu}, ${m.totalMemoryMB} MB, ${m.platform}`);
  lines.push(`node ${m.node}, tfjs ${m.tfjs}, fast-check ${m.fastCheck}, backends ${r.backends.join(', ')}, --expose-gc ${m.exposeGc ? 'on' : 'OFF'}`);
  lines.push(`load average (1/5/15 min): start ${r.load.start.join(' / ')}, end ${r.load.end.join(' / ')}; ${fmt(r.durationMs / 1000)} s`);
  if (r.overhead.length > 0) {
    lines.push('', '1. Overhead: property runs per second, nanhunt (property + runProperty + finite) vs a hand-written fast-check loop');
    lines.push('   (same arbitrary and seeds, interleaved rounds, medians; ratio = nanhunt / hand on wall time and on CPU time; goal: CPU-time ratio >= 0.8)');
    lines.push(
      `   batched: the same property declared batch-polymorphic (cases screened many in one call); goal: >= ${BATCHED_GOAL}x the hand loop (CPU time) for softmax at <= ${BATCHED_GOAL_MAX_ELEMENTS} elements on cpu`,
    );
    lines.push('   batched ceiling: hand loop / (generating the cases + the op once on all of them stacked, no framework): the most any batching can gain');
    lines.push(
      table([
        [
          'backend',
          'op',
          'elements',
          'nanhunt runs/s',
          'hand runs/s',
          'ratio',
          'ratio range',
          'ratio (CPU time)',
          'overhead us/run',
          'generation share',
          'goal',
          'batched runs/s',
          'batched / hand',
          'batched / hand (CPU)',
          'batched ceiling (CPU)',
          'batched goal',
        ],
        ...r.overhead.map((o) => [
          o.backend,
          o.op,
          o.elements.toLocaleString('en-US'),
          fmt(o.nanhuntRunsPerSec),
          fmt(o.handRunsPerSec),
          fmt(o.ratio),
          `${fmt(o.ratioMin)}-${fmt(o.ratioMax)}`,
          fmt(o.cpuRatio),
          fmt(o.overheadUsPerRun),
          `${Math.round(o.generateShare * 100)}%`,
          o.goalMet ? 'met' : 'MISSED',
          fmt(o.batchedRunsPerSec),
          fmt(o.batchedRatio),
          fmt(o.batchedCpuRatio),
          fmt(o.ceilingCpuRatio),
          o.batchedGoalMet === undefined ? '-' : o.batchedGoalMet ? 'met' : 'MISSED',
        ]),
      ]),
    );
  }
  if (r.minimal.length > 0) {
    lines.push(
      '',
      '2. Time to a minimal counterexample (runProperty as nanhunt check runs it, provenance on; medians over global seeds 0..n-1; goal: CPU ms < 2,000 on cpu)',
    );
    lines.push(
      table([
        ['backend', 'scenario', 'found', 'runs to failure', 'shrinks', 'wall ms', 'max wall ms', 'CPU ms', 'goal', 'minimal case (global seed 0)'],
        ...r.minimal.map((x) =>
          x.unavailable
            ? [x.backend, x.title, '-', '-', '-', '-', '-', '-', '-', `unavailable: ${clip(x.unavailable, 60)}`]
            : [
                x.backend,
                x.title,
                `${x.found}/${x.seeds}`,
                fmt(x.medianRuns),
                fmt(x.medianShrinks),
                fmt(x.medianWallMs),
                fmt(x.maxWallMs),
                fmt(x.medianCpuMs),
                x.backend === 'cpu' ? (x.goalMet ? 'met' : 'MISSED') : '-',
                clip(x.summary, 100),
              ],
        ),
      ]),
    );
  }
  if (r.detection.length > 0) {
    const d0 = r.detection[0]!;
    const seeds = r.detection.find((d) => d.nanhunt)?.nanhunt?.seeds ?? 0;
    lines.push(
      '',
      `3. Detection power: seeds (of ${seeds}; training scenarios may use fewer) whose search of ${d0.runsPerSeed} runs finds the failure, on ${d0.backend}`,
    );
    lines.push('   plain = fc.float32Array() with fast-check defaults (NaN/Infinity included); finite inputs = counting only failures on all-finite inputs');
    lines.push(
      table([
        ['scenario', 'nanhunt', 'plain fc.float32Array', 'plain, finite inputs', 'note'],
        ...r.detection.map((d) =>
          d.unavailable
            ? [d.title, '-', '-', '-', `unavailable: ${clip(d.unavailable, 60)}`]
            : [d.title, rate(d.nanhunt), rate(d.plain), rate(d.plainFiniteInputs), clip(d.note ?? d.plainDescription ?? '', 80)],
        ),
      ]),
    );
  }
  if (r.memory.length > 0) {
    lines.push('', '4. Leaks and memory: a softmax property at 64 elements, after a warm-up and a GC');
    lines.push(
      table([
        [
          'backend',
          'runs',
          'tensors start',
          'tensors end',
          'leaked',
          'RSS start MB',
          'RSS end MB',
          'RSS max MB',
          'RSS growth',
          'heap MB start/end',
          'runs/s',
          'goal',
        ],
        ...r.memory.map((x) => [
          x.backend,
          x.runs.toLocaleString('en-US'),
          String(x.startTensors),
          String(x.endTensors),
          String(x.leakedTensors),
          fmt(x.startRssMB),
          fmt(x.endRssMB),
          fmt(x.maxRssMB),
          pct(x.rssGrowth),
          `${fmt(x.startHeapMB)}/${fmt(x.endHeapMB)}`,
          fmt((x.runs / x.durationMs) * 1000),
          x.goalMet ? 'met' : 'MISSED',
        ]),
      ]),
    );
  }
  if (r.reference.length > 0) {
    lines.push('', '5. Reference cost at 1,024 elements: op = tensor + op + dataSync + dispose; reference = one tiered exact reference call;');
    lines.push('   check = the matchesReference invariant (reference + comparison); CPU time per call, medians over interleaved rounds');
    lines.push(
      table([
        [
          'backend',
          'op',
          'inputs',
          'op us',
          'reference us',
          'reference / op',
          '(wall)',
          'check us',
          'check / op',
          'BigNumber elements/call',
          'inputs out of tolerance',
        ],
        ...r.reference.map((x) => [
          x.backend,
          x.op,
          x.family,
          fmt(x.opUs),
          fmt(x.referenceUs),
          `${fmt(x.ratio)}x`,
          `${fmt(x.wallRatio)}x`,
          fmt(x.checkUs),
          `${fmt(x.checkRatio)}x`,
          fmt(x.slowElementsPerCall),
          String(x.checkFailures),
        ]),
      ]),
    );
  }
  if (r.workers) {
    const w = r.workers;
    lines.push('', `6. Worker threads: nanhunt check --quiet --no-db --no-repro with --workers 1 and 2 (${w.selection}), each in a child process;`);
    lines.push("   CPU = the child's user + system time; same report = its nanhunt.json equals the first run's, durations aside");
    lines.push(
      ...formatWorkers(w.runs.map((x) => ({ ...x, report: x.sameReport ? '' : 'other' })))
        .split('\n')
        .map((l) => `   ${l}`),
    );
    const [one, two] = w.runs;
    if (one && two)
      lines.push(`   2 workers / 1: wall ${fmt(two.wallMs / one.wallMs)}x${one.cpuMs && two.cpuMs ? `, CPU ${fmt(two.cpuMs / one.cpuMs)}x` : ''}`);
  }
  r.scripts.forEach((x, i) => {
    lines.push('', `${(r.workers ? 7 : 6) + i}. ${x.title}: ${x.exitCode === 0 ? 'ok' : `exit ${x.exitCode}`}, ${fmt(x.durationMs / 1000)} s`);
    lines.push(...x.output.split('\n').map((l) => `   ${l}`.trimEnd()));
  });
  if (r.goals.length > 0) {
    lines.push('', 'Goals:');
    for (const g of r.goals) lines.push(`  ${g.met ? 'met   ' : 'MISSED'}  ${g.figure}: ${g.goal} — ${g.detail}`);
  }
  return lines.join('\n');
}

/** JSON text of a report: NaN and ±Infinity as strings (JSON has neither). */
export function benchJson(r: BenchReport): string {
  return `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

function parseArgs(argv: readonly string[]): BenchOptions & { out: string } {
  const out: BenchOptions & { out: string } = { out: path.join('reports', 'bench.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--quick') out.quick = true;
    else if (a === '--backends' || a === '--backend') out.backends = value().split(',');
    else if (a === '--only') {
      const figs = value().split(',');
      for (const f of figs) if (!(FIGURES as readonly string[]).includes(f)) throw new Error(`bench: unknown figure '${f}' (use ${FIGURES.join(', ')})`);
      out.only = figs as Figure[];
    } else if (a === '--scenarios') out.scenarios = value().split(',');
    else if (a === '--out') out.out = value();
    else throw new Error(`bench: unknown option ${a}`);
  }
  return out;
}

async function main(): Promise<void> {
  const { out, ...options } = parseArgs(process.argv.slice(2));
  const report = await runBench({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  console.log(formatBench(report));
  writeAtomic(out, benchJson(report));
  console.log(`\nwrote ${out}`);
  tf.disposeVariables();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    await main();
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
  // a backend may hold handles open after the run
  process.stdout.write('', () => process.exit(process.exitCode ?? 0));
}
