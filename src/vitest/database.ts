/**
 * The failure database as the vitest helpers use it (the one place they touch src/db): the saved
 * failures of a test run first, before generation; a failure is saved; a saved case that passes
 * is marked fixed.
 */
import path from 'node:path';
import { openFailureDatabase, type FailureDatabase, type SavedFailure } from '../db/database.ts';
import type { Property } from '../property/property.ts';
import { runProperty, type PropertyResult, type RunOptions } from '../property/runner.ts';
import { activeBackend } from '../run/backend.ts';

export interface DatabaseRun {
  readonly result: PropertyResult;
  /** Saved failures that ran first. */
  readonly saved: number;
  /** The file the failure was saved to (relative to the working directory). */
  readonly savedTo?: string;
  /** The failure came from a saved case (not from generation). */
  readonly fromSaved: boolean;
}

const opened = new Map<string, FailureDatabase>();

function database(dir: string): FailureDatabase {
  const key = path.resolve(dir);
  let db = opened.get(key);
  if (!db) {
    db = openFailureDatabase(dir);
    opened.set(key, db);
  }
  return db;
}

/** A path relative to the working directory when it is inside it (posix separators). */
export function relativeToCwd(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return (rel.startsWith('..') || path.isAbsolute(rel) ? file : rel).split(path.sep).join('/');
}

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Run a property with the failure database in `dir` (none when undefined): its saved cases run
 * first, then `options.examples`, then generated ones.
 */
export function runWithDatabase(
  property: Property<unknown>,
  options: RunOptions,
  dir: string | undefined,
  origin: { readonly test: string; readonly file?: string },
): DatabaseRun {
  if (dir === undefined || options.path) {
    return { result: runProperty(property, options), saved: 0, fromSaved: false };
  }
  const db = database(dir);
  // cases saved on another backend are not run first here: they would make this backend's verdict
  // depend on which backend ran before
  const backend = String(activeBackend());
  const saved: SavedFailure[] = db.load(property.name).filter((s) => s.record.environment.backend === backend);
  const result = runProperty(property, { ...options, examples: [...saved.map((s) => s.inputs), ...(options.examples ?? [])] });
  const written = db.recordRun(result, saved, { origin: { test: origin.test, ...(origin.file ? { file: origin.file } : {}) } });
  return {
    result,
    saved: saved.length,
    ...(written ? { savedTo: shown(written.file) } : {}),
    fromSaved: result.example !== undefined && result.example < saved.length,
  };
}
