/**
 * The failure database and repro scripts during one `nanhunt check`: saved cases of each property
 * run first, each failure is saved and gets a repro script, and the report says where they went.
 * Problems with the database (an unwritable directory, a corrupt file) are warnings, never fatal.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PropertyResult } from '../property/runner.ts';
import type { LoadedProperty } from '../property/load.ts';
import { originOf } from '../db/origin.ts';
import { VERSION } from '../core/version.ts';
import { writeRepro } from '../report/repro.ts';
import { trainingReproWriter } from '../train/repro.ts';
import { captureReproWriter } from '../guard/repro.ts';
import { capturePropertyFrom } from '../guard/property.ts';
import { openFailureDatabase, passedExamples, type FailureDatabase, type SavedFailure } from '../db/database.ts';

export interface FailureSessionOptions {
  /** Failure database directory, or false for none. */
  readonly db: string | false;
  /** Directory of repro scripts, or false for none. */
  readonly repro: string | false;
  /** The run's global seed (saved with each failure). */
  readonly globalSeed: number;
  /** Warnings (skipped files, failed writes): one line each. */
  readonly warn: (line: string) => void;
  readonly cwd?: string;
}

interface Outcome {
  failureFile?: string;
  reproFile?: string;
  selfContained?: boolean;
}

export interface FailureSession {
  /**
   * The captured training steps saved in the database (by `nanhunt capture shrink`), each as a
   * property rebuilt from its saved case: check runs them first, so they fail until fixed.
   */
  captured(): LoadedProperty[];
  /** The inputs of the saved failures of `property`, to pass as runProperty's `examples`. */
  examples(loaded: LoadedProperty): unknown[];
  /** After the property ran: mark saved cases that passed, save the failure, write its repro. */
  record(loaded: LoadedProperty, result: PropertyResult): void;
  /** Lines to print under the failure report of `result`. */
  reportLines(result: PropertyResult): string[];
  /** A closing line about the database (empty when it played no part). */
  closingLines(): string[];
}

function shown(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function quote(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function openFailureSession(options: FailureSessionOptions): FailureSession {
  const cwd = options.cwd ?? process.cwd();
  const db: FailureDatabase | undefined = options.db === false ? undefined : openFailureDatabase(options.db, { warn: options.warn, cwd });
  const saved = new Map<string, SavedFailure[]>();
  const outcomes = new Map<PropertyResult, Outcome>();
  let replayed = 0;
  let nowPassing = 0;
  let stored = 0;

  const guard = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      options.warn(`nanhunt: could not ${what}: ${(e as Error).message.split('\n')[0]}`);
      return undefined;
    }
  };

  return {
    captured() {
      if (!db) return [];
      const list = guard(`read the failure database ${shown(db.dir, cwd)}`, () => db.list()) ?? [];
      const out: LoadedProperty[] = [];
      const seen = new Set<string>();
      for (const s of list) {
        const capture = s.record.origin?.capture;
        if (capture === undefined || seen.has(s.property)) continue;
        const property = capturePropertyFrom(s.property, s.inputs);
        if (!property) {
          options.warn(`nanhunt: skipping '${s.property}' in the failure database: its saved inputs are not a captured step`);
          continue;
        }
        seen.add(s.property);
        out.push({
          property: property as LoadedProperty['property'],
          origin: { file: path.resolve(cwd, capture), exportName: 'capture', capture: path.resolve(cwd, capture) },
        });
      }
      return out;
    },

    examples({ property }) {
      if (!db) return [];
      const list = guard(`read the failure database ${shown(db.dir, cwd)}`, () => db.load(property.name)) ?? [];
      saved.set(property.name, list);
      return list.map((s) => s.inputs);
    },

    record({ property, origin }, result) {
      const outcome: Outcome = {};
      outcomes.set(result, outcome);
      const examples = saved.get(property.name) ?? [];
      replayed += examples.length;
      nowPassing += passedExamples(result, examples.length);
      if (db) {
        const entry = guard(`save the failure of '${property.name}' in ${shown(db.dir, cwd)}`, () =>
          db.recordRun(result, examples, { property, origin: originOf(origin, cwd), globalSeed: options.globalSeed }),
        );
        if (entry) {
          outcome.failureFile = entry.file;
          stored++;
        }
      }
      if (options.repro !== false && result.counterexample !== undefined && (result.status === 'failed' || result.status === 'errored')) {
        const written = guard(`write the repro script of '${property.name}'`, () =>
          writeRepro(path.resolve(cwd, options.repro as string), {
            property,
            result,
            origin,
            writers: [trainingReproWriter, captureReproWriter],
            versions: { tfjs: tf.version.tfjs, nanhunt: VERSION },
            ...(outcome.failureFile ? { failureFile: shown(outcome.failureFile, cwd) } : {}),
          }),
        );
        if (written) {
          outcome.reproFile = written.file;
          outcome.selfContained = written.repro.selfContained;
        }
      }
    },

    reportLines(result) {
      const o = outcomes.get(result);
      const lines: string[] = [];
      if (result.example !== undefined) lines.push('  a saved failure, run first: it still fails');
      if (o?.failureFile) {
        const f = quote(shown(o.failureFile, cwd));
        lines.push(`  saved: ${f} (replay: npx nanhunt replay ${f})`);
      }
      if (o?.reproFile) {
        const note = o.selfContained ? '' : ' (the subject calls code defined elsewhere: see the comment in the file)';
        lines.push(`  repro: npx tsx ${quote(shown(o.reproFile, cwd))}${note}`);
      }
      return lines;
    },

    closingLines() {
      if (!db || (replayed === 0 && stored === 0)) return [];
      const parts: string[] = [];
      if (replayed > 0) {
        parts.push(
          `${replayed} saved case${replayed === 1 ? '' : 's'} run first` +
            (nowPassing > 0 ? ` (${nowPassing} now pass${nowPassing === 1 ? 'es' : ''}: kept, marked fixed, until 'npx nanhunt db prune')` : ''),
        );
      }
      if (stored > 0) parts.push(`${stored} failure${stored === 1 ? '' : 's'} saved`);
      return [`failure database ${shown(db.dir, cwd)}: ${parts.join(', ')}`];
    },
  };
}
