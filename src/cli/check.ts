/**
 * `nanhunt check`: run properties on a backend, print a line per property, the failure reports,
 * and a closing `N passed, N failed` line. Exit 0 when nothing unexpected failed, 1 otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend, isBrowserBackend, useBackend } from '../run/backend.ts';
import { runProperty, propertySeed, type PropertyResult } from '../property/runner.ts';
import { qualify } from '../property/engine.ts';
import { CheckSession, SESSION_FLAGS } from './check-session.ts';
import type { OutputStream } from '../report/progress.ts';
import { plural } from '../report/format.ts';
import { parseArgs, seedAndRuns, UsageError } from './args.ts';
import { loadSelection, parseShard, type Selection } from './select.ts';
import { trainingInputFormatter } from '../train/report.ts';
import { captureInputFormatter } from '../guard/report.ts';
import { VERSION } from '../core/version.ts';
import { failureSessionFromFlags, DB_FLAGS } from './db.ts';
import { BrowserSession } from '../browser/session.ts';
import { emulationArgs, emulationText } from '../browser/emulation.ts';
import { emulationFrom } from './emulation-flags.ts';
import { defaultWorkers, parseTimeout, parseWorkers, WorkerPool } from './watchdog.ts';
import { formatElapsed } from '../report/progress.ts';
import { parseDuration, TimeBudget } from './time-budget.ts';
import { browserRunInfo, browserRuns, browserSelection, replaysInBrowser, selectionFiles } from '../browser/check.ts';

export const CHECK_FLAGS = {
  backend: 'string',
  seed: 'int',
  runs: 'int',
  distinct: 'int',
  filter: 'string',
  json: 'string',
  path: 'string',
  properties: 'string',
  'webgl-f16': 'boolean',
  'webgl-pack': 'string',
  timeout: 'string',
  workers: 'string',
  shard: 'string',
  'time-budget': 'string',
  durations: 'string',
  ...SESSION_FLAGS,
  ...DB_FLAGS,
} as const;

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** The terminal, when output goes to one (live progress line, colors). */
  readonly stream?: OutputStream;
  /** When the run began, on performance.now()'s clock (the command line: 0, the process start); default when the command is called. */
  readonly startedAt?: number;
}

export async function checkCommand(argv: readonly string[], io: Io, options: { updateBaseline?: boolean } = {}): Promise<number> {
  const startedAt = io.startedAt ?? performance.now(); // --time-budget counts from here: loading is part of the run
  const { positional, flags } = parseArgs(argv, CHECK_FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const { seed, runs } = seedAndRuns(flags);
  if (flags.distinct !== undefined && flags.distinct < 1)
    throw new UsageError(`--distinct must be a positive integer (1: stop at the first failure), got ${flags.distinct}`);
  if (flags.path !== undefined) qualify({ seed, runs: runs ?? 1, path: flags.path }); // a malformed --path: exit 2 before anything runs
  if (flags.durations !== undefined && flags.shard === undefined) throw new UsageError('--durations balances the shards of --shard: give --shard k/n too');
  if (flags.shard !== undefined) {
    parseShard(flags.shard); // a bad --shard: exit 2 before anything runs
    if (flags.path !== undefined) throw new UsageError('--path replays one property: not with --shard');
    if (options.updateBaseline) throw new UsageError('baseline writes the findings of every property: not with --shard');
  }
  const budgetMs = flags['time-budget'] !== undefined ? parseDuration('time-budget', flags['time-budget']) : undefined;
  if (budgetMs !== undefined && flags.path !== undefined) throw new UsageError('--path replays one case: not with --time-budget');
  const backendName = flags.backend ?? 'cpu';
  const emulation = emulationFrom(flags, backendName);
  const inBrowser = isBrowserBackend(backendName);
  const timeoutMs = parseTimeout(flags.timeout);
  if (inBrowser && timeoutMs !== undefined) {
    throw new UsageError(`--timeout runs properties in worker threads, not in the browser of --backend ${backendName}`);
  }
  const workers = parseWorkers(flags.workers);
  if (inBrowser && flags.workers !== undefined) {
    throw new UsageError(`--workers runs properties in worker threads, not in the browser of --backend ${backendName}`);
  }
  const session = CheckSession.open(io, flags, options); // reads the baseline: a corrupt one stops here (exit 2)
  // failure database (saved cases run first) and repro scripts; a browser run replays no other backend's cases in Node
  const failures = failureSessionFromFlags(
    flags,
    seed,
    io,
    inBrowser ? { backend: backendName, otherBackends: false, replayArgs: emulationArgs(emulation) } : {},
  );
  const progress = session.progress;
  let showing: string | undefined; // the property of the live status line: the next result in order
  // captured training steps saved by `nanhunt capture shrink` run first (not with --path: it replays one generated case;
  // nor in the browser: they are rebuilt from the database, in Node)
  const loadedSelection: Selection = await loadSelection(flags, flags.path === undefined && !inBrowser ? failures.captured() : []);
  if (!inBrowser) await useBackend(backendName);
  const { propertiesArg } = loadedSelection;
  if (loadedSelection.shard) session.shard = loadedSelection.shard;
  // browsers leave out the properties with large inputs unless --filter names them
  const { run: selected, left } = inBrowser ? browserSelection(loadedSelection.selected, flags.filter) : { run: loadedSelection.selected, left: [] };
  let browser: BrowserSession | undefined;
  // the watchdog and --workers: properties run in worker threads, one stopped past --timeout (not
  // captured training steps: they are rebuilt from the failure database in this thread); without
  // --workers, as many threads as the properties pay for (each loads TensorFlow.js and them again)
  const inPool = selected.filter((l) => l.origin.capture === undefined).length;
  const threads = Math.min(workers ?? defaultWorkers(inPool), inPool);
  const pool =
    !inBrowser && inPool > 0 && (timeoutMs !== undefined || threads > 1)
      ? new WorkerPool(
          {
            backend: backendName,
            ...(flags.properties !== undefined ? { properties: flags.properties } : {}),
            timeoutMs,
            cases: progress.live,
            onCases: (n, name) => {
              if (name === showing) progress.setCases(n);
            },
            onStillRunning: (name, ms) => {
              if (!progress.live) progress.info(`still running: ${name} (${formatElapsed(ms)})`);
            },
          },
          Math.max(1, threads),
        )
      : undefined;
  // --time-budget: each property's share of the time left when it starts (with n workers, n run at once)
  const budget = budgetMs !== undefined ? new TimeBudget(budgetMs, selected.length, pool?.size ?? 1, undefined, startedAt) : undefined;
  if (inBrowser) browser = await BrowserSession.open({ backend: backendName, backends: [backendName], emulation, files: selectionFiles(selected) });
  try {
    return await runChecks();
  } finally {
    await pool?.close();
    await browser?.close();
  }

  async function runChecks(): Promise<number> {
    const where = browser ? ` (Chromium ${browser.info.chromium}${backendName === 'webgl' ? ` · ${emulationText(emulation)}` : ''})` : '';
    const header = `nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · backend ${backendName}${where} · seed ${seed}${flags.shard !== undefined ? ` · shard ${flags.shard}` : ''} · ${plural(selected.length, 'property', 'properties')}`;
    // with --path the header waits for the replay: a path the property does not generate is bad
    // usage (one line, exit 2, nothing written), not a finding
    if (flags.path === undefined) session.header(header);
    if (left.length > 0) {
      session.progress.info(
        `not run on ${backendName}: ${plural(left.length, 'property', 'properties')} with large inputs (minutes per case in software rendering); name one with --filter to run it`,
      );
    }
    const runOptions = (loaded: (typeof selected)[number]) => ({
      seed: propertySeed(seed, loaded.property.name),
      ...(runs !== undefined ? { runs } : browser ? { runs: browserRuns(loaded.property) } : {}),
      ...(flags.path !== undefined ? { path: flags.path } : { examples: failures.examples(loaded) }),
      ...(flags.distinct !== undefined ? { distinct: flags.distinct } : {}),
      ...(budget ? { timeLimitMs: budget.share() } : {}),
    });
    // in worker threads: every property is handed to the pool now (each starts when a worker is
    // free, in this order); the results are taken, printed and recorded below in this order, so
    // output, reports and the failure database are those of one worker
    const inWorkers = selected.map((loaded) => {
      if (!pool || loaded.origin.capture !== undefined) return undefined;
      const running = pool.run(loaded.property.name, () => runOptions(loaded), String(activeBackend()));
      running.catch(() => {}); // awaited in order below: not an unhandled rejection meanwhile
      return running;
    });
    const results: PropertyResult[] = [];
    for (const [i, loaded] of selected.entries()) {
      const p = loaded.property;
      let r: PropertyResult;
      try {
        const watched = session.start(p, i, selected.length);
        showing = p.name;
        const running = inWorkers[i];
        r = browser ? await browser.run(p.name, runOptions(loaded)) : running ? await running : runProperty(watched, runOptions(loaded));
      } catch (e) {
        session.progress.stop();
        throw e;
      }
      if (flags.path !== undefined && i === 0) session.header(header);
      results.push(r);
      failures.record(loaded, r);
      session.done(r);
    }
    for (const line of failures.closingLines()) session.progress.info(line);
    if (budgetMs !== undefined) session.progress.info(budgetLine(budgetMs, results, performance.now() - startedAt));
    const info = {
      nanhunt: VERSION,
      tfjs: tf.version.tfjs,
      backend: backendName,
      seed,
      ...(runs ? { runs } : {}),
      ...(budgetMs !== undefined ? { timeBudgetMs: budgetMs } : {}),
      ...(browser ? browserRunInfo(browser, emulation) : {}),
    };
    // baseline entries' saved cases replay on the run's backend: in the page for a browser run
    const replay = browser ? await replaysInBrowser(browser, session.baselineEntries(), results) : undefined;
    return session.finish(
      results,
      info,
      {
        globalSeed: seed,
        ...(propertiesArg ? { propertiesArg } : {}),
        notes: (r) => failures.reportLines(r),
        formatters: [trainingInputFormatter, captureInputFormatter],
      },
      selected.map((l) => l.property),
      replay,
    );
  }
}

/** After a `--time-budget` run: how many properties the budget cut short, and the runs they all got. */
export function budgetLine(budgetMs: number, results: readonly PropertyResult[], tookMs: number): string {
  const cut = results.filter((r) => r.interrupted).length;
  const runs = results.reduce((n, r) => n + r.runs, 0);
  return `time budget ${formatElapsed(budgetMs)}: ${cut} of ${plural(results.length, 'property', 'properties')} stopped early by it, ${plural(runs, 'run')} in all (each property's runs: --verbose, the reports); took ${formatElapsed(tookMs)}`;
}
