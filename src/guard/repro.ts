/**
 * Standalone repro scripts of a captured step: a plain ES module (`.mjs`) that needs only
 * @tensorflow/tfjs. It rebuilds the model from its topology (tf.models.modelFromJSON), sets every
 * weight, makes the optimizer and puts its state back exactly, and takes the step as training took
 * it (model.trainOnBatch for fit and guard.minimize — the same train function —, or
 * optimizer.applyGradients of the captured gradients); then it prints the loss and every non-finite
 * value and exits 1 while the failure reproduces, 0 once fixed.
 *
 * Tensors that are all zeros are written as tf.zeros, small ones literally, the others in a binary
 * sidecar next to the script (`<name>.weights.bin`, little-endian, read with node:fs), or — for the
 * repro writer of `nanhunt check`, which writes one file — inline as base64.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../core/atomic.ts';
import { formatData, formatNumber, type TensorValue } from '../core/tensor-value.ts';
import { compactJson } from '../db/record.ts';
import type { ReproWriter } from '../report/repro.ts';
import { describeSymptom, isCaseData, type CaseData, type Symptom } from './case.ts';

/** Tensors with at most this many elements are written literally. */
const LITERAL_LIMIT = 16;

export interface CaptureReproOptions {
  /** File name of the sidecar next to the script; absent: tensors inline as base64. */
  readonly sidecar?: string;
  /** Header lines (title, where it was captured, how it was shrunk). */
  readonly header?: readonly string[];
  /** What the captured step produced (in the header). */
  readonly symptom?: Symptom;
}

export interface CaptureRepro {
  readonly text: string;
  /** The sidecar's bytes (empty when nothing goes to it or tensors are inline). */
  readonly sidecar: Uint8Array;
}

const OPTIMIZERS: Record<string, { fn: string; args: readonly string[] }> = {
  SGD: { fn: 'sgd', args: ['learningRate'] },
  Momentum: { fn: 'momentum', args: ['learningRate', 'momentum', 'useNesterov'] },
  Adam: { fn: 'adam', args: ['learningRate', 'beta1', 'beta2', 'epsilon'] },
  Adamax: { fn: 'adamax', args: ['learningRate', 'beta1', 'beta2', 'epsilon', 'decay'] },
  RMSProp: { fn: 'rmsprop', args: ['learningRate', 'decay', 'momentum', 'epsilon', 'centered'] },
  Adagrad: { fn: 'adagrad', args: ['learningRate', 'initialAccumulatorValue'] },
  Adadelta: { fn: 'adadelta', args: ['learningRate', 'rho', 'epsilon'] },
};

function literal(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  return JSON.stringify(v) ?? 'undefined';
}

function optimizerSource(c: CaseData): string {
  const known = OPTIMIZERS[c.optimizer.className];
  const keys = Object.keys(c.optimizer.config);
  if (known && keys.every((k) => known.args.includes(k))) {
    return `tf.train.${known.fn}(${known.args.map((a) => (a in c.optimizer.config ? literal(c.optimizer.config[a]) : 'undefined')).join(', ')})`;
  }
  return `(([cls, fromConfig]) => fromConfig(cls, ${JSON.stringify(c.optimizer.config)}))(tf.serialization.SerializationMap.getMap().classNameMap[${JSON.stringify(c.optimizer.className)}])`;
}

/** Build the script. */
export function captureReproScript(c: CaseData, options: CaptureReproOptions = {}): CaptureRepro {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const tensor = (t: TensorValue): string => {
    const shape = `[${t.shape.join(', ')}]`;
    const dtype = t.dtype === 'float32' ? '' : `, '${t.dtype}'`;
    if (t.data.every((v) => Object.is(v, 0))) return `tf.zeros(${shape}${dtype})`;
    if (t.data.length <= LITERAL_LIMIT || (t.data.length <= 64 && !c.weights.some((w) => w.value === t))) {
      return `tf.tensor(${t.shape.length === 0 ? formatNumber(t.data[0]!) : formatData(t.shape, t.data, Infinity)}, ${shape}${dtype})`;
    }
    const pad = (8 - (offset % 8)) % 8;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    const at = offset;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    chunks.push(bytes);
    offset += bytes.byteLength;
    return `fromBin(${at}, ${shape}${t.dtype === 'float32' ? '' : `, '${t.dtype}'`})`;
  };

  const weightLines = c.weights.map((w) => `  ${tensor(w.value)}, // ${w.name}`);
  const st = c.optimizer.state;
  const stateLines: string[] = [];
  for (const [k, n] of Object.entries(st.numbers)) {
    if (c.optimizer.config[k] === n) continue; // the constructor set it
    stateLines.push(`optimizer.${k} = ${formatNumber(n)};`);
  }
  for (const [k, v] of Object.entries(st.variables)) stateLines.push(`optimizer.${k}.assign(${tensor(v)});`);
  for (const [k, list] of Object.entries(st.slots)) {
    if (list.length === 0) continue;
    stateLines.push(`optimizer.${k} = [];`);
    list.forEach((s, i) => {
      if (s) stateLines.push(`optimizer.${k}[${i}] = { originalName: ${JSON.stringify(s.name)}, variable: tf.variable(${tensor(s.value)}, false) };`);
    });
  }
  const lossLines =
    c.loss.length === 1
      ? [
          `${c.kind === 'applyGradients' ? '// the loop computed its gradients from this loss\n' : ''}const loss = ${c.loss[0]!.kind === 'name' ? JSON.stringify(c.loss[0]!.name) : c.loss[0]!.source};`,
        ]
      : [`const loss = [`, ...c.loss.map((l) => `  ${l.kind === 'name' ? JSON.stringify(l.name) : l.source},`), '];'];
  const xs = c.inputs.map(tensor);
  const ys = c.targets.map(tensor);
  const one = (list: string[]): string => (list.length === 1 ? list[0]! : `[${list.join(', ')}]`);
  const stepLines: string[] = [];
  if (c.kind === 'applyGradients') {
    stepLines.push(
      '// the step: the gradients the training loop computed, applied by the optimizer',
      'const variableName = (original) => model.weights.find((w) => w.originalName === original).read().name;',
      'optimizer.applyGradients({',
      ...(c.gradients ?? []).map((g) => `  [variableName(${JSON.stringify(g.name)})]: ${tensor(g.value)},`),
      '});',
    );
  } else if (c.sampleWeights && c.sampleWeights.length > 0) {
    stepLines.push(
      '// the step, as model.fit takes it with sample weights (trainOnBatch takes none: its train function is called)',
      'model.compile({ optimizer, loss });',
      `const out = (model.model ?? model).makeTrainFunction()([${[...xs, ...ys, ...c.sampleWeights.map(tensor)].join(', ')}]);`,
      'const lossValue = out[0].dataSync()[0];',
    );
  } else {
    stepLines.push(
      c.kind === 'fit'
        ? '// the step, as model.fit takes it (trainOnBatch runs the same train function)'
        : "// the step guard.minimize took: the mean loss of the training-mode predictions plus regularizer losses (trainOnBatch's train function)",
      'model.compile({ optimizer, loss });',
      `const x = ${one(xs)};`,
      `const y = ${one(ys)};`,
      'const out = await model.trainOnBatch(x, y);',
      'const lossValue = Array.isArray(out) ? out[0] : out;',
    );
  }
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const ch of chunks) {
    bin.set(ch, at);
    at += ch.byteLength;
  }
  const loader =
    offset === 0
      ? []
      : [
          options.sidecar
            ? `const bin = readFileSync(new URL(${JSON.stringify(`./${options.sidecar}`)}, import.meta.url));`
            : `const bin = Buffer.from(${JSON.stringify(Buffer.from(bin).toString('base64'))}, 'base64');`,
          '/** A tensor of the sidecar: little-endian values at a byte offset. */',
          "function fromBin(offset, shape, dtype = 'float32') {",
          '  const size = shape.reduce((a, b) => a * b, 1);',
          "  const bytes = bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + (dtype === 'bool' ? 1 : 4) * size);",
          "  const data = dtype === 'int32' ? new Int32Array(bytes) : dtype === 'bool' ? new Uint8Array(bytes) : new Float32Array(bytes);",
          '  return tf.tensor(data, shape, dtype);',
          '}',
          '',
        ];
  const header = [
    `// nanhunt repro of a captured training step${options.symptom ? `: ${describeSymptom(options.symptom)}` : ''}`,
    ...(options.header ?? []).map((l) => `// ${l}`),
    `// Needs only @tensorflow/tfjs${offset > 0 && options.sidecar ? `; the larger tensors are in ${options.sidecar} next to this file` : ''}.`,
    '// Prints the loss and each non-finite value; exits 1 while the failure reproduces, 0 once fixed.',
  ];
  const text = [
    ...header,
    ...(offset > 0 && options.sidecar ? ["import { readFileSync } from 'node:fs';"] : []),
    "import * as tf from '@tensorflow/tfjs';",
    '',
    ...loader,
    '// the model: its topology as model.toJSON() wrote it, and every weight from before the step',
    `const topology = ${compactJson(c.topology, 120)};`,
    'const model = await tf.models.modelFromJSON(topology);',
    'model.setWeights([',
    ...weightLines,
    ']);',
    '',
    "// the optimizer, and its state before the step, exactly (tfjs's async setWeights would recompute some of it)",
    `const optimizer = ${optimizerSource(c)};`,
    ...stateLines,
    '',
    ...lossLines,
    '',
    ...stepLines,
    '',
    'const bad = [];',
    ...(c.kind === 'applyGradients' ? [] : ['if (!Number.isFinite(lossValue)) bad.push(`the loss is ${lossValue}`);']),
    'for (const w of model.weights) {',
    '  const d = w.read().dataSync();',
    '  const i = d.findIndex((v) => !Number.isFinite(v));',
    '  if (i >= 0) bad.push(`weight ${w.originalName}[${i}] is ${d[i]} after the update (${d.filter((v) => !Number.isFinite(v)).length} of ${d.length} non-finite)`);',
    '}',
    c.kind === 'applyGradients'
      ? `console.log(\`step ${c.step ?? 1} (${c.kind}) on backend \${tf.getBackend()}: gradients applied\`);`
      : `console.log(\`step ${c.step ?? 1} (${c.kind}) on backend \${tf.getBackend()}: loss \${lossValue}\`);`,
    'if (bad.length > 0) {',
    "  console.log(`NON-FINITE: ${bad.join('; ')}`);",
    '  process.exit(1);',
    '}',
    "console.log('the step stays finite: fixed');",
    'process.exit(0);',
    '',
  ].join('\n');
  return { text, sidecar: options.sidecar ? bin : new Uint8Array(0) };
}

/**
 * Write the script and its sidecar (`<script>.weights.bin`, named in the script; none when every
 * tensor is written in the script). Returns their absolute paths.
 */
export function writeCaptureRepro(file: string, c: CaseData, options: Omit<CaptureReproOptions, 'sidecar'> = {}): { script: string; sidecar?: string } {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const name = `${path.basename(abs).replace(/\.m?js$/, '')}.weights.bin`;
  const repro = captureReproScript(c, { ...options, sidecar: name });
  const sidecar = path.join(path.dirname(abs), name);
  if (repro.sidecar.byteLength > 0) writeAtomic(sidecar, repro.sidecar);
  writeAtomic(abs, repro.text);
  return repro.sidecar.byteLength > 0 ? { script: abs, sidecar } : { script: abs };
}

/**
 * `nanhunt check` writes one repro file per failure: for a capture property, this script, with
 * its tensors inline (base64). Pass it in ReproInput.writers.
 */
export const captureReproWriter: ReproWriter = (input) => {
  const c = input.result.counterexample;
  if (!isCaseData(c)) return undefined;
  return { text: captureReproScript(c, { header: [`property '${input.property.name}'`] }).text, selfContained: true };
};
