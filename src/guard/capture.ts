/**
 * Capture files: a captured training step on disk (format 1, documented in docs/guard.md).
 *
 * `<name>.capture.json` is readable JSON: what was detected and where, the environment, the model's
 * topology, the optimizer's class, config and state, the loss, and every tensor of the step as a
 * reference. Tensors of up to 64 elements are written inline (`values`, with NaN, ±Infinity and -0
 * as strings); larger ones live in the binary sidecar `<name>.capture.bin` (little-endian float32 /
 * int32 / uint8 at `offset`, 8-byte aligned), whose size and SHA-256 the JSON records. The sidecar
 * is written first and the JSON last, both atomically (src/core/atomic.ts): a reader sees a whole
 * capture or none, and a JSON whose sidecar does not match is reported, never half-read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../core/atomic.ts';
import { InputError } from '../core/errors.ts';
import { formatNumber, sizeOf, tensorValue, type DType, type TensorValue } from '../core/tensor-value.ts';
import { slugify } from '../db/naming.ts';
import { compactJson } from '../db/record.ts';
import { caseTensors, mapCase, STEP_KINDS, valueName, type CaseData, type StepKind, type Symptom } from './case.ts';
import type { LossSpec } from './loss.ts';
import type { OptimizerState } from './optimizer-state.ts';

export const CAPTURE_MARKER = 'capture';
export const CAPTURE_FORMAT = 1;
/** Where captures go, relative to the working directory. */
export const DEFAULT_CAPTURE_DIR = path.join('.nanhunt', 'captures');
/** Tensors with more elements than this go to the sidecar. */
export const INLINE_LIMIT = 64;

/** A tensor in a capture file: inline values, or a place in the sidecar. */
export type TensorRef =
  | { readonly shape: readonly number[]; readonly dtype: DType; readonly values: readonly (number | string)[] }
  | { readonly shape: readonly number[]; readonly dtype: DType; readonly offset: number };

export interface CaptureEnvironment {
  readonly backend: string;
  readonly tfjs: string;
  readonly nanhunt: string;
  readonly node?: string;
  readonly platform?: string;
}

/** What the guard saw, and the step it captured. */
export interface CaptureInfo {
  /** 1-based number of the captured step among the steps the guard watched. */
  readonly step: number;
  /** 1-based epoch and batch within it, when the step came from fit / fitDataset with the guard as a callback. */
  readonly epoch?: number;
  readonly batch?: number;
  readonly model: string;
  /** What the captured step produced, as the guard saw it. */
  readonly symptom: Symptom;
  /** Where the guard noticed (a later step when the non-finite value showed only then). */
  readonly detected: { readonly step: number; readonly what: 'loss' | 'weight' | 'gradient'; readonly name?: string; readonly value: number };
  /** Remarks (for example: the weights were already non-finite before the oldest step kept). */
  readonly notes: readonly string[];
  /** Losses of the steps before it that the guard kept (oldest first). */
  readonly losses: readonly number[];
  /** Set on a shrunk capture: the capture it was shrunk from and how. */
  readonly shrunk?: { readonly from: string; readonly runs: number; readonly summary: string };
}

export interface Capture {
  readonly created: string;
  readonly environment: CaptureEnvironment;
  readonly info: CaptureInfo;
  readonly case: CaseData;
}

/** A capture file that cannot be used: one line, exit 2. */
export class CaptureFileError extends InputError {
  override name = 'CaptureFileError';
}

// ---------------------------------------------------------------------------------------------
// writing

function numberJson(v: number): number | string {
  return Number.isFinite(v) && !Object.is(v, -0) ? v : formatNumber(v);
}

function bytesOf(t: TensorValue): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** `.nanhunt/captures/sequential-1-step38-1a2b3c.capture.json` */
export function captureFileName(dir: string, model: string, step: number): string {
  return path.join(dir, `${slugify(model)}-step${step}-${randomBytes(3).toString('hex')}.capture.json`);
}

/** The sidecar of a capture file: `x.capture.json` → `x.capture.bin`. */
export function sidecarOf(file: string): string {
  return `${file.replace(/\.json$/, '')}.bin`;
}

function symptomJson(s: Symptom): Record<string, unknown> {
  return s.what === 'loss' ? { what: 'loss', value: valueName(s.value) } : { ...s, value: valueName(s.value) };
}

/**
 * Write a capture (sidecar first, then the JSON; both atomic). Returns the absolute path of the JSON.
 */
export function writeCapture(file: string, capture: Capture): string {
  const abs = path.resolve(file);
  if (!abs.endsWith('.capture.json')) throw new RangeError(`a capture file ends in .capture.json: ${file}`);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const refs = mapCase(capture.case, (t): TensorRef => {
    if (t.data.length <= INLINE_LIMIT) return { shape: [...t.shape], dtype: t.dtype, values: Array.from(t.data, numberJson) };
    const pad = (8 - (offset % 8)) % 8;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    const ref = { shape: [...t.shape], dtype: t.dtype, offset };
    const bytes = bytesOf(t);
    chunks.push(bytes);
    offset += bytes.byteLength;
    return ref;
  });
  const sidecar = sidecarOf(abs);
  let sidecarInfo: { file: string; bytes: number; sha256: string } | undefined;
  if (offset > 0) {
    const all = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.byteLength;
    }
    writeAtomic(sidecar, all);
    sidecarInfo = { file: path.basename(sidecar), bytes: offset, sha256: createHash('sha256').update(all).digest('hex') };
  }
  const info = capture.info;
  const doc = {
    nanhunt: CAPTURE_MARKER,
    format: CAPTURE_FORMAT,
    created: capture.created,
    environment: capture.environment,
    step: info.step,
    ...(info.epoch !== undefined ? { epoch: info.epoch } : {}),
    ...(info.batch !== undefined ? { batchInEpoch: info.batch } : {}),
    model: info.model,
    kind: capture.case.kind,
    symptom: symptomJson(info.symptom),
    detected: { ...info.detected, value: valueName(info.detected.value) },
    notes: info.notes,
    losses: info.losses.map(numberJson),
    ...(info.shrunk ? { shrunk: info.shrunk } : {}),
    loss: capture.case.loss,
    optimizer: {
      className: refs.optimizer.className,
      config: refs.optimizer.config,
      state: { ...refs.optimizer.state, numbers: Object.fromEntries(Object.entries(refs.optimizer.state.numbers).map(([k, v]) => [k, numberJson(v)])) },
    },
    batch: {
      inputs: refs.inputs,
      targets: refs.targets,
      ...(refs.sampleWeights ? { sampleWeights: refs.sampleWeights } : {}),
    },
    ...(refs.gradients ? { gradients: refs.gradients } : {}),
    weights: refs.weights,
    ...(sidecarInfo ? { sidecar: sidecarInfo } : {}),
    topology: capture.case.topology,
  };
  writeAtomic(abs, `${compactJson(doc)}\n`);
  return abs;
}

// ---------------------------------------------------------------------------------------------
// reading

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === '-0') return -0;
    if (v === 'NaN') return Number.NaN;
    if (v === '+Infinity' || v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const x = Number(v);
    if (!Number.isNaN(x)) return x;
  }
  throw new CaptureFileError(`malformed capture: ${what} is not a number (${JSON.stringify(v)})`);
}

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];
const BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

function readTensor(ref: unknown, what: string, bin: Uint8Array | undefined): TensorValue {
  if (!isObject(ref) || !Array.isArray(ref.shape) || !DTYPES.includes(ref.dtype as DType)) {
    throw new CaptureFileError(`malformed capture: ${what} needs shape and dtype`);
  }
  const shape = ref.shape as number[];
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CaptureFileError(`malformed capture: ${what} has a bad shape`);
  const dtype = ref.dtype as DType;
  const n = sizeOf(shape);
  if (Array.isArray(ref.values)) {
    if (ref.values.length !== n) throw new CaptureFileError(`malformed capture: ${what} has ${ref.values.length} values for shape [${shape.join(', ')}]`);
    return tensorValue(
      shape,
      ref.values.map((v, i) => parseNumber(v, `${what}[${i}]`)),
      dtype,
    );
  }
  if (typeof ref.offset !== 'number' || !Number.isInteger(ref.offset) || ref.offset < 0) {
    throw new CaptureFileError(`malformed capture: ${what} has neither values nor an offset into the sidecar`);
  }
  if (!bin) throw new CaptureFileError(`malformed capture: ${what} is in a sidecar the file does not name`);
  const bytes = n * BYTES[dtype];
  if (ref.offset + bytes > bin.byteLength) throw new CaptureFileError(`the sidecar is too short for ${what} (truncated?)`);
  const copy = bin.slice(ref.offset, ref.offset + bytes);
  const data = dtype === 'float32' ? new Float32Array(copy.buffer) : dtype === 'int32' ? new Int32Array(copy.buffer) : new Uint8Array(copy.buffer);
  return tensorValue(shape, data, dtype);
}

function readSymptom(x: unknown): Symptom {
  if (!isObject(x)) throw new CaptureFileError('malformed capture: "symptom" is missing');
  if (x.what === 'loss') return { what: 'loss', value: parseNumber(x.value, 'symptom.value') };
  if (x.what === 'weight' && typeof x.name === 'string') {
    return { what: 'weight', name: x.name, value: parseNumber(x.value, 'symptom.value'), count: Number(x.count ?? 1), size: Number(x.size ?? 1) };
  }
  throw new CaptureFileError('malformed capture: "symptom.what" must be "loss" or "weight" (with a name)');
}

function readLoss(x: unknown): LossSpec[] {
  if (!Array.isArray(x) || x.length === 0) throw new CaptureFileError('malformed capture: "loss" must be a non-empty list');
  return x.map((l, i) => {
    if (isObject(l) && l.kind === 'name' && typeof l.name === 'string') return { kind: 'name', name: l.name };
    if (isObject(l) && l.kind === 'source' && typeof l.source === 'string') {
      return typeof l.problem === 'string' ? { kind: 'source', source: l.source, problem: l.problem } : { kind: 'source', source: l.source };
    }
    throw new CaptureFileError(`malformed capture: loss[${i}] must be {kind: "name", name} or {kind: "source", source}`);
  });
}

/** Read and validate a capture file (and its sidecar). Throws a CaptureFileError with one short reason. */
export function readCapture(file: string): Capture {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaptureFileError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a capture file' : `cannot read it (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CaptureFileError(`not valid JSON (${(e as Error).message.split('\n')[0]}): truncated or corrupt`);
  }
  if (!isObject(json) || json.nanhunt !== CAPTURE_MARKER) throw new CaptureFileError('not a nanhunt capture file (no "nanhunt": "capture" field)');
  if (typeof json.format !== 'number') throw new CaptureFileError('malformed capture: "format" is missing');
  if (json.format > CAPTURE_FORMAT) throw new CaptureFileError(`written by a newer nanhunt (format ${json.format}; this one reads format ${CAPTURE_FORMAT})`);
  if (!STEP_KINDS.includes(json.kind as StepKind)) throw new CaptureFileError(`malformed capture: "kind" must be one of ${STEP_KINDS.join(', ')}`);
  if (!isObject(json.topology)) throw new CaptureFileError('malformed capture: "topology" is missing');
  if (!isObject(json.environment) || typeof json.environment.backend !== 'string')
    throw new CaptureFileError('malformed capture: "environment.backend" is missing');
  if (!Number.isInteger(json.step)) throw new CaptureFileError('malformed capture: "step" must be an integer');
  let bin: Uint8Array | undefined;
  if (json.sidecar !== undefined) {
    const s = json.sidecar;
    if (!isObject(s) || typeof s.file !== 'string' || typeof s.bytes !== 'number')
      throw new CaptureFileError('malformed capture: "sidecar" needs file and bytes');
    const where = path.join(path.dirname(path.resolve(file)), path.basename(s.file));
    try {
      bin = new Uint8Array(readFileSync(where));
    } catch {
      throw new CaptureFileError(`its sidecar ${path.basename(s.file)} is missing (copy it along with the .json)`);
    }
    if (bin.byteLength !== s.bytes) throw new CaptureFileError(`its sidecar ${path.basename(s.file)} has ${bin.byteLength} bytes, the capture says ${s.bytes}`);
    if (typeof s.sha256 === 'string' && createHash('sha256').update(bin).digest('hex') !== s.sha256) {
      throw new CaptureFileError(`its sidecar ${path.basename(s.file)} does not match the capture (SHA-256 differs)`);
    }
  }
  const t = (ref: unknown, what: string): TensorValue => readTensor(ref, what, bin);
  const opt = json.optimizer;
  if (!isObject(opt) || typeof opt.className !== 'string' || !isObject(opt.config) || !isObject(opt.state)) {
    throw new CaptureFileError('malformed capture: "optimizer" needs className, config and state');
  }
  const st = opt.state;
  const state: OptimizerState<TensorValue> = {
    numbers: Object.fromEntries(Object.entries(isObject(st.numbers) ? st.numbers : {}).map(([k, v]) => [k, parseNumber(v, `optimizer.state.numbers.${k}`)])),
    variables: Object.fromEntries(Object.entries(isObject(st.variables) ? st.variables : {}).map(([k, v]) => [k, t(v, `optimizer.${k}`)])),
    slots: Object.fromEntries(
      Object.entries(isObject(st.slots) ? st.slots : {}).map(([k, list]) => {
        if (!Array.isArray(list)) throw new CaptureFileError(`malformed capture: optimizer slots '${k}' must be a list`);
        return [
          k,
          list.map((s, i) => {
            if (s === null) return null;
            if (!isObject(s) || typeof s.name !== 'string') throw new CaptureFileError(`malformed capture: optimizer.${k}[${i}] needs a name`);
            return { name: s.name, value: t(s.value, `optimizer.${k}[${i}]`) };
          }),
        ];
      }),
    ),
  };
  const named = (list: unknown, what: string) => {
    if (!Array.isArray(list)) throw new CaptureFileError(`malformed capture: "${what}" must be a list`);
    return list.map((w, i) => {
      if (!isObject(w) || typeof w.name !== 'string') throw new CaptureFileError(`malformed capture: ${what}[${i}] needs a name`);
      return { name: w.name, value: t(w.value, `${what}.${w.name}`) };
    });
  };
  const batch = json.batch;
  if (!isObject(batch) || !Array.isArray(batch.inputs) || !Array.isArray(batch.targets)) {
    throw new CaptureFileError('malformed capture: "batch" needs inputs and targets');
  }
  const c: CaseData = {
    kind: json.kind as StepKind,
    step: json.step as number,
    topology: json.topology,
    weights: named(json.weights, 'weights'),
    optimizer: { className: opt.className, config: opt.config, state },
    loss: readLoss(json.loss),
    inputs: batch.inputs.map((r, i) => t(r, `batch.inputs[${i}]`)),
    targets: batch.targets.map((r, i) => t(r, `batch.targets[${i}]`)),
    ...(Array.isArray(batch.sampleWeights) ? { sampleWeights: batch.sampleWeights.map((r, i) => t(r, `batch.sampleWeights[${i}]`)) } : {}),
    ...(json.gradients !== undefined ? { gradients: named(json.gradients, 'gradients') } : {}),
  };
  const d = isObject(json.detected) ? json.detected : {};
  const shrunk = isObject(json.shrunk) ? json.shrunk : undefined;
  const env = json.environment as Record<string, unknown>;
  return {
    created: typeof json.created === 'string' ? json.created : '',
    environment: {
      backend: env.backend as string,
      tfjs: typeof env.tfjs === 'string' ? env.tfjs : '',
      nanhunt: typeof env.nanhunt === 'string' ? env.nanhunt : '',
      ...(typeof env.node === 'string' ? { node: env.node } : {}),
      ...(typeof env.platform === 'string' ? { platform: env.platform } : {}),
    },
    info: {
      step: json.step as number,
      ...(Number.isInteger(json.epoch) ? { epoch: json.epoch as number } : {}),
      ...(Number.isInteger(json.batchInEpoch) ? { batch: json.batchInEpoch as number } : {}),
      model: typeof json.model === 'string' ? json.model : 'model',
      symptom: readSymptom(json.symptom),
      detected: {
        step: Number.isInteger(d.step) ? (d.step as number) : (json.step as number),
        what: d.what === 'weight' || d.what === 'gradient' ? d.what : 'loss',
        ...(typeof d.name === 'string' ? { name: d.name } : {}),
        value: d.value === undefined ? Number.NaN : parseNumber(d.value, 'detected.value'),
      },
      notes: Array.isArray(json.notes) ? json.notes.filter((n): n is string => typeof n === 'string') : [],
      losses: Array.isArray(json.losses) ? json.losses.map((v, i) => parseNumber(v, `losses[${i}]`)) : [],
      ...(shrunk && typeof shrunk.from === 'string'
        ? { shrunk: { from: shrunk.from, runs: Number(shrunk.runs ?? 0), summary: typeof shrunk.summary === 'string' ? shrunk.summary : '' } }
        : {}),
    },
    case: c,
  };
}

/** Total bytes of a case's tensors (for messages). */
export function caseBytes(c: CaseData): number {
  return caseTensors(c).reduce((a, t) => a + t.value.data.byteLength, 0);
}
