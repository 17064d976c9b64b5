/**
 * Standalone repro scripts for a training configuration: one .mjs file that needs only
 * @tensorflow/tfjs, builds the same model from the same seeds, trains it with the same ops in
 * the same order as nanhunt's runner, prints the loss per step and exits 1 at the first step that
 * leaves the loss or a weight non-finite (naming the weight). Run it with `node repro.mjs`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../core/atomic.ts';
import { formatNumber } from '../core/tensor-value.ts';
import { findTrainingConfig, layerPlan, type TrainingConfig } from './config.ts';
import { reproCommand, type ReproWriter } from '../report/repro.ts';
import { BUILTIN_LOSSES, isBuiltinLoss } from './losses.ts';
import { layerArgs } from './model.ts';
import { optimizerSource, prepareGradientSource } from './optimizer.ts';
import { formatTrainingConfig } from './report.ts';

const num = (x: number): string => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : formatNumber(x));
const list = (xs: ArrayLike<number>): string => `[${Array.from(xs, num).join(', ')}]`;

function literal(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${literal(x)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(v);
}

export interface ReproOptions {
  /** Title comment (e.g. the property name). */
  title?: string;
  /** Where the script is written: its Run line names it (default `<this file>`). */
  file?: string;
  /** JavaScript source of the loss, a function (yTrue, yPred) => tf.Tensor, for a user's loss. */
  lossSource?: string;
}

/** The text of a standalone script that reproduces the training run of `config`. */
export function trainingReproScript(config: TrainingConfig, options: ReproOptions = {}): string {
  const plan = layerPlan(config);
  const x = config.data.x;
  const y = config.data.y;
  const layerLines = plan.map((l) => {
    const { kind, args, initializers } = layerArgs(config, l);
    const inits = Object.entries(initializers).map(([k, call]) => `${k}: tf.initializers.${call.name}(${literal(call.args)})`);
    const body = [literal(args).slice(2, -2), ...inits].filter(Boolean).join(', ');
    return `model.add(tf.layers.${kind}({ ${body} }));`;
  });
  let lossSource: string;
  if (options.lossSource) lossSource = `const loss = ${options.lossSource};`;
  else if (isBuiltinLoss(config.loss)) lossSource = `const loss = (yTrue, yPred) => ${BUILTIN_LOSSES[config.loss].source};`;
  else lossSource = `const loss = (yTrue, yPred) => { throw new Error('paste your loss ${JSON.stringify(config.loss)} here'); };`;
  const prep = prepareGradientSource(config.optimizer, config.gradientScale);
  const comment = formatTrainingConfig(config, '// ');
  return `// nanhunt repro${options.title ? `: ${options.title}` : ''}
// Standalone JavaScript (an ES module): it needs only @tensorflow/tfjs (4.22) installed. Run: ${options.file ? reproCommand(options.file) : 'node <this file>'}
// Exit code 1 and a message at the first step whose loss or weights are non-finite; 0 if training stays finite.
${comment.join('\n')}
import * as tf from '@tensorflow/tfjs';

await tf.setBackend(process.env.TFJS_BACKEND ?? 'cpu');
const x = tf.mul(tf.tensor(${list(x.data)}, ${literal([...x.shape])}), tf.tensor1d(${list(config.data.scales)}));
const y = tf.tensor(${list(y.data)}, ${literal([...y.shape])});

const model = tf.sequential();
${layerLines.join('\n')}
const optimizer = ${optimizerSource(config.optimizer)};
${lossSource}
const vars = model.trainableWeights.map((w) => w.read());
const finite = (t) => t.dataSync().every(Number.isFinite);
const STEPS = ${config.steps};
const BATCH = ${config.batchSize};
const rows = x.shape[0];

for (let step = 0; step < STEPS; step++) {
  const idx = Array.from({ length: BATCH }, (_, i) => (step * BATCH + i) % rows);
  const bad = tf.tidy(() => {
    const xb = tf.gather(x, tf.tensor1d(idx, 'int32'));
    const yb = tf.gather(y, tf.tensor1d(idx, 'int32'));
    const { value, grads } = tf.variableGrads(() => {
      const l = loss(yb, model.apply(xb));
      return l.rank === 0 ? l : tf.mean(l);
    }, vars);
    const lossValue = value.dataSync()[0];
    const badGrads = Object.keys(grads).filter((k) => !finite(grads[k]));
    for (const k of Object.keys(grads)) {
      let g = grads[k];
      ${prep || '// (no gradient scaling or clipping)'}
      grads[k] = g;
    }
    optimizer.applyGradients(grads);
    const badWeights = model.trainableWeights.filter((w) => !finite(w.read())).map((w) => w.originalName);
    console.log(\`step \${step + 1}: loss \${lossValue}\`);
    if (!Number.isFinite(lossValue) || badWeights.length > 0 || badGrads.length > 0) {
      return \`step \${step + 1}: loss \${lossValue}; non-finite gradients: \${badGrads.join(', ') || 'none'}; non-finite weights: \${badWeights.join(', ') || 'none'}\`;
    }
    return '';
  });
  if (bad) {
    console.log(\`NON-FINITE at \${bad}\`);
    process.exit(1);
  }
}
console.log(\`training stayed finite for \${STEPS} steps\`);
`;
}

/** Write the script to `file` (directories are created). Returns the absolute path. */
export function writeTrainingRepro(file: string, config: TrainingConfig, options: ReproOptions = {}): string {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeAtomic(abs, trainingReproScript(config, { file: abs, ...options }));
  return abs;
}

/**
 * `nanhunt check` writes a repro script per failure through src/report/repro.ts: for a training
 * configuration built from the model and loss it describes, that script is this one. Pass it in
 * ReproInput.writers.
 */
export const trainingReproWriter: ReproWriter = (input) => {
  const config = findTrainingConfig(input.result.counterexample);
  if (!config) return undefined;
  if (config.model !== undefined || config.loss === 'custom') {
    const what = config.model !== undefined ? `the model factory '${config.model}'` : 'a custom loss';
    return { selfContained: false, reason: `the training run uses ${what} defined in your code, which a standalone script cannot contain` };
  }
  return {
    selfContained: true,
    text: trainingReproScript(config, { title: input.property.name, ...(input.scriptFile ? { file: input.scriptFile } : {}) }),
  };
};
