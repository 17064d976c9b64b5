/**
 * Benchmark and accuracy survey of the exact references.
 *
 *   npx tsx bench/reference.ts            op time (tfjs cpu) vs reference time, 1,024 elements
 *   npx tsx bench/reference.ts --errors   worst errors of tfjs ops against the references
 *   npx tsx bench/reference.ts --errors --backend wasm
 *   npx tsx bench/reference.ts --errors --backend node
 *
 * Op time includes what a run of nanhunt pays per case: make the input tensor, run the op,
 * read the result back, dispose. Reference time is one call of the reference on the same
 * input (tiered: float64 with error bounds, BigNumber for the few elements it cannot settle).
 * The --errors survey is how the cpu rows of src/reference/tolerances.ts were chosen.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as reference from '../src/reference/index.ts';
import type { ExactTensor } from '../src/reference/index.ts';
import { measureError } from '../src/check/error.ts';
import { normal, rng } from './lib.ts';

const args = process.argv.slice(2);
const backendName = args.includes('--backend') ? args[args.indexOf('--backend') + 1]! : 'cpu';

async function setBackend(name: string): Promise<void> {
  if (name === 'node') {
    const { useBackend } = await import('../src/run/backend.ts');
    await useBackend('node'); // TensorFlow's kernels (@tensorflow/tfjs-node)
    return;
  }
  if (name === 'wasm') {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths(p: string): void };
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  }
  await tf.setBackend(name);
  await tf.ready();
  const b = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in b) b.firstUse = false; // no "install tfjs-node" banner
}

function time(fn: () => void, minMs = 400): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    fn();
    n++;
    now = performance.now();
  }
  return ((now - start) / n) * 1000; // microseconds per call
}

async function bench(): Promise<void> {
  await setBackend(backendName);
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  console.log(
    `nanhunt reference benchmark: ${cores} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, tfjs ${tf.version.tfjs} ${tf.getBackend()}`,
  );
  console.log('N = 1024 elements; op = tensor + op + dataSync + dispose; reference = one tiered reference call\n');
  const r = rng(12345);
  const N = 1024;
  const cases: { name: string; data: Float32Array; op: (x: tf.Tensor) => tf.Tensor; ref: (x: { shape: number[]; data: Float32Array }) => ExactTensor }[] = [
    {
      name: 'softmax, logits ~ N(0, 3^2)',
      data: Float32Array.from({ length: N }, () => 3 * normal(r)),
      op: (x) => tf.softmax(x),
      ref: (x) => reference.softmax(x),
    },
    {
      name: 'softmax, logits ~ N(0, 30^2)',
      data: Float32Array.from({ length: N }, () => 30 * normal(r)),
      op: (x) => tf.softmax(x),
      ref: (x) => reference.softmax(x),
    },
    { name: 'log1p, x ~ U(-1, 10)', data: Float32Array.from({ length: N }, () => -1 + 11 * r()), op: (x) => tf.log1p(x), ref: (x) => reference.log1p(x) },
    {
      name: 'log1p, |x| log-uniform in [1e-30, 1e30]',
      data: Float32Array.from({ length: N }, () => 10 ** (-30 + 60 * r())),
      op: (x) => tf.log1p(x),
      ref: (x) => reference.log1p(x),
    },
  ];
  const rows: string[][] = [['case', 'op us', 'reference us', 'ratio', 'elements past float64 (double-double / exact / BigNumber)']];
  for (const c of cases) {
    const opUs = time(() => {
      const y = tf.tidy(() => c.op(tf.tensor1d(c.data)));
      y.dataSync();
      y.dispose();
    });
    const input = { shape: [N], data: c.data };
    let slow = 0;
    let calls = 0;
    const refUs = time(() => {
      const t = c.ref(input);
      slow += t.stats.slow;
      calls++;
    });
    // A fresh-input estimate of the fallback rate: 200 different inputs of the same distribution.
    let freshSlow = 0;
    for (let k = 0; k < 200; k++) {
      const d = c.data.map((v, i) => Math.fround(v * (1 + 1e-3 * normal(r)) + (i % 7) * 1e-7));
      freshSlow += c.ref({ shape: [N], data: d }).stats.slow;
    }
    rows.push([
      c.name,
      opUs.toFixed(1),
      refUs.toFixed(1),
      `${(refUs / opUs).toFixed(2)}x`,
      `${(slow / calls).toFixed(2)} per call here; ${((freshSlow / (200 * N)) * 100).toFixed(4)}% over 200 fresh inputs`,
    ]);
  }
  // The cost of the slow tiers, for scale: a softmax row whose element needs double-double, and everything in BigNumber.
  const M = 1 + 2 ** -24; // a float32 rounding midpoint
  const hard = Float64Array.from({ length: N }, () => -40 - 10 * r());
  hard[0] = 0;
  hard[1] = Math.log(Math.expm1(M)); // logSumExp of the row is within 1e-15 of M: float64 cannot settle it
  let ddMs = Infinity;
  let hardLse = reference.logSumExp({ shape: [N], data: hard }, null, false, { inputs: 'float64' });
  for (let k = 0; k < 20; k++) {
    const t2 = performance.now();
    hardLse = reference.logSumExp({ shape: [N], data: hard }, null, false, { inputs: 'float64' });
    ddMs = Math.min(ddMs, performance.now() - t2);
  }
  const oneRow = Float32Array.from({ length: N }, () => 3 * normal(r));
  const t0 = performance.now();
  const exactRow = reference.softmax({ shape: [N], data: oneRow }, -1, { mode: 'exact' });
  const exactMs = performance.now() - t0;
  const t1 = performance.now();
  reference.log1p({ shape: [N], data: cases[2]!.data }, { mode: 'exact' });
  const exactLog1pMs = performance.now() - t1;
  printTable(rows);
  console.log(
    `\nslow tiers, for scale: a 1024-row logSumExp needing double-double ${ddMs.toFixed(2)} ms (${hardLse.stats.slow} element); ` +
      `all-BigNumber ('exact' mode, precision 50): softmax of 1024 ${exactMs.toFixed(0)} ms (${exactRow.stats.slow} elements), log1p of 1024 ${exactLog1pMs.toFixed(0)} ms`,
  );
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
}

// ---------------------------------------------------------------------------------------------
// Accuracy survey

type Gen = (r: () => number) => number;
const wide: Gen = (r) => (r() < 0.5 ? -1 : 1) * 2 ** (-149 + 277 * r());
const moderate: Gen = (r) => -20 + 40 * r();
const tiny: Gen = (r) => (r() < 0.5 ? -1 : 1) * 2 ** (-60 + 56 * r());
const positive: Gen = (r) => 2 ** (-149 + 277 * r());
const unit: Gen = (r) => r();

function sample(gens: Gen[], n: number, seed: number, extra: number[] = []): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n + extra.length);
  for (let i = 0; i < n; i++) out[i] = gens[i % gens.length]!(r);
  out.set(extra, n);
  return out;
}

interface Survey {
  name: string;
  worstUlps: number;
  worstAt: string;
  p999Ulps: number;
  worstRoundings: number;
  worstRoundingsOver2Ulps: number;
  elements: number;
  nonFiniteBugs: number;
}

function survey(name: string, got: ArrayLike<number>, exact: ExactTensor, inputs: (i: number) => string): Survey {
  const ulpsList: number[] = [];
  let worstUlps = 0;
  let worstAt = '';
  let worstRoundings = 0;
  let worstRoundingsOver2Ulps = 0;
  let nonFiniteBugs = 0;
  for (let i = 0; i < got.length; i++) {
    const m = measureError(got[i]!, exact.values[i]!, exact.kinds[i]!);
    const mag = exact.magnitude?.[i] ?? Math.abs(exact.values[i]!);
    const roundings = m.ulps === 0 ? 0 : Number.isFinite(m.absError) && mag > 0 ? m.absError / (2 ** -24 * mag) : Infinity;
    ulpsList.push(m.ulps);
    if (m.ulps === Infinity && exact.kinds[i] === 0) nonFiniteBugs++;
    if (m.ulps > worstUlps) {
      worstUlps = m.ulps;
      worstAt = `${inputs(i)} -> got ${got[i]}, exact ${exact.values[i]}`;
    }
    if (roundings > worstRoundings) worstRoundings = roundings;
    if (m.ulps > 2 && roundings > worstRoundingsOver2Ulps) worstRoundingsOver2Ulps = roundings;
  }
  ulpsList.sort((a, b) => a - b);
  return {
    name,
    worstUlps,
    worstAt,
    p999Ulps: ulpsList[Math.floor(ulpsList.length * 0.999)] ?? 0,
    worstRoundings,
    worstRoundingsOver2Ulps,
    elements: got.length,
    nonFiniteBugs,
  };
}

function fmtN(x: number): string {
  if (x === Infinity) return 'Inf';
  if (x === 0) return '0';
  return x >= 1e4 ? x.toExponential(1) : x < 0.01 ? x.toExponential(1) : String(+x.toPrecision(3));
}

async function errors(): Promise<void> {
  await setBackend(backendName);
  console.log(`accuracy of tfjs ${tf.version.tfjs} ${tf.getBackend()} against the exact references`);
  console.log('ulps: float32 ULPs from the correctly rounded answer; roundings: |error| / (2^-24 * condition magnitude)\n');
  const results: Survey[] = [];
  const N = 20000;
  const unaryCases: [string, (x: tf.Tensor) => tf.Tensor, (x: { shape: number[]; data: Float32Array }) => ExactTensor, Gen[], number[]][] = [
    ['exp', tf.exp, (x) => reference.exp(x), [wide, moderate, tiny, (r) => 80 + 10 * r()], [88.72283, 88.7229, -103.97, -87.33, 0, -0]],
    ['expm1', tf.expm1, (x) => reference.expm1(x), [wide, moderate, tiny], [1e-30, -1e-30, 1e-45, 88.72283]],
    ['log', tf.log, (x) => reference.log(x), [positive, (r) => 1 + (r() - 0.5) * 1e-5], [1.4e-45, 1, 3.4e38, 0]],
    ['log1p', tf.log1p, (x) => reference.log1p(x), [wide, tiny, (r) => -1 + r() * 1e-6], [1e-45, -0.9999999, 1e-20]],
    ['sqrt', tf.sqrt, (x) => reference.sqrt(x), [positive], [1.4e-45, 3.4e38, 2]],
    ['rsqrt', tf.rsqrt, (x) => reference.rsqrt(x), [positive], [1.4e-45, 3.4e38, 2]],
    ['sigmoid', tf.sigmoid, (x) => reference.sigmoid(x), [wide, moderate, (r) => -110 + 100 * r()], [17.3287, -103.972, -104, 0]],
    ['logSigmoid', tf.logSigmoid, (x) => reference.logSigmoid(x), [wide, moderate, (r) => -30 + 60 * r()], [13.9, -13.9, 0]],
    ['softplus', tf.softplus, (x) => reference.softplus(x), [wide, moderate, (r) => -30 + 60 * r()], [-13.9, 13.9, 0]],
    ['tanh', tf.tanh, (x) => reference.tanh(x), [wide, moderate, tiny], [9.01, -9.01, 1e-45]],
    ['elu', tf.elu, (x) => reference.elu(x), [wide, moderate, tiny], [-1e-10, -1e-20, -1e-45]],
    ['selu', tf.selu, (x) => reference.selu(x), [wide, moderate, tiny], [-1e-10, -1e-20, -1e-45]],
  ];
  for (const [name, op, ref, gens, extra] of unaryCases) {
    const data = sample(gens, N, name.length * 7919, extra);
    const y = tf.tidy(() => op(tf.tensor1d(data)));
    const got = y.dataSync();
    y.dispose();
    results.push(survey(name, got, ref({ shape: [data.length], data }), (i) => `x = ${data[i]}`));
  }
  {
    const r = rng(99);
    const base = Float32Array.from({ length: N }, () => 2 ** (-10 + 20 * r()));
    const ex = Float32Array.from({ length: N }, () => Math.fround(-30 + 60 * r()));
    const y = tf.tidy(() => tf.pow(tf.tensor1d(base), tf.tensor1d(ex)));
    const got = y.dataSync();
    y.dispose();
    results.push(survey('pow', got, reference.pow(base, ex), (i) => `pow(${base[i]}, ${ex[i]})`));
  }
  // Reductions over rows.
  const rowCases: [string, number, Gen[], (x: tf.Tensor) => tf.Tensor, (x: { shape: number[]; data: Float32Array }) => ExactTensor][] = [
    ['sum', 64, [moderate, wide, (r) => (r() - 0.5) * 1e6], (x) => tf.sum(x, -1), (x) => reference.sum(x, -1)],
    ['mean', 64, [moderate, (r) => (r() - 0.5) * 1e6], (x) => tf.mean(x, -1), (x) => reference.mean(x, -1)],
    ['variance', 64, [moderate, (r) => 1e4 + r()], (x) => tf.moments(x, -1).variance, (x) => reference.moments(x, -1).variance],
    ['norm', 64, [moderate, tiny], (x) => tf.norm(x, 'euclidean', -1), (x) => reference.norm(x, 'euclidean', -1)],
    ['softmax', 32, [moderate, (r) => 30 * normal(r)], (x) => tf.softmax(x), (x) => reference.softmax(x)],
    ['logSoftmax', 32, [moderate, (r) => 30 * normal(r), (r) => (r() < 0.9 ? -40 : 10)], (x) => tf.logSoftmax(x), (x) => reference.logSoftmax(x)],
    ['logSumExp', 32, [moderate, (r) => -50 + 10 * r()], (x) => tf.logSumExp(x, -1), (x) => reference.logSumExp(x, -1)],
  ];
  for (const [name, n, gens, op, ref] of rowCases) {
    const rows = 400;
    const data = sample(gens, rows * n, n * 31 + name.length);
    // make each row come from one generator
    const r = rng(name.length);
    for (let row = 0; row < rows; row++) {
      const g = gens[row % gens.length]!;
      for (let j = 0; j < n; j++) data[row * n + j] = g(r);
    }
    const x = { shape: [rows, n], data };
    const y = tf.tidy(() => op(tf.tensor2d(data, [rows, n])));
    const got = y.dataSync();
    y.dispose();
    results.push(survey(name, got, ref(x), (i) => `row ${name === 'softmax' || name === 'logSoftmax' ? Math.floor(i / n) : i}`));
  }
  {
    const r = rng(5);
    const m = 64;
    const a = Float32Array.from({ length: m * m }, () => moderate(r));
    const b = Float32Array.from({ length: m * m }, () => moderate(r));
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, m]), tf.tensor2d(b, [m, m])));
    const got = y.dataSync();
    y.dispose();
    results.push(survey('matMul', got, reference.matMul({ shape: [m, m], data: a }, { shape: [m, m], data: b }), (i) => `C[${Math.floor(i / m)}, ${i % m}]`));
  }
  // Losses (reduction 'none' to see every element, then the default reduction).
  const lossCases: [
    string,
    Gen,
    Gen,
    (l: tf.Tensor, p: tf.Tensor, red: tf.Reduction) => tf.Tensor,
    (l: { shape: number[]; data: Float32Array }, p: { shape: number[]; data: Float32Array }, red: 'none' | 'sumByNonzeroWeights') => ExactTensor,
  ][] = [
    [
      'meanSquaredError',
      moderate,
      moderate,
      (l, p, red) => tf.losses.meanSquaredError(l, p, undefined, red),
      (l, p, red) => reference.losses.meanSquaredError(l, p, { reduction: red }),
    ],
    [
      'absoluteDifference',
      moderate,
      moderate,
      (l, p, red) => tf.losses.absoluteDifference(l, p, undefined, red),
      (l, p, red) => reference.losses.absoluteDifference(l, p, { reduction: red }),
    ],
    [
      'huberLoss',
      moderate,
      moderate,
      (l, p, red) => tf.losses.huberLoss(l, p, undefined, 1, red),
      (l, p, red) => reference.losses.huberLoss(l, p, { reduction: red }),
    ],
    ['logLoss', unit, unit, (l, p, red) => tf.losses.logLoss(l, p, undefined, 1e-7, red), (l, p, red) => reference.losses.logLoss(l, p, { reduction: red })],
    [
      'hingeLoss',
      (r) => (r() < 0.5 ? 0 : 1),
      moderate,
      (l, p, red) => tf.losses.hingeLoss(l, p, undefined, red),
      (l, p, red) => reference.losses.hingeLoss(l, p, { reduction: red }),
    ],
    [
      'sigmoidCrossEntropy',
      unit,
      (r) => -40 + 80 * r(),
      (l, p, red) => tf.losses.sigmoidCrossEntropy(l, p, undefined, 0, red),
      (l, p, red) => reference.losses.sigmoidCrossEntropy(l, p, { reduction: red }),
    ],
  ];
  for (const [name, gl, gp, op, ref] of lossCases) {
    const rows = 2000;
    const l = sample([gl], rows, 17 + name.length);
    const p = sample([gp], rows, 23 + name.length);
    for (const red of ['none', 'sumByNonzeroWeights'] as const) {
      const y = tf.tidy(() => op(tf.tensor1d(l), tf.tensor1d(p), red === 'none' ? tf.Reduction.NONE : tf.Reduction.SUM_BY_NONZERO_WEIGHTS));
      const got = y.dataSync();
      y.dispose();
      results.push(
        survey(`${name} (${red})`, got, ref({ shape: [rows], data: l }, { shape: [rows], data: p }, red), (i) => `labels ${l[i]}, predictions ${p[i]}`),
      );
    }
  }
  {
    const rows = 500;
    const n = 10;
    const r = rng(77);
    const logits = Float32Array.from({ length: rows * n }, () => 5 * normal(r));
    const labels = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) labels[i * n + Math.floor(r() * n)] = 1;
    const y = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.tensor2d(labels, [rows, n]), tf.tensor2d(logits, [rows, n]), undefined, 0, tf.Reduction.NONE));
    const got = y.dataSync();
    y.dispose();
    results.push(
      survey(
        'softmaxCrossEntropy (none)',
        got,
        reference.losses.softmaxCrossEntropy({ shape: [rows, n], data: labels }, { shape: [rows, n], data: logits }, { reduction: 'none' }),
        (i) => `row ${i}`,
      ),
    );
    const unitRows = new Float32Array(rows * 4);
    const unitPred = new Float32Array(rows * 4);
    for (let i = 0; i < rows; i++) {
      const a = Array.from({ length: 4 }, () => normal(r));
      const b = a.map((v) => v + 0.01 * normal(r));
      const na = Math.hypot(...a);
      const nb = Math.hypot(...b);
      for (let j = 0; j < 4; j++) {
        unitRows[i * 4 + j] = a[j]! / na;
        unitPred[i * 4 + j] = b[j]! / nb;
      }
    }
    const yc = tf.tidy(() => tf.losses.cosineDistance(tf.tensor2d(unitRows, [rows, 4]), tf.tensor2d(unitPred, [rows, 4]), 1, undefined, tf.Reduction.NONE));
    const gotC = yc.dataSync();
    yc.dispose();
    results.push(
      survey(
        'cosineDistance (none)',
        gotC,
        reference.losses.cosineDistance({ shape: [rows, 4], data: unitRows }, { shape: [rows, 4], data: unitPred }, 1, { reduction: 'none' }),
        (i) => `row ${i}`,
      ),
    );
  }
  // One optimizer step on 2,000 variables.
  {
    const n = 2000;
    const r = rng(4242);
    const value = Float32Array.from({ length: n }, () => moderate(r));
    const gradient = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? tiny(r) : i % 3 === 1 ? moderate(r) : normal(r) * 1e-3));
    const v = { shape: [n], data: value };
    const g = { shape: [n], data: gradient };
    const opt: [string, () => tf.Optimizer, () => ExactTensor][] = [
      ['sgd', () => tf.train.sgd(0.1), () => reference.train.sgd({ value: v, gradient: g, learningRate: 0.1 }).value],
      ['momentum', () => tf.train.momentum(0.1, 0.9), () => reference.train.momentum({ value: v, gradient: g, learningRate: 0.1, momentum: 0.9 }).value],
      ['adagrad', () => tf.train.adagrad(0.1), () => reference.train.adagrad({ value: v, gradient: g, learningRate: 0.1 }).value],
      ['adadelta', () => tf.train.adadelta(), () => reference.train.adadelta({ value: v, gradient: g }).value],
      ['adam', () => tf.train.adam(), () => reference.train.adam({ value: v, gradient: g }).value],
      ['adamax', () => tf.train.adamax(), () => reference.train.adamax({ value: v, gradient: g }).value],
      ['rmsprop', () => tf.train.rmsprop(0.01), () => reference.train.rmsprop({ value: v, gradient: g, learningRate: 0.01 }).value],
    ];
    for (const [name, make, ref] of opt) {
      const variable = tf.variable(tf.tensor1d(value), true, `bench_${name}`);
      const o = make();
      const grad = tf.tensor1d(gradient);
      o.applyGradients({ [variable.name]: grad });
      const got = variable.dataSync().slice();
      grad.dispose();
      o.dispose();
      variable.dispose();
      results.push(survey(`train.${name}`, got, ref(), (i) => `value ${value[i]}, gradient ${gradient[i]}`));
    }
  }
  const rows: string[][] = [['op', 'elements', 'worst ulps', 'p99.9 ulps', 'worst roundings', 'worst roundings where ulps > 2', 'NaN/Inf bugs', 'worst case']];
  for (const s of results) {
    rows.push([
      s.name,
      String(s.elements),
      fmtN(s.worstUlps),
      fmtN(s.p999Ulps),
      fmtN(s.worstRoundings),
      fmtN(s.worstRoundingsOver2Ulps),
      String(s.nonFiniteBugs),
      s.worstAt.slice(0, 90),
    ]);
  }
  printTable(rows);
}

if (args.includes('--errors')) await errors();
else await bench();
