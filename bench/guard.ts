/**
 * The guard's overhead per training step (goal: < 5% on a small dense model).
 *
 * Two copies of a small dense model (16 → 32 relu → 32 relu → 1, Adam, mean squared error, batch
 * 32, 256 rows: 8 steps per epoch) are trained with model.fit, one with the guard and one with a
 * no-op callback, one epoch each in turn (the order alternates every pair; 5 pairs of warm-up).
 * The overhead is the median over pairs of the guarded / plain ratio of wall time and of process
 * CPU time: pairs run back to back, so the drift of a shared machine hits both alike. The goal is
 * judged on CPU time, which other processes on a shared machine inflate less than wall time. A third
 * figure does not compare two runs at all: the guard times its own work around each step
 * (guard.timing: keeping the state, reading and checking the loss) against the step itself.
 * Variants: the default guard (the loss checked every step, the last 2 steps kept) and
 * checkEvery: 1 (every weight and gradient checked every step too); and a custom loop,
 * optimizer.minimize against guard.minimize. The runs stay finite: this measures the watching.
 *
 *   npx tsx bench/guard.ts [--backends cpu,wasm] [--pairs 101]
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { nanGuard, type GuardOptions } from '../src/guard/guard.ts';
import { useBackend } from '../src/run/backend.ts';
import { stepLoss } from '../src/guard/step.ts';

export const GUARD_GOAL = 0.05;

export interface GuardRow {
  backend: string;
  variant: string;
  /** Median ms per step without and with the guard (wall). */
  plainMs: number;
  guardedMs: number;
  /** guarded / plain - 1, on wall time and on CPU time. */
  overhead: number;
  cpuOverhead: number;
  /** The guard's own time per step / the step's time, timed inside the guarded run (guard.timing). */
  selfShare: number;
  rounds: number;
  stepsPerRound: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function makeModel(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 32, inputShape: [16], activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

/** The plain run's callback: a no-op tf.Callback, so both runs have the same callback machinery (a config-object callback would make fit yield to the event loop). */
class Noop extends tf.Callback {}

/** One side of a comparison: a model set up once, then one epoch (8 steps) per call. */
interface Side {
  epoch(): Promise<void>;
  /** The guard's own time per step over the step's (guard.timing), when guarded. */
  share?(): number;
  dispose(): void;
}
type Setup = (guarded: boolean) => Side;

function fitSetup(x: tf.Tensor, y: tf.Tensor, options: GuardOptions): Setup {
  return (guarded) => {
    const model = makeModel();
    const guard = guarded ? nanGuard(model, { ...options, log: false }) : undefined;
    const callbacks = [guard ?? new Noop()];
    return {
      async epoch() {
        await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0, callbacks });
        if (guard?.detected) throw new Error('bench: the run went non-finite');
      },
      ...(guard ? { share: () => guard.timing.guardMs / guard.timing.stepMs } : {}),
      dispose() {
        guard?.detach();
        const opt = model.optimizer;
        model.dispose();
        opt.dispose();
      },
    };
  };
}

function loopSetup(x: tf.Tensor, y: tf.Tensor): Setup {
  const loss = (a: tf.Tensor, b: tf.Tensor) => tf.losses.meanSquaredError(a, b);
  return (guarded) => {
    const model = makeModel();
    const optimizer = tf.train.adam(1e-3);
    const guard = guarded ? nanGuard(model, { optimizer, loss, log: false }) : undefined;
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batches = Array.from({ length: 8 }, (_, i) => [x.slice([i * 32], [32]), y.slice([i * 32], [32])] as const);
    return {
      async epoch() {
        for (const [xb, yb] of batches) {
          if (guard) guard.minimize(xb, yb);
          else tf.tidy(() => optimizer.minimize(() => stepLoss(model, [loss], [xb], [yb]), true, vars)!.dataSync()[0]);
        }
      },
      ...(guard ? { share: () => guard.timing.guardMs / guard.timing.stepMs } : {}),
      dispose() {
        guard?.detach();
        model.dispose();
        optimizer.dispose();
        tf.dispose(batches.flat());
      },
    };
  };
}

interface Comparison {
  plain: number[];
  guarded: number[];
  /** guarded / plain of each pair of epochs run back to back, wall and CPU time. */
  ratios: number[];
  cpuRatios: number[];
  /** The guard's own time / the steps' time, measured inside the guarded run. */
  share: number;
}

async function timed(side: Side): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await side.epoch();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** Alternate epochs of the two sides (order flipped every pair): the machine's drift hits both alike. */
async function compare(setup: Setup, pairs: number): Promise<Comparison> {
  const plain = setup(false);
  const guarded = setup(true);
  try {
    for (let i = 0; i < 5; i++) {
      // warm-up: kernels, layers' and the guard's code paths
      await plain.epoch();
      await guarded.epoch();
    }
    const out: Comparison = { plain: [], guarded: [], ratios: [], cpuRatios: [], share: Number.NaN };
    for (let r = 0; r < pairs; r++) {
      let p: { wallMs: number; cpuMs: number };
      let g: { wallMs: number; cpuMs: number };
      if (r % 2) {
        g = await timed(guarded);
        p = await timed(plain);
      } else {
        p = await timed(plain);
        g = await timed(guarded);
      }
      out.plain.push(p.wallMs / 8);
      out.guarded.push(g.wallMs / 8);
      out.ratios.push(g.wallMs / p.wallMs);
      out.cpuRatios.push(g.cpuMs / p.cpuMs);
    }
    out.share = guarded.share?.() ?? Number.NaN;
    return out;
  } finally {
    plain.dispose();
    guarded.dispose();
  }
}

export async function measureGuard(options: { backends?: readonly string[]; pairs?: number } = {}): Promise<GuardRow[]> {
  const rows: GuardRow[] = [];
  const pairs = options.pairs ?? 101;
  for (const backend of options.backends ?? ['cpu', 'wasm']) {
    await useBackend(backend);
    const x = tf.randomUniform([256, 16], -1, 1, 'float32', 1);
    const y = tf.randomUniform([256, 1], -1, 1, 'float32', 2);
    const variants: [string, Setup][] = [
      ['model.fit, default guard (loss every step, 2 steps kept)', fitSetup(x, y, {})],
      ['model.fit, checkEvery: 1 (weights and gradients every step)', fitSetup(x, y, { checkEvery: 1 })],
      ['custom loop: guard.minimize vs optimizer.minimize of the same loss', loopSetup(x, y)],
    ];
    for (const [variant, setup] of variants) {
      const m = await compare(setup, pairs);
      rows.push({
        backend,
        variant,
        plainMs: median(m.plain),
        guardedMs: median(m.guarded),
        overhead: median(m.ratios) - 1,
        cpuOverhead: median(m.cpuRatios) - 1,
        selfShare: m.share,
        rounds: pairs,
        stepsPerRound: 8,
      });
    }
    tf.dispose([x, y]);
  }
  return rows;
}

export function formatGuard(rows: readonly GuardRow[]): string {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const lines = [
    `guard overhead per training step: 16 → 32 → 32 → 1 dense model, Adam, batch 32 (goal: < ${GUARD_GOAL * 100}% CPU time for the default guard)`,
    `${'backend'.padEnd(8)}${'variant'.padEnd(68)}${'plain ms/step'.padStart(14)}${'guarded'.padStart(10)}${'overhead'.padStart(10)}${'CPU time'.padStart(10)}${'own time'.padStart(10)}  goal`,
  ];
  for (const r of rows) {
    const isDefault = r.variant.startsWith('model.fit, default');
    lines.push(
      `${r.backend.padEnd(8)}${r.variant.padEnd(68)}${r.plainMs.toFixed(3).padStart(14)}${r.guardedMs.toFixed(3).padStart(10)}${pct(r.overhead).padStart(10)}${pct(r.cpuOverhead).padStart(10)}${pct(r.selfShare).padStart(10)}  ${isDefault ? (r.cpuOverhead < GUARD_GOAL ? 'met' : 'MISSED') : '-'}`,
    );
  }
  lines.push(
    `(${rows[0]?.rounds ?? 0} pairs of epochs of ${rows[0]?.stepsPerRound ?? 0} steps, order alternating; ms/step: medians; overhead: median of the per-pair ratios)`,
  );
  return lines.join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const backends = (arg('backends') ?? 'cpu,wasm').split(',');
  console.log(`nanhunt guard bench · tfjs ${tf.version.tfjs} · node ${process.version} · ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log('');
  const rows = await measureGuard({ backends, pairs: Number(arg('pairs') ?? 101) });
  console.log(formatGuard(rows));
  process.stdout.write('', () => process.exit(0));
}
