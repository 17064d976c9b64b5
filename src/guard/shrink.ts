/**
 * Shrinking a captured step while it still fails the same way.
 *
 * "The same way" is the failure's identity: the same non-finite value in the same place (the loss,
 * or the same weight; NaN vs ±Infinity), the same diagnosis (stage, first non-finite layer, first
 * non-finite weight and its cause) and the same kernel where the first non-finite value was born.
 * Every candidate takes the step again (instrumented, with kernel recording) and is kept only when
 * its identity is the captured one's.
 *
 * Passes, repeated until a round changes nothing (or the budget is spent):
 * 1. rows — drop batch rows (halves, quarters, ... single rows) from every input, target and sample
 *    weight at once: the fewest rows that still fail;
 * 2. batch values — set blocks of values to 0, then each value to the first simpler value
 *    (src/shrink's order: 0, ±1, powers of ten, fewer digits) that still fails;
 * 3. weights — the same for every weight of the model: the weights outside the failing path become
 *    0 or simple values, those on it stay exact.
 * The optimizer's state is never changed: it is kept exact.
 */
import { tensorValue, type TensorValue } from '../core/tensor-value.ts';
import { simplerCandidates } from '../shrink/simplify-number.ts';
import type { Stage } from '../train/diagnose.ts';
import { describeSymptom, sameSymptom, type CaseData, type Symptom } from './case.ts';
import { runCaseIdentity } from './identity.ts';
import { ReplayError } from './replay.ts';

/** What makes two failures of a step the same (see the module comment). */
export interface Identity {
  readonly symptom: Symptom;
  readonly stage?: Stage;
  readonly layer?: string;
  readonly weight?: string;
  readonly cause?: string;
  /** The kernel where the first non-finite value was born (its name). */
  readonly born?: string;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return sameSymptom(a.symptom, b.symptom) && a.stage === b.stage && a.layer === b.layer && a.weight === b.weight && a.cause === b.cause && a.born === b.born;
}

export function describeIdentity(i: Identity): string {
  const parts = [describeSymptom(i.symptom)];
  if (i.stage) parts.push(`stage ${i.stage}`);
  if (i.layer) parts.push(`first non-finite layer ${i.layer}`);
  if (i.weight) parts.push(`first non-finite weight ${i.weight} (${i.cause})`);
  if (i.born) parts.push(`born in ${i.born}`);
  return parts.join(', ');
}

export interface ShrinkOptions {
  /** Most steps taken while shrinking (default 4000). */
  readonly maxRuns?: number;
  /** Stop shrinking after this many milliseconds (default 120,000). */
  readonly timeLimitMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface ShrinkStats {
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  /** Batch values (inputs, targets, sample weights) before and after, and how many were simplified. */
  readonly batchValues: number;
  readonly batchSimplified: number;
  readonly weightValues: number;
  /** Weight values set to 0 (they were not 0), and set to another simpler value. */
  readonly weightsZeroed: number;
  readonly weightsSimplified: number;
}

export interface ShrinkResult {
  readonly case: CaseData;
  readonly identity: Identity;
  /** Steps taken (the first one included). */
  readonly runs: number;
  readonly durationMs: number;
  /** The budget ran out before shrinking was done. */
  readonly interrupted: boolean;
  readonly stats: ShrinkStats;
  /** One line: rows, batch values, weights, steps taken. */
  readonly summary: string;
}

/**
 * Simpler values to try for one value (0 excluded for finite values: blocks of zeros were tried
 * first): those within a factor of 10 of it first — a failure usually needs the magnitude — then
 * the others, each list in simplicity order; at most `limit`.
 */
function candidatesFor(v: number, limit: number): number[] {
  const all: number[] = [];
  for (const c of simplerCandidates(v)) {
    if (c === 0 && Number.isFinite(v)) continue;
    all.push(c);
    if (all.length >= 100) break;
  }
  const a = Math.abs(v);
  const near = (c: number): boolean => Number.isFinite(v) && Math.abs(c) >= a / 10 && Math.abs(c) <= a * 10;
  return [...all.filter(near), ...all.filter((c) => !near(c))].slice(0, limit);
}

/** Raised when the case does not fail on this backend: there is nothing to shrink. */
export class NothingToShrinkError extends Error {
  override name = 'NothingToShrinkError';
}

function replaceData(t: TensorValue, data: ArrayLike<number>): TensorValue {
  return tensorValue(t.shape, data, t.dtype);
}

function takeRows(t: TensorValue, keep: readonly number[]): TensorValue {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = new Array<number>(keep.length * row);
  keep.forEach((r, i) => {
    for (let j = 0; j < row; j++) data[i * row + j] = t.data[r * row + j]!;
  });
  return tensorValue([keep.length, ...t.shape.slice(1)], data, t.dtype);
}

type Slot = { get(c: CaseData): TensorValue; set(c: CaseData, t: TensorValue): CaseData; name: string };

function batchSlots(c: CaseData): Slot[] {
  const slots: Slot[] = [];
  const list = (key: 'inputs' | 'targets' | 'sampleWeights', label: string) => {
    (c[key] ?? []).forEach((_, i) => {
      slots.push({
        name: `${label}[${i}]`,
        get: (k) => k[key]![i]!,
        set: (k, t) => ({ ...k, [key]: k[key]!.map((v, j) => (j === i ? t : v)) }),
      });
    });
  };
  list('inputs', 'inputs');
  list('targets', 'targets');
  list('sampleWeights', 'sample weights');
  return slots;
}

function weightSlots(c: CaseData): Slot[] {
  return c.weights.map((w, i) => ({
    name: w.name,
    get: (k) => k.weights[i]!.value,
    set: (k, t) => ({ ...k, weights: k.weights.map((x, j) => (j === i ? { name: x.name, value: t } : x)) }),
  }));
}

/**
 * Shrink a case that fails on the active backend. Throws NothingToShrinkError when it does not
 * fail here, and ReplayError when its step cannot be rebuilt.
 */
export function shrinkCase(original: CaseData, options: ShrinkOptions = {}): ShrinkResult {
  const started = performance.now();
  const maxRuns = options.maxRuns ?? 4000;
  const deadline = started + (options.timeLimitMs ?? 120_000);
  const log = options.log ?? (() => {});
  let runs = 1;
  let target: Identity | undefined;
  try {
    target = runCaseIdentity(original);
  } catch (e) {
    throw new ReplayError(e instanceof Error ? `the captured step throws when taken again: ${e.message.split('\n')[0]}` : String(e));
  }
  if (!target) throw new NothingToShrinkError('the captured step stays finite on this backend: nothing to shrink');
  let current = original;
  let interrupted = false;
  const out = (): boolean => {
    if (runs >= maxRuns || performance.now() > deadline) interrupted = true;
    return interrupted;
  };
  /** Try a candidate: keep it when it fails the same way. */
  const attempt = (candidate: CaseData): boolean => {
    if (out()) return false;
    runs++;
    let id: Identity | undefined;
    try {
      id = runCaseIdentity(candidate);
    } catch {
      id = undefined; // a candidate the model rejects (shape, dtype) is not kept
    }
    if (id && sameIdentity(id, target)) {
      current = candidate;
      return true;
    }
    return false;
  };

  const rowsBefore = original.inputs[0]?.shape[0] ?? 0;

  const rowsPass = (): boolean => {
    let changed = false;
    let n = current.inputs[0]?.shape[0] ?? 0;
    for (let chunk = Math.max(1, Math.floor(n / 2)); chunk >= 1 && n > 1; chunk = Math.floor(chunk / 2)) {
      let start = 0;
      while (start < n && n > 1) {
        const keep = Array.from({ length: n }, (_, i) => i).filter((i) => i < start || i >= start + chunk);
        if (keep.length === 0 || keep.length === n) break;
        const cand: CaseData = {
          ...current,
          inputs: current.inputs.map((t) => takeRows(t, keep)),
          targets: current.targets.map((t) => takeRows(t, keep)),
          ...(current.sampleWeights ? { sampleWeights: current.sampleWeights.map((t) => takeRows(t, keep)) } : {}),
        };
        if (attempt(cand)) {
          changed = true;
          n = keep.length;
        } else start += chunk;
        if (interrupted) return changed;
      }
    }
    return changed;
  };

  /** Set blocks of a tensor's non-zero finite values to 0 (delta debugging), then simplify each value. */
  const valuesPass = (slot: Slot, perValue: number): { zeroed: number; simplified: number } => {
    let zeroed = 0;
    let simplified = 0;
    const data = (): ArrayLike<number> => slot.get(current).data;
    const setMany = (indices: readonly number[], value: (old: number) => number): boolean => {
      const t = slot.get(current);
      const next = Array.from(t.data);
      for (const i of indices) next[i] = value(next[i]!);
      return attempt(slot.set(current, replaceData(t, next)));
    };
    let open = Array.from(data(), (v, i) => ({ v, i }))
      .filter(({ v }) => v !== 0 && Number.isFinite(v))
      .map(({ i }) => i);
    for (let chunk = open.length; chunk >= 1 && open.length > 0 && !interrupted; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
      for (let s = 0; s < open.length && !interrupted; ) {
        const block = open.slice(s, s + chunk);
        if (setMany(block, () => 0)) {
          zeroed += block.length;
          open = open.filter((i) => !block.includes(i));
        } else s += chunk;
      }
      if (chunk === 1) break;
    }
    // each remaining value: the first simpler value that keeps the failure
    for (let i = 0; i < data().length && !interrupted; i++) {
      const v = data()[i]!;
      if (v === 0) continue;
      for (const c of candidatesFor(v, Number.isFinite(v) ? perValue : 1)) {
        if (setMany([i], () => c)) {
          simplified++;
          break;
        }
        if (interrupted) break;
      }
    }
    return { zeroed, simplified };
  };

  let batchSimplified = 0;
  for (let round = 0; round < 4 && !interrupted; round++) {
    const before = runs;
    let changed = rowsPass();
    for (const slot of batchSlots(current)) {
      const r = valuesPass(slot, 12);
      batchSimplified += r.zeroed + r.simplified;
      changed ||= r.zeroed + r.simplified > 0;
    }
    for (const slot of weightSlots(current)) {
      const r = valuesPass(slot, 4);
      changed ||= r.zeroed + r.simplified > 0;
    }
    log(`shrink round ${round + 1}: ${runs - before} steps, rows ${current.inputs[0]?.shape[0] ?? 0}`);
    if (!changed) break;
  }
  const count = (ts: readonly TensorValue[]): number => ts.reduce((a, t) => a + t.data.length, 0);
  let weightsZeroed = 0;
  let weightsSimplified = 0;
  current.weights.forEach((w, i) => {
    const was = original.weights[i]!.value.data;
    w.value.data.forEach((v, j) => {
      if (Object.is(v, was[j])) return;
      if (v === 0) weightsZeroed++;
      else weightsSimplified++;
    });
  });
  const stats: ShrinkStats = {
    rowsBefore,
    rowsAfter: current.inputs[0]?.shape[0] ?? 0,
    batchValues: count([...current.inputs, ...current.targets, ...(current.sampleWeights ?? [])]),
    batchSimplified,
    weightValues: count(current.weights.map((w) => w.value)),
    weightsZeroed,
    weightsSimplified,
  };
  const summary =
    `rows ${stats.rowsBefore} → ${stats.rowsAfter}; ${stats.batchSimplified} batch value${stats.batchSimplified === 1 ? '' : 's'} simplified (${stats.batchValues} left); ` +
    `weights: ${stats.weightsZeroed} of ${stats.weightValues} values set to 0, ${stats.weightsSimplified} simplified, the rest exact; optimizer state exact; ` +
    `${runs} steps taken${interrupted ? ' (budget spent: not fully shrunk)' : ''}`;
  return { case: current, identity: target, runs, durationMs: performance.now() - started, interrupted, stats, summary };
}
