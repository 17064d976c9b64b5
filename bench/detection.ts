/**
 * Figure 3: detection power. For each scenario, over 20 seeds: does a search of at most 100 runs
 * find the failure (a broken invariant, not an error), with nanhunt's generators and with a plain
 * `fc.float32Array()` (fast-check's defaults) feeding the same subject and the same invariants?
 *
 * Detection stops at the first failure (`endOnFailure`: no shrinking) and uses checkOnce(), the
 * runner's own per-case step. Two plain rates: any failure (with fast-check's defaults a NaN or
 * ±Infinity input propagates to the output, which "finds" every bug), and failures on finite
 * inputs only (the input itself was fine and the code made the NaN: the bug the scenario is about).
 */
import * as fc from 'fast-check';
import { checkOnce } from '../src/property/runner.ts';
import type { Property } from '../src/property/property.ts';
import { median } from './lib.ts';
import { allInputsFinite, type Scenario } from './scenarios.ts';

export interface DetectionRate {
  /** Seeds whose search found a failure. */
  found: number;
  seeds: number;
  rate: number;
  /** Median runs to the first failure over the seeds that found one. */
  medianRuns: number;
  /** Seeds stopped by the time limit before 100 runs. */
  interrupted: number;
}

export interface DetectionRow {
  scenario: string;
  title: string;
  level: 'tensor' | 'training';
  backend: string;
  runsPerSeed: number;
  unavailable?: string;
  nanhunt?: DetectionRate;
  /** fc.float32Array() with defaults: any failure. */
  plain?: DetectionRate;
  /** fc.float32Array() with defaults: failures on all-finite inputs only. */
  plainFiniteInputs?: DetectionRate;
  plainDescription?: string;
  note?: string;
}

export interface DetectionOptions {
  backend: string;
  /** Seeds per rate (default 20). */
  seeds?: number;
  /** Runs per seed (default 100). */
  runs?: number;
  /** Seeds for training scenarios (default: the same as seeds). */
  trainingSeeds?: number;
  /** Time limit of one seed's search, ms (default 20,000). */
  timeLimitMs?: number;
}

function search(
  prop: Property<unknown>,
  arbitrary: fc.Arbitrary<unknown>,
  seeds: number,
  runs: number,
  timeLimitMs: number,
  finiteOnly: boolean,
): DetectionRate {
  let found = 0;
  let interrupted = 0;
  const toFirst: number[] = [];
  for (let s = 0; s < seeds; s++) {
    const predicate = (inputs: unknown): boolean => {
      if (finiteOnly && !allInputsFinite(inputs)) return true; // not the bug we look for: keep searching
      const { failure } = checkOnce(prop, inputs);
      return failure?.kind !== 'violation';
    };
    const details = fc.check(fc.property(arbitrary, predicate), {
      seed: 0x5eed + s * 7919,
      numRuns: runs,
      endOnFailure: true,
      interruptAfterTimeLimit: timeLimitMs,
    });
    if (details.failed) {
      found++;
      toFirst.push(details.numRuns);
    } else if (details.interrupted) interrupted++;
  }
  return { found, seeds, rate: found / seeds, medianRuns: median(toFirst), interrupted };
}

export function measureDetection(scenario: Scenario, options: DetectionOptions): DetectionRow {
  const runs = options.runs ?? 100;
  const seeds = scenario.level === 'training' ? (options.trainingSeeds ?? options.seeds ?? 20) : (options.seeds ?? 20);
  const limit = options.timeLimitMs ?? 20_000;
  const base = { scenario: scenario.id, title: scenario.title, level: scenario.level, backend: options.backend, runsPerSeed: runs };
  const p = scenario.property;
  if (!p) return { ...base, unavailable: scenario.unavailable ?? 'unavailable' };
  const row: DetectionRow = { ...base, nanhunt: search(p, p.arbitrary, seeds, runs, limit, false) };
  if (scenario.plain) {
    row.plain = search(p, scenario.plain.arbitrary, seeds, runs, limit, false);
    if (scenario.plain.finiteOnly) row.plainFiniteInputs = search(p, scenario.plain.arbitrary, seeds, runs, limit, true);
    row.plainDescription = scenario.plain.description;
  }
  if (scenario.plainNote) row.note = scenario.plainNote;
  return row;
}
