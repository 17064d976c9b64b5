/**
 * Figure 4: leaks and memory over a long run. A softmax property at 64 elements runs 10,000
 * times (in chunks of 1,000 runs with distinct seeds, so memory can be sampled along the way)
 * after a warm-up; tf.memory().numTensors and the process RSS are read at the start and the end,
 * after a garbage collection when node runs with --expose-gc (`npm run bench` does).
 */
import * as tf from '@tensorflow/tfjs';
import { finite } from '../src/check/finite.ts';
import { float32 } from '../src/generate/float32.ts';
import { tensor } from '../src/generate/tensor.ts';
import { property } from '../src/property/property.ts';
import { runProperty } from '../src/property/runner.ts';
import { collectGarbage } from './lib.ts';

/** Goal: RSS grows by less than this fraction over the runs. */
export const RSS_GOAL = 0.05;

export interface MemoryOptions {
  backend: string;
  /** Total runs (default 10,000). */
  runs?: number;
  /** Runs per chunk (default 1,000). */
  chunk?: number;
  /** Warm-up runs before the start reading (default 1,000). */
  warmup?: number;
  /** Elements of the softmax input (default 64). */
  elements?: number;
}

export interface MemorySample {
  runs: number;
  numTensors: number;
  rssMB: number;
  heapUsedMB: number;
}

export interface MemoryRow {
  backend: string;
  property: string;
  runs: number;
  gc: boolean;
  startTensors: number;
  endTensors: number;
  leakedTensors: number;
  startRssMB: number;
  endRssMB: number;
  maxRssMB: number;
  rssGrowth: number;
  startHeapMB: number;
  endHeapMB: number;
  durationMs: number;
  /** Every chunk passed (a failure would stop a chunk early and make the run count wrong). */
  allPassed: boolean;
  samples: MemorySample[];
  goalMet: boolean;
}

const MB = 2 ** 20;

function sample(runs: number): MemorySample {
  collectGarbage();
  const m = process.memoryUsage();
  return { runs, numTensors: tf.memory().numTensors, rssMB: m.rss / MB, heapUsedMB: m.heapUsed / MB };
}

export function measureMemory(options: MemoryOptions): MemoryRow {
  const total = options.runs ?? 10_000;
  const chunk = Math.min(options.chunk ?? 1000, total);
  const n = options.elements ?? 64;
  const prop = property({
    name: `softmax of ${n} elements (bench memory)`,
    inputs: { x: tensor({ shape: [n], elements: float32({ min: -10, max: 10 }) }) },
    subject: ({ x }) => tf.softmax(x),
    invariants: [finite()],
  });
  let allPassed = runProperty(prop, { seed: 1, runs: options.warmup ?? 1000 }).status === 'passed';
  const start = sample(0);
  const samples = [start];
  const t0 = performance.now();
  let done = 0;
  for (let k = 0; done < total; k++) {
    const runs = Math.min(chunk, total - done);
    const r = runProperty(prop, { seed: 100 + k, runs });
    allPassed &&= r.status === 'passed' && r.runs === runs;
    done += runs;
    samples.push(sample(done));
  }
  const durationMs = performance.now() - t0;
  const end = samples[samples.length - 1]!;
  const rssGrowth = end.rssMB / start.rssMB - 1;
  const leaked = end.numTensors - start.numTensors;
  return {
    backend: options.backend,
    property: prop.name,
    runs: done,
    gc: collectGarbage(),
    startTensors: start.numTensors,
    endTensors: end.numTensors,
    leakedTensors: leaked,
    startRssMB: start.rssMB,
    endRssMB: end.rssMB,
    maxRssMB: Math.max(...samples.map((s) => s.rssMB)),
    rssGrowth,
    startHeapMB: start.heapUsedMB,
    endHeapMB: end.heapUsedMB,
    durationMs,
    allPassed,
    samples,
    goalMet: allPassed && leaked === 0 && rssGrowth < RSS_GOAL,
  };
}
