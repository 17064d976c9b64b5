/**
 * The failure database and repro scripts during one `nanhunt check`: saved cases of each property
 * run first, each failure is saved and gets a repro script, and the report says where they went.
 * Problems with the database (an unwritable directory, a corrupt file) are warnings, never fatal.
 *
 * Saved cases record their backend. Only those saved on the backend of this run run first (so the
 * gate's verdict never depends on which backend ran before); a property that passes then replays
 * the cases saved on other backends, and one that fails here too is reported as such — a finding
 * reached only through another backend's case, which the gate does not count.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { serializeValue } from '../core/tensor-value.ts';
import { distinctReproIndex, failureFileName } from '../db/naming.ts';
import * as tf from '@tensorflow/tfjs';
import type { PropertyResult } from '../property/runner.ts';
import type { LoadedProperty } from '../property/load.ts';
import { failureText } from '../property/failure.ts';
import { activeBackend } from '../run/backend.ts';
import { originOf } from '../db/origin.ts';
import { replayFailure } from '../db/replay.ts';
import { VERSION } from '../core/version.ts';
import { reproCommand, writeRepro } from '../report/repro.ts';
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
  /** The backend of the run (default: the active tfjs backend; a browser backend runs in its page, not here). */
  readonly backend?: string;
  /**
   * Replay cases saved on other backends when a property passes (default true). They replay in
   * this process, so a run whose backend is elsewhere (a browser backend) turns it off.
   */
  readonly otherBackends?: boolean;
  /** Flags the replay command needs besides the file (a browser run's emulation: `--webgl-f16`). */
  readonly replayArgs?: readonly string[];
}

interface Outcome {
  failureFile?: string;
  reproFile?: string;
  /** Why no repro script could be written. */
  noRepro?: string;
}

/** A case saved on another backend that fails on this one too, although this run's search passed. */
interface CrossBackend {
  readonly property: string;
  readonly saved: SavedFailure;
  readonly failure: string;
}

export interface FailureSession {
  /**
   * The captured training steps saved in the database (by `nanhunt capture shrink`), each as a
   * property rebuilt from its saved case: check runs them first, so they fail until fixed.
   */
  captured(): LoadedProperty[];
  /** The inputs of the saved failures of `property` on this backend, to pass as runProperty's `examples`. */
  examples(loaded: LoadedProperty): unknown[];
  /** After the property ran: mark saved cases that passed, save the failure, write its repro. */
  record(loaded: LoadedProperty, result: PropertyResult): void;
  /** Lines to print under the failure report of `result`. */
  reportLines(result: PropertyResult): string[];
  /** Closing lines about the database (empty when it played no part). */
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
  const saved = new Map<string, { own: SavedFailure[]; foreign: SavedFailure[] }>();
  const outcomes = new Map<PropertyResult, Outcome>();
  const crossBackend: CrossBackend[] = [];
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
      const backend = options.backend ?? String(activeBackend());
      const own = list.filter((s) => s.record.environment.backend === backend);
      saved.set(property.name, { own, foreign: list.filter((s) => s.record.environment.backend !== backend) });
      return own.map((s) => s.inputs);
    },

    record(loaded, result) {
      const { property, origin } = loaded;
      const outcome: Outcome = {};
      outcomes.set(result, outcome);
      const { own, foreign } = saved.get(property.name) ?? { own: [], foreign: [] };
      replayed += own.length;
      nowPassing += passedExamples(result, own.length);
      if (db) {
        const entry = guard(`save the failure of '${property.name}' in ${shown(db.dir, cwd)}`, () =>
          db.recordRun(result, own, { property, origin: originOf(origin, cwd), globalSeed: options.globalSeed }),
        );
        if (entry) {
          outcome.failureFile = entry.file;
          stored++;
        }
        // its distinct failures, saved by recordRun too, a file each
        for (const f of result.distinct ?? []) {
          if (f.counterexample === undefined) continue;
          const file = path.join(db.dir, failureFileName(f.name, serializeValue(f.counterexample), f.backend));
          if (!existsSync(file)) continue;
          outcomes.set(f, { failureFile: file });
          stored++;
        }
      }
      // cases saved on other backends: replayed here (never marked fixed, never saved as this backend's)
      if (result.status === 'passed' && options.otherBackends !== false) {
        for (const s of foreign) {
          const again = guard(`replay ${shown(s.file, cwd)}`, () => replayFailure(property, s));
          if (again && (again.status === 'failed' || again.status === 'errored') && again.failure) {
            crossBackend.push({ property: property.name, saved: s, failure: failureText(again.failure) });
          }
        }
      }
      if (options.repro !== false) {
        const dir = path.resolve(cwd, options.repro as string);
        // a script per distinct failure: <name>.mjs for the first, <name>.<k>.mjs for the k-th
        const failing = result.status === 'failed' || result.status === 'errored' ? [result, ...(result.distinct ?? [])] : [];
        failing.forEach((f, i) => {
          if (f.counterexample === undefined) return;
          const o = outcomes.get(f) ?? {};
          outcomes.set(f, o);
          const written = guard(`write the repro script of '${property.name}'`, () =>
            writeRepro(dir, {
              property,
              result: f,
              origin,
              writers: [trainingReproWriter, captureReproWriter],
              versions: { tfjs: tf.version.tfjs, nanhunt: VERSION },
              ...(o.failureFile ? { failureFile: shown(o.failureFile, cwd) } : {}),
              distinct: i + 1,
            }),
          );
          if (written?.file) o.reproFile = written.file;
          else if (written && !written.repro.selfContained) o.noRepro = written.repro.reason;
        });
        // scripts of distinct failures an earlier run had and this failing one has not (a passing
        // property keeps its scripts, as it keeps <name>.mjs)
        const stale = failing.length === 0 ? [] : (guard(`list ${shown(dir, cwd)}`, () => (existsSync(dir) ? readdirSync(dir) : [])) ?? []);
        for (const file of stale) {
          const k = distinctReproIndex(property.name, file);
          if (k !== undefined && k > failing.length) guard(`remove ${file}`, () => rmSync(path.join(dir, file), { force: true }));
        }
      }
    },

    reportLines(result) {
      const o = outcomes.get(result);
      const lines: string[] = [];
      if (result.example !== undefined) lines.push('  a saved failure, run first: it still fails');
      if (o?.failureFile) {
        const f = quote(shown(o.failureFile, cwd));
        lines.push(`  saved: ${f} (replay: npx nanhunt replay ${f}${(options.replayArgs ?? []).map((a) => ` ${a}`).join('')})`);
      }
      if (o?.reproFile) lines.push(`  repro: ${reproCommand(o.reproFile)}`);
      else if (o?.noRepro) lines.push(`  repro: no standalone script: ${o.noRepro}; use the replay command above`);
      return lines;
    },

    closingLines() {
      const lines: string[] = [];
      if (db && (replayed > 0 || stored > 0)) {
        const parts: string[] = [];
        if (replayed > 0) {
          parts.push(
            `${replayed} saved case${replayed === 1 ? '' : 's'} run first` +
              (nowPassing > 0 ? ` (${nowPassing} now pass${nowPassing === 1 ? 'es' : ''}: kept, marked fixed, until 'npx nanhunt db prune')` : ''),
          );
        }
        if (stored > 0) parts.push(`${stored} failure${stored === 1 ? '' : 's'} saved`);
        lines.push(`failure database ${shown(db.dir, cwd)}: ${parts.join(', ')}`);
      }
      const backend = options.backend ?? String(activeBackend());
      for (const c of crossBackend) {
        const f = quote(shown(c.saved.file, cwd));
        lines.push(
          `'${c.property}' passed here, but a case saved on backend ${c.saved.record.environment.backend} fails on ${backend} too: ${c.failure}`,
          `  (reached only through that saved case, so the gate does not count it; replay: npx nanhunt replay ${f} --backend ${backend})`,
        );
      }
      return lines;
    },
  };
}
