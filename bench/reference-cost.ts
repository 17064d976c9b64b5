/**
 * Figure 5: what an exact-reference check costs next to the op it checks, at 1,024 elements.
 *
 * bench/reference.ts (the reference module's own survey) measures this as a script and exports
 * nothing, so this module measures the same quantities in-process:
 *
 * - op: what a nanhunt run pays per case for the op — make the input tensor, run the op, read the
 *   result back, dispose (bench/reference.ts's definition);
 * - reference: one call of the tiered reference (float64 with error bounds, BigNumber for the few
 *   elements float64 cannot settle) on the same input;
 * - check: the whole `matchesReference` invariant (reference + element-by-element comparison).
 *
 * On two input families: "ordinary" (bench/reference.ts's: logits ~ N(0, 3²), log1p x ~ U(-1, 10))
 * and "nanhunt" (the catalog's generators: float32() for softmax, float32({ min: nextUp(-1) }) for
 * log1p — edge values included, so more elements fall back to BigNumber). Each figure cycles over
 * 16 distinct inputs; op, reference and check batches are interleaved over rounds; medians of CPU
 * time per call (the wall-clock ratio is kept too).
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { matchesReference } from '../src/check/accuracy.ts';
import type { Observation, ReadTensor } from '../src/check/invariant.ts';
import { nextUp } from '../src/core/float32.ts';
import { float32 } from '../src/generate/float32.ts';
import { tensor } from '../src/generate/tensor.ts';
import { tensorValue, type TensorValue } from '../src/core/tensor-value.ts';
import * as reference from '../src/reference/index.ts';
import type { ExactTensor } from '../src/reference/index.ts';
import { median, normal, rng } from './lib.ts';

export type ReferenceOp = 'softmax' | 'log1p';

export interface ReferenceCostOptions {
  backend: string;
  ops?: readonly ReferenceOp[];
  families?: readonly ('ordinary' | 'nanhunt')[];
  elements?: number;
  /** Rounds (default 5). */
  rounds?: number;
  /** Minimum duration of each batch, ms (default 150). */
  batchMs?: number;
  /** Distinct inputs cycled through (default 16). */
  inputs?: number;
}

export interface ReferenceCostRow {
  backend: string;
  op: ReferenceOp;
  family: 'ordinary' | 'nanhunt';
  elements: number;
  /** Microseconds per call, CPU time of this process (median over rounds). */
  opUs: number;
  referenceUs: number;
  checkUs: number;
  /** reference time / op time (CPU time). */
  ratio: number;
  /** The same on wall-clock time. */
  wallRatio: number;
  /** check time / op time (CPU time). */
  checkRatio: number;
  /** Mean elements per call settled by the BigNumber fallback. */
  slowElementsPerCall: number;
  /** Inputs whose check failed (an accuracy finding of the backend; reported, not an error of the bench). */
  checkFailures: number;
}

function inputsFor(op: ReferenceOp, family: 'ordinary' | 'nanhunt', n: number, count: number): TensorValue[] {
  if (family === 'ordinary') {
    const r = rng(op === 'softmax' ? 12345 : 54321);
    const draw = op === 'softmax' ? () => 3 * normal(r) : () => -1 + 11 * r();
    return Array.from({ length: count }, () => tensorValue([n], Float32Array.from({ length: n }, draw)));
  }
  const elements = op === 'softmax' ? float32() : float32({ min: nextUp(-1) });
  return fc.sample(tensor({ shape: [n], elements }), { seed: 4242, numRuns: count });
}

const OPS: Record<ReferenceOp, { op: (x: tf.Tensor) => tf.Tensor; ref: (x: TensorValue) => ExactTensor }> = {
  softmax: { op: (x) => tf.softmax(x), ref: (x) => reference.softmax(x) },
  log1p: { op: (x) => tf.log1p(x), ref: (x) => reference.log1p(x) },
};

interface PerCall {
  /** Wall-clock microseconds per call. */
  wall: number;
  /** Microseconds of this process's CPU time per call (not inflated by other processes). */
  cpu: number;
}

/** Call fn(i) for i = 0, 1, ... until at least ms have passed. */
function perCall(fn: (i: number) => void, ms: number): PerCall {
  let i = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let now = t0;
  do {
    fn(i++);
    now = performance.now();
  } while (now - t0 < ms);
  const cpu = process.cpuUsage(cpu0);
  return { wall: ((now - t0) / i) * 1000, cpu: (cpu.user + cpu.system) / i };
}

export function measureReferenceCost(options: ReferenceCostOptions): ReferenceCostRow[] {
  const n = options.elements ?? 1024;
  const rounds = options.rounds ?? 5;
  const batchMs = options.batchMs ?? 150;
  const count = options.inputs ?? 16;
  const rows: ReferenceCostRow[] = [];
  for (const op of options.ops ?? (['softmax', 'log1p'] as const)) {
    for (const family of options.families ?? (['ordinary', 'nanhunt'] as const)) {
      const { op: run, ref } = OPS[op];
      const xs = inputsFor(op, family, n, count);
      const observations: Observation[] = xs.map((x) => {
        const y = tf.tidy(() => run(tf.tensor(x.data, [...x.shape])));
        const out: ReadTensor = { name: 'output', shape: [...y.shape], dtype: y.dtype, data: (y.dataSync() as Float32Array).slice() };
        y.dispose();
        return { inputs: { x }, outputs: [out], gradients: [], backend: options.backend };
      });
      const invariant = matchesReference(({ x }: { x: TensorValue }) => ref(x), op, { backend: options.backend });
      let slow = 0;
      let refCalls = 0;
      let checkFailures = 0;
      for (const o of observations) if (invariant.check(o)) checkFailures++;
      const opTimes: PerCall[] = [];
      const refTimes: PerCall[] = [];
      const checkTimes: PerCall[] = [];
      const sides = {
        op: () =>
          opTimes.push(
            perCall((i) => {
              const x = xs[i % count]!;
              const t = tf.tensor(x.data, [...x.shape]);
              const y = tf.tidy(() => run(t));
              y.dataSync();
              t.dispose();
              y.dispose();
            }, batchMs),
          ),
        ref: () =>
          refTimes.push(
            perCall((i) => {
              slow += ref(xs[i % count]!).stats.slow;
              refCalls++;
            }, batchMs),
          ),
        check: () => checkTimes.push(perCall((i) => invariant.check(observations[i % count]!), batchMs)),
      };
      const order = ['op', 'ref', 'check'] as const;
      for (const k of order) sides[k](); // warm-up
      opTimes.length = refTimes.length = checkTimes.length = 0;
      slow = refCalls = 0;
      for (let r = 0; r < rounds; r++) for (let k = 0; k < 3; k++) sides[order[(r + k) % 3]!]();
      const cpu = (xs: PerCall[]) => median(xs.map((t) => t.cpu));
      const opUs = cpu(opTimes);
      const referenceUs = cpu(refTimes);
      const checkUs = cpu(checkTimes);
      const wallRatio = median(refTimes.map((t) => t.wall)) / median(opTimes.map((t) => t.wall));
      rows.push({
        backend: options.backend,
        op,
        family,
        elements: n,
        opUs,
        referenceUs,
        checkUs,
        ratio: referenceUs / opUs,
        wallRatio,
        checkRatio: checkUs / opUs,
        slowElementsPerCall: refCalls > 0 ? slow / refCalls : 0,
        checkFailures,
      });
    }
  }
  return rows;
}
