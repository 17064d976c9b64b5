/**
 * Figure 1: framework overhead — property runs per second through nanhunt against a hand-written
 * fast-check loop that generates the same tensors and calls the same op.
 *
 * Both sides use the same nanhunt arbitrary (so generation is identical, value for value: the
 * same seed in a round gives the same inputs), the same op and the same finiteness check:
 *
 * - nanhunt: `property({ inputs: arb, subject: op, invariants: [finite()] })` + `runProperty()`
 *   (tensor creation, tf.tidy, read-back, leak detection, invariant, result record).
 * - hand loop: `fc.assert(fc.property(arb, (tv) => { t = tf.tensor(tv.data, shape);
 *   y = tf.tidy(() => op(t)); y.dataSync(); check finite; dispose }))`.
 * - generation only: the same fc.assert with a predicate that only returns true — the cost both
 *   sides share, to show what dominates at each size.
 * - nanhunt batched: the same property declared batch-polymorphic (`batch: 'rows'`: softmax over
 *   the last axis, log1p elementwise, matMul batched over a leading axis), so runProperty screens
 *   its generated cases many in one call (src/property/batch.ts); same verdict, same inputs.
 *   Goal: at least {@link BATCHED_GOAL}x the hand loop for softmax at
 *   {@link BATCHED_GOAL_MAX_ELEMENTS} elements or fewer on cpu (the other ops are shown, not judged:
 *   log1p of 16 elements costs little more than generating its input, which batching cannot share).
 * - the batched ceiling: what any batched screening could reach at best — generating the same
 *   cases (the `generation only` side) plus the op once on all of them stacked, [runs, ...shape],
 *   with no framework at all (the stacking itself not timed). The hand loop's time over that sum is
 *   the most a batched run can gain over it; when it is below the goal, the goal is out of reach
 *   on that backend whatever nanhunt does.
 *
 * The three run in the same process, interleaved round by round (the order rotates each round),
 * and each figure is the median over the rounds; the ratio is the median of the per-round ratios
 * nanhunt / hand loop, so a burst of load on the machine hits both sides of one round. The same
 * ratio is also taken on the CPU time of this process (process.cpuUsage), which other processes
 * on a shared machine do not inflate; the goal is judged on that one.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { finite } from '../src/check/finite.ts';
import { float32 } from '../src/generate/float32.ts';
import { tensor } from '../src/generate/tensor.ts';
import type { TensorValue } from '../src/core/tensor-value.ts';
import { property } from '../src/property/property.ts';
import { runProperty } from '../src/property/runner.ts';
import type { Subject } from '../src/run/execute.ts';
import { median, min, max, timeMs } from './lib.ts';

export type OverheadOp = 'softmax' | 'log1p' | 'matMul';
export const OVERHEAD_OPS: readonly OverheadOp[] = ['softmax', 'log1p', 'matMul'];
export const OVERHEAD_SIZES: readonly number[] = [16, 1024, 65536];
/** Goal: nanhunt runs at least this fraction of the hand loop's rate at every size. */
export const OVERHEAD_GOAL = 0.8;
/** Goal: batched nanhunt runs at least this multiple of the hand loop's rate... */
export const BATCHED_GOAL = 3;
/** ...at this many elements or fewer, on cpu, for softmax (the op the goal was set on: one [B, N] call against B calls of [N]). */
export const BATCHED_GOAL_MAX_ELEMENTS = 64;

export interface OverheadOptions {
  backend: string;
  ops?: readonly OverheadOp[];
  sizes?: readonly number[];
  /** Measured rounds per case (odd, for a clean median). Default 9. */
  rounds?: number;
  /** Target duration of one side of one round, in ms. Default 200. */
  roundMs?: number;
}

export interface OverheadRow {
  backend: string;
  op: OverheadOp;
  elements: number;
  /** Shape of each input (matMul: two square matrices of this shape). */
  shape: number[];
  rounds: number;
  runsPerRound: number;
  /** Median runs per second through property() + runProperty(). */
  nanhuntRunsPerSec: number;
  /** Median runs per second of the hand-written fast-check loop. */
  handRunsPerSec: number;
  /** Median runs per second of generation alone (fc.assert with a trivial predicate). */
  generateRunsPerSec: number;
  /** Median over rounds of nanhunt rate / hand rate. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** The same ratio on CPU time of this process instead of wall time (robust to other processes). */
  cpuRatio: number;
  /** Median over rounds of (nanhunt time - hand time) per run, in microseconds. */
  overheadUsPerRun: number;
  /** Share of the hand loop's time spent generating inputs (median over rounds). */
  generateShare: number;
  /** Judged on cpuRatio: equal to the wall ratio on a quiet machine, and not skewed by other processes on a busy one. */
  goalMet: boolean;
  /** Median runs per second of runProperty on the same property declared batch-polymorphic. */
  batchedRunsPerSec: number;
  /** Median over rounds of batched rate / hand rate (the speedup of batching over the hand loop). */
  batchedRatio: number;
  /** The same on CPU time of this process. */
  batchedCpuRatio: number;
  /** The hand loop's CPU time over generation's plus one stacked call of the op's (medians over rounds): the most batching can gain. */
  ceilingCpuRatio: number;
  /** batchedCpuRatio >= BATCHED_GOAL where the goal applies (cpu, softmax, elements <= BATCHED_GOAL_MAX_ELEMENTS); undefined elsewhere. */
  batchedGoalMet?: boolean;
}

interface Case {
  arb: fc.Arbitrary<unknown>;
  shape: number[];
  /** The op on materialized inputs (nanhunt's subject). */
  subject: (inputs: never) => tf.Tensor;
  /** The hand loop's body for one generated value: make tensors, run, read, check, dispose. */
  hand: (value: never) => boolean;
  /** The op once on all the values stacked on a new leading axis (the stacking done before the returned call). */
  stacked: (values: readonly never[]) => () => void;
}

function stack(datas: readonly Float32Array[]): Float32Array {
  const n = datas[0]?.length ?? 0;
  const out = new Float32Array(datas.length * n);
  for (let i = 0; i < datas.length; i++) out.set(datas[i]!, i * n);
  return out;
}

/** Make the tensors, run the op on them, read the result back and dispose of everything. */
function once(inputs: readonly { data: Float32Array; shape: number[] }[], op: (...xs: tf.Tensor[]) => tf.Tensor): () => void {
  return () => {
    const xs = inputs.map((x) => tf.tensor(x.data, x.shape));
    const y = tf.tidy(() => op(...xs));
    y.dataSync();
    for (const x of xs) x.dispose();
    y.dispose();
  };
}

function allFinite(d: ArrayLike<number>): boolean {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return false;
  return true;
}

/** Elements of each op's inputs: inside the op's domain, so no run fails and every run is measured. */
function elementsFor(op: OverheadOp) {
  return op === 'log1p' ? float32({ min: 0, max: 10 }) : float32({ min: -10, max: 10 });
}

export function overheadCase(op: OverheadOp, elements: number): Case {
  if (op === 'matMul') {
    const k = Math.round(Math.sqrt(elements));
    if (k * k !== elements) throw new RangeError(`matMul sizes must be squares, got ${elements}`);
    const shape = [k, k];
    const arb = fc.record({ a: tensor({ shape, elements: elementsFor(op) }), b: tensor({ shape, elements: elementsFor(op) }) });
    return {
      arb,
      shape,
      subject: ((x: { a: tf.Tensor; b: tf.Tensor }) => tf.matMul(x.a, x.b)) as (inputs: never) => tf.Tensor,
      hand: ((v: { a: TensorValue; b: TensorValue }) => {
        const a = tf.tensor(v.a.data, shape);
        const b = tf.tensor(v.b.data, shape);
        const y = tf.tidy(() => tf.matMul(a, b));
        const ok = allFinite(y.dataSync());
        a.dispose();
        b.dispose();
        y.dispose();
        return ok;
      }) as (value: never) => boolean,
      stacked: ((vs: readonly { a: TensorValue; b: TensorValue }[]) => {
        const batch = [vs.length, ...shape];
        const a = { data: stack(vs.map((v) => v.a.data as Float32Array)), shape: batch };
        const b = { data: stack(vs.map((v) => v.b.data as Float32Array)), shape: batch };
        return once([a, b], (x, y) => tf.matMul(x!, y!));
      }) as (values: readonly never[]) => () => void,
    };
  }
  const shape = [elements];
  const fn = op === 'softmax' ? tf.softmax : tf.log1p;
  return {
    arb: tensor({ shape, elements: elementsFor(op) }),
    shape,
    subject: ((x: tf.Tensor) => fn(x)) as (inputs: never) => tf.Tensor,
    hand: ((v: TensorValue) => {
      const t = tf.tensor(v.data, shape);
      const y = tf.tidy(() => fn(t));
      const ok = allFinite(y.dataSync());
      t.dispose();
      y.dispose();
      return ok;
    }) as (value: never) => boolean,
    stacked: ((vs: readonly TensorValue[]) => once([{ data: stack(vs.map((v) => v.data as Float32Array)), shape: [vs.length, ...shape] }], (x) => fn(x!))) as (
      values: readonly never[],
    ) => () => void,
  };
}

type Side = 'nanhunt' | 'batched' | 'hand' | 'generate' | 'raw';

interface Timing {
  /** Wall-clock milliseconds. */
  wall: number;
  /** Milliseconds of CPU time of this process (user + system): less sensitive to other processes' load. */
  cpu: number;
}

/** The property as written (`nanhunt`) and declared batch-polymorphic (`batched`). */
interface Props {
  readonly nanhunt: ReturnType<typeof property>;
  readonly batched: ReturnType<typeof property>;
}

/** Run one side of one round: `runs` cases with `seed`. */
function runSide(side: Side, c: Case, props: Props, seed: number, runs: number): Timing {
  // the raw side times only the stacked call: its inputs are generated and stacked before the clock starts
  const raw = side === 'raw' ? c.stacked(fc.sample(c.arb, { seed, numRuns: runs }) as never[]) : undefined;
  const cpu0 = process.cpuUsage();
  let wall: number;
  if (raw) wall = timeMs(raw);
  else if (side === 'nanhunt' || side === 'batched') {
    let status = '';
    wall = timeMs(() => {
      status = runProperty(props[side], { seed, runs }).status;
    });
    if (status !== 'passed') throw new Error(`overhead bench: the nanhunt side ${status} (it must pass to measure)`);
  } else {
    const body = side === 'hand' ? c.hand : () => true;
    wall = timeMs(() => fc.assert(fc.property(c.arb, body as (v: unknown) => boolean), { seed, numRuns: runs }));
  }
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/** Runs per round so that the hand loop takes about roundMs. */
function calibrate(c: Case, roundMs: number): number {
  let runs = 1;
  for (;;) {
    const ms = runSide('hand', c, undefined as never, 7, runs).wall;
    if (ms >= roundMs / 4 || runs >= 1 << 16) return Math.max(3, Math.round((runs * roundMs) / Math.max(ms, 0.01)));
    runs *= 4;
  }
}

export function measureOverheadCase(backend: string, op: OverheadOp, elements: number, rounds = 9, roundMs = 200): OverheadRow {
  const c = overheadCase(op, elements);
  const definition = { name: `bench overhead ${op} ${elements}`, inputs: c.arb, subject: c.subject as Subject<unknown>, invariants: [finite()] };
  const props: Props = { nanhunt: property<unknown>(definition), batched: property<unknown>({ ...definition, batch: 'rows' }) };
  // warm-up: JIT, kernel caches, the backend's first allocations
  for (const side of ['hand', 'nanhunt', 'batched', 'generate', 'raw'] as const) runSide(side, c, props, 1, 3);
  const runs = calibrate(c, roundMs);
  const rate: Record<Side, number[]> = { nanhunt: [], batched: [], hand: [], generate: [], raw: [] };
  const ceilings: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const batchedRatios: number[] = [];
  const batchedCpuRatios: number[] = [];
  const overheads: number[] = [];
  const shares: number[] = [];
  const orders: Side[][] = [
    ['nanhunt', 'batched', 'hand', 'generate', 'raw'],
    ['hand', 'raw', 'generate', 'nanhunt', 'batched'],
    ['generate', 'batched', 'raw', 'nanhunt', 'hand'],
  ];
  for (let r = 0; r < rounds; r++) {
    const seed = 1000 + r;
    const t: Partial<Record<Side, Timing>> = {};
    for (const side of orders[r % orders.length]!) t[side] = runSide(side, c, props, seed, runs);
    const ms = { nanhunt: t.nanhunt!.wall, batched: t.batched!.wall, hand: t.hand!.wall, generate: t.generate!.wall };
    for (const side of ['nanhunt', 'batched', 'hand', 'generate'] as const) rate[side].push((runs / ms[side]) * 1000);
    ratios.push(ms.hand / ms.nanhunt);
    cpuRatios.push(t.hand!.cpu / Math.max(t.nanhunt!.cpu, 1e-3));
    batchedRatios.push(ms.hand / ms.batched);
    batchedCpuRatios.push(t.hand!.cpu / Math.max(t.batched!.cpu, 1e-3));
    ceilings.push(t.hand!.cpu / Math.max(t.generate!.cpu + t.raw!.cpu, 1e-3));
    overheads.push(((ms.nanhunt - ms.hand) / runs) * 1000);
    shares.push(Math.min(1, ms.generate / ms.hand));
  }
  const ratio = median(ratios);
  return {
    backend,
    op,
    elements,
    shape: c.shape,
    rounds,
    runsPerRound: runs,
    nanhuntRunsPerSec: median(rate.nanhunt),
    handRunsPerSec: median(rate.hand),
    generateRunsPerSec: median(rate.generate),
    ratio,
    ratioMin: min(ratios),
    ratioMax: max(ratios),
    cpuRatio: median(cpuRatios),
    overheadUsPerRun: median(overheads),
    generateShare: median(shares),
    goalMet: median(cpuRatios) >= OVERHEAD_GOAL,
    batchedRunsPerSec: median(rate.batched),
    batchedRatio: median(batchedRatios),
    batchedCpuRatio: median(batchedCpuRatios),
    ceilingCpuRatio: median(ceilings),
    ...(backend === 'cpu' && op === 'softmax' && elements <= BATCHED_GOAL_MAX_ELEMENTS ? { batchedGoalMet: median(batchedCpuRatios) >= BATCHED_GOAL } : {}),
  };
}

/** Figure 1 on the active backend (select it first). */
export function measureOverhead(options: OverheadOptions): OverheadRow[] {
  const rows: OverheadRow[] = [];
  for (const op of options.ops ?? OVERHEAD_OPS) {
    for (const n of options.sizes ?? OVERHEAD_SIZES) {
      rows.push(measureOverheadCase(options.backend, op, n, options.rounds ?? 9, options.roundMs ?? 200));
    }
  }
  return rows;
}
