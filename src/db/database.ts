/**
 * The failure database: a directory of failure files (one JSON file per minimal failing case).
 *
 * As in Hypothesis' example database, the saved cases of a property run first on its next run
 * (pass `load(name)` inputs as runProperty's `examples`), so a fixed bug is confirmed fixed and an
 * unfixed one fails at once. A case that passes again is marked `fixed` and kept until pruned.
 * Every write is atomic; a corrupt or foreign file in the directory is reported once (through
 * `warn`) and skipped, never fatal. Everything is synchronous.
 */
import { readdirSync, readFileSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { serializeValue } from '../core/tensor-value.ts';
import { failuresOf } from '../property/failure.ts';
import type { Property } from '../property/property.ts';
import type { Failure, PropertyResult } from '../property/runner.ts';
import { VERSION } from '../core/version.ts';
import { isStaleTemp, isTempFile, writeAtomic } from '../core/atomic.ts';
import { failureFileName, slugify } from './naming.ts';
import {
  buildRecord,
  FailureFileError,
  failureOf,
  parseRecord,
  recordText,
  type FailureEnvironment,
  type FailureOrigin,
  type FailureRecord,
} from './record.ts';

/** The default directory, relative to the working directory. */
export const DEFAULT_DB_DIR = path.join('.nanhunt', 'failures');

/** One saved failure: its file, its record and its inputs, ready to run again. */
export interface SavedFailure {
  /** Absolute path of the failure file. */
  readonly file: string;
  readonly record: FailureRecord;
  /** The minimal failing inputs (TensorValues and plain values), as runProperty's `examples` take them. */
  readonly inputs: unknown;
  readonly property: string;
  readonly status: 'failing' | 'fixed';
  readonly failure: Failure;
}

/** A file of the directory that was skipped, and why. */
export interface DbProblem {
  readonly file: string;
  readonly reason: string;
  /** A temporary file left by an interrupted write (prune removes it). */
  readonly temporary?: boolean;
}

export interface SaveMeta {
  /** The property the result is of (its expectFailure reason is saved). */
  readonly property?: Property<any>;
  /** Where the property is defined (see originOf in ./origin.ts), so replay can load it. */
  readonly origin?: FailureOrigin;
  /** The global seed the run's seed derives from (CLI --seed). */
  readonly globalSeed?: number;
}

export interface PruneResult {
  readonly removed: readonly SavedFailure[];
  /** Temporary files of interrupted writes that were removed. */
  readonly temporaries: readonly string[];
}

export interface FailureDatabase {
  /** Absolute path of the directory (created on the first save). */
  readonly dir: string;
  /** Saved failures of one property, most recently seen first. */
  load(propertyName: string): SavedFailure[];
  /** Their inputs: pass them as runProperty's `examples`. */
  examples(propertyName: string): unknown[];
  /**
   * Save the minimal case of a failed or errored result (overwriting the file of the same case).
   * Returns undefined, saving nothing, for a passed result or one without a counterexample.
   */
  save(result: PropertyResult, meta?: SaveMeta): SavedFailure | undefined;
  /**
   * After a run whose `examples` were `saved` (in that order): mark the saved cases that passed as
   * fixed, and save the result's failure and each of its distinct failures (a file each); a saved
   * case one shrank further from is replaced by it. Returns the saved file of the result's own
   * failure, if any.
   */
  recordRun(result: PropertyResult, saved: readonly SavedFailure[], meta?: SaveMeta): SavedFailure | undefined;
  /** Mark saved cases as fixed (they passed); they are kept until pruned. */
  markFixed(saved: readonly SavedFailure[]): void;
  /** Every valid failure file, by property name then most recently seen first. */
  list(): SavedFailure[];
  /** Files skipped by the last read of the directory (corrupt, foreign, leftovers of interrupted writes). */
  problems(): DbProblem[];
  /** Delete one saved failure. */
  remove(failure: SavedFailure): void;
  /** Delete the saved failures `shouldRemove` selects (default: those marked fixed) and leftover temporary files. */
  prune(shouldRemove?: (failure: SavedFailure) => boolean): PruneResult;
}

export interface FailureDatabaseOptions {
  /** Where skipped files are reported, once each (default: a line on stderr). */
  warn?: (message: string) => void;
  /** The clock for timestamps (tests). */
  now?: () => Date;
  /** The environment written into new records (default: the active backend, tfjs and nanhunt versions). */
  environment?: () => FailureEnvironment;
  /** Working directory for relative module paths in origins (default process.cwd()). */
  cwd?: string;
}

/** The environment of this process: active backend, tfjs and nanhunt versions, Node and platform. */
export function currentEnvironment(backend?: string): FailureEnvironment {
  return {
    backend: backend ?? tf.getBackend() ?? 'unknown',
    tfjs: tf.version.tfjs,
    nanhunt: VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Read one failure file. Throws a FailureFileError with a one-line reason. */
export function readFailureFile(file: string): SavedFailure {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FailureFileError(
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a failure file' : `cannot read it (${code ?? (e as Error).message})`,
    );
  }
  const { record, inputs } = parseRecord(text);
  return { file: path.resolve(file), record, inputs, property: record.property, status: record.status, failure: failureOf(record) };
}

/**
 * How many of the `examples` given to runProperty passed: fast-check runs them first and stops at
 * the first failure, so those before it passed (all of them when the failure was a generated case).
 */
export function passedExamples(result: PropertyResult, examples: number): number {
  if (result.status === 'passed') return Math.min(examples, result.runs);
  if (result.example !== undefined) return result.example;
  return result.counterexample !== undefined && (result.status === 'failed' || result.status === 'errored') ? examples : 0;
}

function byRecency(a: SavedFailure, b: SavedFailure): number {
  return a.record.lastSeen < b.record.lastSeen ? 1 : a.record.lastSeen > b.record.lastSeen ? -1 : a.file < b.file ? -1 : 1;
}

/** The names of a property's failure files, `<slug>-<hash>.json` (a slug is [a-z0-9-]: nothing to escape). */
function ownFile(propertyName: string): RegExp {
  return new RegExp(`^${slugify(propertyName)}-[0-9a-f]{10}\\.json$`);
}

/** Open (without creating) the failure database in `dir`. */
export function openFailureDatabase(dir: string = DEFAULT_DB_DIR, options: FailureDatabaseOptions = {}): FailureDatabase {
  const root = path.resolve(options.cwd ?? process.cwd(), dir);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const now = options.now ?? (() => new Date());
  const environment = options.environment ?? (() => currentEnvironment());
  const cache = new Map<string, { mtimeMs: number; size: number; entry: SavedFailure | DbProblem }>();
  const warned = new Set<string>();
  let lastProblems: DbProblem[] = [];

  const shown = (file: string): string => {
    const rel = path.relative(process.cwd(), file);
    return rel.startsWith('..') ? file : rel;
  };
  const report = (p: DbProblem): void => {
    const key = `${p.file}\0${p.reason}`;
    if (warned.has(key)) return;
    warned.add(key);
    warn(`nanhunt: skipping ${shown(p.file)} in the failure database: ${p.reason}`);
  };

  /** Whether every file was read once: later loads of one property read only its own files. */
  let scannedAll = false;
  /** Failure files, seen in the last full scan, not named after their property (renamed, copied in): every load reads them. */
  let strays = new Set<string>();

  /**
   * Read the directory's failure files (the cached ones again only when changed); `only`: the files
   * one property's failures are named with (`<slug>-<hash>.json`), which its load() reads after the
   * first scan, instead of every file of every property.
   */
  function scan(only?: RegExp): { entries: SavedFailure[]; problems: DbProblem[]; temps: string[] } {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { entries: [], problems: [], temps: [] };
      if (code === 'ENOTDIR') throw new FailureFileError(`the failure database ${shown(root)} is not a directory`);
      throw e;
    }
    const entries: SavedFailure[] = [];
    const problems: DbProblem[] = [];
    const temps: string[] = [];
    if (only) names = names.filter((n) => only.test(n) || strays.has(n));
    for (const name of names.sort()) {
      const file = path.join(root, name);
      if (isTempFile(name)) {
        if (!isStaleTemp(file)) continue; // a write in progress in another process
        temps.push(file);
        problems.push({ file, reason: 'a temporary file left by an interrupted write (`nanhunt db prune` removes it)', temporary: true });
        continue;
      }
      if (name.startsWith('.')) continue;
      let st: Stats;
      try {
        st = statSync(file);
      } catch {
        continue; // removed meanwhile
      }
      if (st.isDirectory()) continue;
      if (!name.endsWith('.json')) {
        problems.push({ file, reason: 'not a failure file (failure files end in .json)' });
        continue;
      }
      const cached = cache.get(file);
      let entry: SavedFailure | DbProblem;
      if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) entry = cached.entry;
      else {
        try {
          entry = readFailureFile(file);
        } catch (e) {
          if (!(e instanceof FailureFileError)) throw e;
          entry = { file, reason: e.message };
        }
        cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, entry });
      }
      if ('record' in entry) entries.push(entry);
      else problems.push(entry);
    }
    for (const p of problems) report(p);
    if (!only) {
      lastProblems = problems;
      scannedAll = true;
      strays = new Set(entries.filter((e) => !ownFile(e.property).test(path.basename(e.file))).map((e) => path.basename(e.file)));
    }
    return { entries, problems, temps };
  }

  function write(file: string, record: FailureRecord, inputs: unknown): SavedFailure {
    writeAtomic(file, recordText(record), { durable: false });
    cache.delete(file);
    return { file, record, inputs, property: record.property, status: record.status, failure: failureOf(record) };
  }

  const db: FailureDatabase = {
    dir: root,
    load(propertyName) {
      return scan(scannedAll ? ownFile(propertyName) : undefined)
        .entries.filter((e) => e.property === propertyName)
        .sort(byRecency);
    },
    examples(propertyName) {
      return db.load(propertyName).map((e) => e.inputs);
    },
    save(result, meta = {}) {
      if ((result.status !== 'failed' && result.status !== 'errored') || result.counterexample === undefined || !result.failure) return undefined;
      // a case that did not fail again when re-run cannot be replayed: nothing to pin
      if (result.failure.kind === 'error' && result.failure.stage === 'replay') return undefined;
      const file = path.join(root, failureFileName(result.name, serializeValue(result.counterexample), result.backend));
      let previous: FailureRecord | undefined;
      try {
        const old = readFailureFile(file);
        if (old.property === result.name) previous = old.record;
      } catch {
        // no previous record (or an unreadable one, replaced now)
      }
      const origin = meta.origin ?? previous?.origin;
      const expectedFailure = meta.property?.expectFailure;
      const record = buildRecord(result, {
        environment: { ...environment(), backend: result.backend },
        now: now(),
        ...(origin ? { origin } : {}),
        ...(meta.globalSeed !== undefined ? { globalSeed: meta.globalSeed } : {}),
        ...(expectedFailure !== undefined ? { expectedFailure } : {}),
        ...(previous ? { previous } : {}),
      });
      return write(file, record, result.counterexample);
    },
    markFixed(saved) {
      for (const s of saved) {
        if (s.status === 'fixed') continue;
        let current: SavedFailure;
        try {
          current = readFailureFile(s.file);
        } catch {
          continue; // removed or replaced meanwhile
        }
        if (current.status === 'fixed') continue;
        write(s.file, { ...current.record, status: 'fixed', fixedAt: now().toISOString() }, current.inputs);
      }
    },
    recordRun(result, saved, meta = {}) {
      db.markFixed(saved.slice(0, passedExamples(result, saved.length)));
      let first: SavedFailure | undefined;
      // the result's failure, then each of its distinct failures: a file each
      for (const f of failuresOf(result)) {
        const written = db.save(f, meta);
        first ??= f === result ? written : undefined;
        // A saved case that failed again and shrank further is superseded by the smaller case (as in
        // Hypothesis' database): keep one file per failure, not one per shrinking session.
        const source = f.example !== undefined ? saved[f.example] : undefined;
        if (written && source && path.resolve(source.file) !== path.resolve(written.file)) db.remove(source);
      }
      return first;
    },
    list() {
      return scan().entries.sort((a, b) => (a.property < b.property ? -1 : a.property > b.property ? 1 : byRecency(a, b)));
    },
    problems() {
      return [...lastProblems];
    },
    remove(failure) {
      rmSync(failure.file, { force: true });
      cache.delete(failure.file);
    },
    prune(shouldRemove = (f) => f.status === 'fixed') {
      const { entries, temps } = scan();
      const removed: SavedFailure[] = [];
      for (const e of entries) {
        if (shouldRemove(e)) {
          db.remove(e);
          removed.push(e);
        }
      }
      for (const t of temps) rmSync(t, { force: true });
      return { removed, temporaries: temps };
    },
  };
  return db;
}
