/**
 * Everything `nanhunt check` does around running the properties: the live progress display, the
 * gate against the baseline, the closing report and the report files. check.ts calls it in
 * four places (open, start, done, finish); `nanhunt baseline` uses the same path with
 * `updateBaseline` to write the baseline instead of gating on it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Property } from '../property/property.ts';
import type { PropertyResult } from '../property/runner.ts';
import {
  DEFAULT_BASELINE,
  describeEntry,
  entryListsFinding,
  formatBaseline,
  readBaseline,
  resolveBaselinePath,
  type Baseline,
  type BaselineEntry,
} from '../gate/baseline.ts';
import { evaluateGate, updateBaseline, verdictOf, type GateResult } from '../gate/gate.ts';
import { replayBaseline, type CaseReplay } from '../gate/replay.ts';
import { UsageError } from './args.ts';
import { failureReport, plural, type ReportContext } from '../report/format.ts';
import { resultsDocument, type RunInfo } from '../report/json.ts';
import { writeAtomic } from '../core/atomic.ts';
import { junitXml } from '../report/junit.ts';
import { htmlReport } from '../report/html.ts';
import { Progress, type OutputStream, type Verbosity } from '../report/progress.ts';
import { encode } from '../browser/wire.ts';

/** The flags `nanhunt check` adds for the gate, reports and terminal output. */
export const SESSION_FLAGS = {
  reports: 'string',
  baseline: 'string',
  strict: 'boolean',
  quiet: 'boolean',
  verbose: 'boolean',
} as const;

const REPORTS_USAGE = `  --reports <dir>     write nanhunt.json, junit.xml and index.html here (default reports/)`;
const OUTPUT_USAGE = `  --quiet             print only what fails the check and the final line
  --verbose           also print each property's seed, path, runs, shrinks and error figures`;

export const SESSION_USAGE = `${REPORTS_USAGE}
  --baseline <file>   known findings that do not fail the check (default ${DEFAULT_BASELINE} when present)
  --strict            also fail when a baseline entry no longer fails (so the baseline shrinks)
${OUTPUT_USAGE}`;

/** The options `nanhunt merge` shares with check. */
export const SESSION_USAGE_MERGE = `${REPORTS_USAGE}
  --json <file>       also write the merged nanhunt.json here
${OUTPUT_USAGE}`;

/**
 * What a shard's nanhunt.json carries for `nanhunt merge` (its `shard.data`, as wire data: nothing
 * lost): the results, the baseline the shard gated on, and what replaying its entries' saved cases
 * showed (by entry index).
 */
export interface ShardData {
  readonly results: readonly PropertyResult[];
  readonly baseline?: Baseline;
  readonly replays: readonly (readonly [number, CaseReplay])[];
  readonly strict: boolean;
  readonly propertiesArg?: string;
}

/** A `check --shard k/n` run: its place in the matrix, and each property's position in the unsharded selection. */
export interface ShardPlace {
  readonly index: number;
  readonly count: number;
  readonly positions: ReadonlyMap<string, number>;
}

export const DEFAULT_REPORTS_DIR = 'reports';

export interface SessionIo {
  out(line: string): void;
  err(line: string): void;
  /** The terminal, when output goes to one (enables the live status line and colors). */
  readonly stream?: OutputStream;
}

export interface SessionOptions {
  /** Directory for the default baseline and reports (default process.cwd()). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `nanhunt baseline`: write the baseline from this run instead of gating on it. */
  readonly updateBaseline?: boolean;
  /** Clock for the progress display (tests). */
  readonly now?: () => number;
}

export interface SessionFlagValues {
  readonly reports?: string;
  readonly baseline?: string;
  readonly strict?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly json?: string;
}

export class CheckSession {
  readonly progress: Progress;
  private readonly cwd: string;
  private readonly baseline: Baseline | undefined;
  private readonly baselineFile: string;
  /** `check --shard`: the reports carry what `nanhunt merge` needs. */
  shard: ShardPlace | undefined;

  private constructor(
    private readonly io: SessionIo,
    private readonly flags: SessionFlagValues,
    private readonly options: SessionOptions,
    baseline: Baseline | undefined,
    baselineFile: string,
  ) {
    this.cwd = options.cwd ?? process.cwd();
    this.baseline = baseline;
    this.baselineFile = baselineFile;
    const verbosity: Verbosity = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
    this.progress = new Progress(io, {
      ...(io.stream ? { stream: io.stream } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.now ? { now: options.now } : {}),
      verbosity,
    });
  }

  /**
   * Validate the flags and read the baseline before anything runs: a corrupt baseline is a
   * BaselineError (exit 2) naming the line.
   */
  static open(io: SessionIo, flags: SessionFlagValues, options: SessionOptions = {}): CheckSession {
    const f = flags;
    if (f.quiet && f.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
    if (f.reports !== undefined && f.reports.trim() === '') throw new UsageError('--reports needs a directory');
    const cwd = options.cwd ?? process.cwd();
    let baseline: Baseline | undefined;
    let file: string;
    if (options.updateBaseline) {
      file = f.baseline ?? DEFAULT_BASELINE;
      const resolved = path.resolve(cwd, file);
      baseline = existsSync(resolved) ? readBaseline(resolved, file) : undefined;
    } else {
      const found = resolveBaselinePath(f.baseline, cwd);
      file = found?.file ?? DEFAULT_BASELINE;
      if (found) baseline = readBaseline(path.resolve(cwd, found.file), found.file);
    }
    return new CheckSession(io, f, options, baseline, file);
  }

  /**
   * `nanhunt merge`: a session over results that ran elsewhere (the shards), gating on the
   * baseline they gated on (not read again) with the replays they made.
   */
  static merged(io: SessionIo, flags: SessionFlagValues, baseline: Baseline | undefined): CheckSession {
    if (flags.quiet && flags.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
    if (flags.reports !== undefined && flags.reports.trim() === '') throw new UsageError('--reports needs a directory');
    return new CheckSession(io, flags, {}, baseline, baseline?.file ?? DEFAULT_BASELINE);
  }

  /** The baseline's entries (none without a baseline). */
  baselineEntries(): readonly BaselineEntry[] {
    return this.baseline?.entries ?? [];
  }

  /** The header line (not in --quiet). */
  header(text: string): void {
    this.progress.info(text);
  }

  /** A property is about to run: returns the property to run (instrumented for the live display). */
  start<I>(p: Property<I>, index: number, total: number): Property<I> {
    this.progress.start(p.name, index, total);
    return this.progress.watch(p);
  }

  /** A property finished. */
  done(r: PropertyResult): void {
    this.progress.finish(r, verdictOf(r, this.options.updateBaseline ? undefined : this.baseline));
  }

  /**
   * Print the closing report, write the report files, return the exit code. `properties` (those
   * that ran) replay the saved case of each baseline entry their results do not decide (`replay`:
   * how, when not in this process — a browser backend replays them in its page).
   */
  finish(
    results: readonly PropertyResult[],
    info: RunInfo,
    context: ReportContext = {},
    properties: readonly Property<any>[] = [],
    replay?: (property: Property<any>, entry: BaselineEntry) => CaseReplay,
    replayed?: ReadonlyMap<BaselineEntry, CaseReplay>,
  ): number {
    const p = this.progress;
    p.stop();
    // `replayed`: the replays already made (nanhunt merge: in the shards)
    const replays = replayed ?? replayBaseline(this.baseline, results, properties, replay);
    let gate = evaluateGate(results, this.options.updateBaseline ? undefined : this.baseline, { strict: this.flags.strict ?? false, replays });

    // failure reports: what fails the check always; known findings and expected failures unless --quiet
    // (each distinct failure of a property on its own, known or new)
    results.forEach((r, i) => {
      const v = gate.verdicts[i];
      if (v === 'passed' || v === 'other') return;
      const all = [r, ...(r.distinct ?? [])];
      all.forEach((f, k) => {
        const fv = v === 'expected' ? v : gate.known.includes(f) ? 'known' : 'new';
        if (fv !== 'new' && p.verbosity === 'quiet') return;
        p.gap();
        let text = failureReport(f, context, all.length > 1 ? { index: k + 1, count: all.length } : undefined);
        if (fv === 'known') {
          const entry = (
            gate.entries.find((e) => e.state === 'known' && e.result === r && e.finding === f) ?? gate.entries.find((e) => entryListsFinding(e.entry, f))
          )?.entry;
          text += `\n  known: listed in ${gate.baselineFile}${entry?.line ? `:${entry.line}` : ''}${entry?.note ? ` (${entry.note})` : ''}`;
        }
        p.line(text);
      });
    });

    if (this.options.updateBaseline) gate = this.writeBaseline(results, replays, properties, replay);
    else this.baselineLines(gate);

    const written = this.writeReports(results, gate, info, context, replays);
    if (written !== 0) return written;

    const others = new Map<string, number>();
    results.forEach((r, i) => {
      if (gate.verdicts[i] === 'other') others.set(r.status, (others.get(r.status) ?? 0) + 1);
    });
    p.gap();
    if (others.size > 0) p.info(`not counted: ${[...others].map(([s, n]) => `${n} ${s}`).join(', ')}`);
    p.line(finalLine(gate));
    return gate.exitCode;
  }

  private baselineLines(gate: GateResult): void {
    const p = this.progress;
    if (!gate.baselineFile) return;
    const fixed = gate.fixed;
    const inconclusive = gate.entries.filter((x) => x.state === 'inconclusive');
    const known = gate.knownEntries;
    if (p.verbosity !== 'quiet' ? known.length > 0 || fixed.length > 0 || inconclusive.length > 0 : gate.strict && fixed.length > 0) p.gap();
    if (known.length > 0) {
      const byCase = known.filter((e) => e.by === 'case').length;
      // the final line counts findings (a property's distinct failures one by one); an entry may list several
      const found = gate.known.length > 0 ? `: ${plural(gate.known.length, 'known finding')} (not counted as failures)` : '';
      p.info(
        `${plural(known.length, 'entry', 'entries')} of ${gate.baselineFile} matched${found}` +
          (byCase > 0 ? `; ${byCase} of them confirmed by replaying their saved case, which this run's search did not meet` : ''),
      );
    }
    for (const e of fixed) {
      const where = `${gate.baselineFile}${e.entry.line ? `:${e.entry.line}` : ''}`;
      const why = e.reason ?? 'its saved case passes now (replayed)';
      const text = `fixed: ${describeEntry(e.entry)}: ${why}, but it is still listed in ${where}; remove it (npx nanhunt baseline)`;
      if (gate.strict) p.line(`${p.paint('red', '✗')} ${text} — fails with --strict`);
      else p.info(text);
    }
    for (const e of inconclusive) p.info(`inconclusive: ${describeEntry(e.entry)}: ${e.reason ?? 'undecided'} (kept)`);
    const notRun = gate.entries.filter((x) => x.state === 'not-run').length;
    if (notRun > 0) p.detail(`${notRun} baseline entr${notRun === 1 ? 'y' : 'ies'} not run (other properties or backends)`);
  }

  private writeBaseline(
    results: readonly PropertyResult[],
    replays: ReadonlyMap<BaselineEntry, CaseReplay>,
    properties: readonly Property<any>[],
    replay?: (property: Property<any>, entry: BaselineEntry) => CaseReplay,
  ): GateResult {
    const p = this.progress;
    const update = updateBaseline(results, this.baseline, replays);
    const file = path.resolve(this.cwd, this.baselineFile);
    writeAtomic(file, formatBaseline(update.entries));
    p.gap();
    p.line(
      `baseline: ${plural(update.entries.length, 'finding')} in ${this.baselineFile} (${update.added.length} added, ${update.removed.length} removed, ${update.kept} kept)`,
    );
    for (const e of update.added) p.info(`  + ${describeEntry(e)}`);
    // a removed entry's note is printed: it leaves the file, and nothing else says what it was
    for (const { entry, reason } of update.removed) p.info(`  - ${describeEntry(entry)}: ${reason}${entry.note ? `; its note was: ${entry.note}` : ''}`);
    for (const e of update.recorded) p.info(`  = ${describeEntry(e)}: its minimal case recorded from this run`);
    for (const { entry, reason } of update.inconclusive) p.info(`  ? ${describeEntry(entry)}: inconclusive, kept: ${reason}`);
    const written = readBaseline(file, this.baselineFile);
    return evaluateGate(results, written, { replays: replayBaseline(written, results, properties, replay) });
  }

  /** Write nanhunt.json, junit.xml and index.html (and --json); 0, or 2 when a file cannot be written. */
  private writeReports(
    results: readonly PropertyResult[],
    gate: GateResult,
    info: RunInfo,
    context: ReportContext,
    replays: ReadonlyMap<BaselineEntry, CaseReplay>,
  ): number {
    const generatedAt = new Date().toISOString();
    const doc = resultsDocument(info, results, {
      verdicts: gate.verdicts,
      findingVerdict: (f) => (gate.known.includes(f) ? 'known' : 'new'),
      generatedAt,
      gate: {
        baseline: gate.baselineFile ?? null,
        strict: gate.strict,
        exitCode: gate.exitCode,
        new: gate.newFindings.length,
        known: gate.known.length,
        fixed: gate.fixed.map((e) => entryJson(e.entry, e.reason ?? 'its saved case passes now')),
        inconclusive: gate.entries.filter((e) => e.state === 'inconclusive').map((e) => entryJson(e.entry, e.reason)),
        notRun: gate.entries.filter((e) => e.state === 'not-run').length,
      },
    });
    let json = `${JSON.stringify(doc, null, 2)}\n`;
    if (this.shard) {
      const entries = this.baseline?.entries ?? [];
      const data: ShardData = {
        results,
        ...(this.baseline ? { baseline: this.baseline } : {}),
        replays: [...replays].map(([entry, r]) => [entries.indexOf(entry), r] as const).filter(([i]) => i !== -1),
        strict: gate.strict,
        ...(context.propertiesArg !== undefined ? { propertiesArg: context.propertiesArg } : {}),
      };
      const { index, count, positions } = this.shard;
      const order = results.map((r) => positions.get(r.name) ?? -1);
      // the last field, on one line each: the data (every error sample of every property) is large, and indenting it would triple it
      json = `${json.trimEnd().slice(0, -1)},\n  "shard": {\n    "index": ${index},\n    "count": ${count},\n    "positions": ${JSON.stringify(order)},\n    "data": ${encode(data)}\n  }\n}\n`;
    }
    const dir = path.resolve(this.cwd, this.flags.reports ?? DEFAULT_REPORTS_DIR);
    const files: [string, string][] = [
      [path.join(dir, 'nanhunt.json'), json],
      [path.join(dir, 'junit.xml'), junitXml(results, gate, { info, context, timestamp: generatedAt })],
      [path.join(dir, 'index.html'), htmlReport(results, gate, { info, context, generatedAt })],
    ];
    if (this.flags.json !== undefined) files.push([path.resolve(this.cwd, this.flags.json), json]);
    for (const [file, text] of files) {
      try {
        writeAtomic(file, text);
      } catch (e) {
        this.io.err(`nanhunt: cannot write ${file}: ${(e as Error).message}`);
        return 2;
      }
    }
    const rel = path.relative(this.cwd, dir);
    const shown = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
    this.progress.info(`reports: ${path.join(shown, 'index.html')} · ${path.join(shown, 'nanhunt.json')} · ${path.join(shown, 'junit.xml')}`);
    return 0;
  }
}

/**
 * `141 passed, 192 known findings, 8 expected failures, 0 failed`: the counts of the HTML report's cards
 * (known findings and expected failures apart, when there are some); `failed` counts what fails the check.
 */
export function finalLine(gate: Pick<GateResult, 'passed' | 'expected' | 'failed' | 'known'>): string {
  const known = gate.known.length > 0 ? `, ${plural(gate.known.length, 'known finding')}` : '';
  const expected = gate.expected > 0 ? `, ${plural(gate.expected, 'expected failure')}` : '';
  return `${gate.passed} passed${known}${expected}, ${gate.failed} failed`;
}

function entryJson(e: { property: string; invariant?: string; error?: string; backend?: string; line?: number }, reason?: string) {
  return {
    property: e.property,
    ...(e.invariant !== undefined ? { invariant: e.invariant } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.backend !== undefined ? { backend: e.backend } : {}),
    ...(e.line !== undefined ? { line: e.line } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}
