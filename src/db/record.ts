/**
 * The failure record: what a failure file holds, how a result becomes one, and how a file is
 * read back and validated.
 *
 * A failure file is plain JSON meant to be read, diffed and shared: the property's name and where
 * it is defined, the minimal inputs as values (-0, NaN and ±Infinity kept as strings, see
 * serializeValue), the broken invariant and its message, the kernel where the first non-finite
 * value was born, the seed and path of the run, and the backend and versions it was found on.
 */
import { InputError } from '../core/errors.ts';
import { deserializeValue, serializeValue } from '../core/tensor-value.ts';
import { describeCall, sameCall, type KernelCall, type Provenance } from '../explain/provenance.ts';
import type { PropertyResult } from '../property/runner.ts';
import type { ViolationKind } from '../check/invariant.ts';
import type { Explanation } from '../explain/explain.ts';
import { ERROR_STAGES, isErrorStage, type ErrorStage, type Failure } from '../property/failure.ts';

/** Marker and format version of failure files. */
export const FAILURE_MARKER = 'failure';
export const FAILURE_FORMAT = 1;

/** Where the property of a failure is defined, so `nanhunt replay` can load it. */
export interface FailureOrigin {
  /** Module of nanhunt's shipped catalog, relative to its `properties/` directory (posix). */
  readonly catalog?: string;
  /** Module of the property, relative to the working directory it was saved from (posix), or absolute. */
  readonly file?: string;
  /** Name of the export that holds the property. */
  readonly export?: string;
  /** Index in that export when it is an array of properties. */
  readonly index?: number;
  /** A vitest test (the vitest helpers): its full name; `file` is then the test file. */
  readonly test?: string;
  /** A captured training step (`nanhunt capture shrink`): the capture file; the property is rebuilt from the saved inputs. */
  readonly capture?: string;
}

export interface FailureEnvironment {
  readonly backend: string;
  readonly tfjs: string;
  readonly nanhunt: string;
  readonly node?: string;
  readonly platform?: string;
}

/** A kernel call as saved: the call (summaries as JSON values) and its one-line description. */
export interface SavedKernelCall {
  readonly step: number;
  readonly kernel: string;
  /** describeCall's text: `Log(x=[1] 0) -> [1] -Infinity`. */
  readonly text: string;
  readonly inputs: unknown;
  readonly outputs: unknown;
}

export interface SavedProvenance {
  /** Kernels executed by the minimal case. */
  readonly kernels: number;
  /** Kernel where the first non-finite value was born (all its inputs finite). */
  readonly bornIn?: string;
  readonly born?: SavedKernelCall;
  /** Kernel where the first NaN was born (no NaN in its inputs), when it differs from `bornIn`. */
  readonly nanBornIn?: string;
  readonly nanBorn?: SavedKernelCall;
  /** First kernel with a non-finite output, when it is not `born` (an input held a non-finite value already). */
  readonly firstNonFinite?: SavedKernelCall;
  /** Kernel names in execution order (Identity left out; at most 200). */
  readonly chain: readonly string[];
}

export type SavedFailureInfo =
  | {
      readonly kind: 'violation';
      readonly invariant: string;
      /** How it broke (src/check/invariant.ts ViolationKind): part of the failure's identity. */
      readonly violation?: ViolationKind;
      readonly message: string;
      readonly location?: unknown;
      readonly details?: unknown;
    }
  | { readonly kind: 'error'; readonly stage: ErrorStage; readonly message: string };

/** The JSON content of a failure file (format 1). */
export interface FailureRecord {
  readonly nanhunt: typeof FAILURE_MARKER;
  readonly format: number;
  readonly property: string;
  /** `failing` while the case fails; `fixed` once a run saw it pass (kept until pruned). */
  readonly status: 'failing' | 'fixed';
  readonly failure: SavedFailureInfo;
  /** The minimal failing inputs, serialized (serializeValue). */
  readonly inputs: unknown;
  readonly provenance?: SavedProvenance;
  /** Why it failed: the minimal case's kernel trace re-run exactly (src/explain/explain.ts). */
  readonly explanation?: Explanation;
  readonly environment: FailureEnvironment;
  /** fast-check seed of the property's run, and the global seed it derives from (CLI --seed). */
  readonly seed: number;
  readonly globalSeed?: number;
  /** fast-check path of the minimal case among generated cases (absent when a saved case failed). */
  readonly path?: string;
  readonly runs: number;
  readonly shrinks: number;
  readonly origin?: FailureOrigin;
  /** The property is a shipped example of a bug; the reason it fails. */
  readonly expectedFailure?: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly fixedAt?: string;
}

/** A failure file that cannot be used: unreadable, not JSON, not a failure file, or malformed. */
export class FailureFileError extends InputError {
  override name = 'FailureFileError';
}

const MAX_CHAIN = 200;

function saveCall(c: KernelCall): SavedKernelCall {
  return { step: c.step, kernel: c.kernel, text: describeCall(c), inputs: serializeValue(c.inputs), outputs: serializeValue(c.outputs) };
}

export function saveProvenance(p: Provenance): SavedProvenance {
  const nanBorn = p.nanBorn && !sameCall(p.nanBorn, p.born) ? p.nanBorn : undefined;
  return {
    kernels: p.total,
    ...(p.born ? { bornIn: p.born.kernel, born: saveCall(p.born) } : {}),
    ...(nanBorn ? { nanBornIn: nanBorn.kernel, nanBorn: saveCall(nanBorn) } : {}),
    ...(p.firstNonFinite && !sameCall(p.firstNonFinite, p.born) ? { firstNonFinite: saveCall(p.firstNonFinite) } : {}),
    chain: p.calls
      .map((c) => c.kernel)
      .filter((k) => k !== 'Identity')
      .slice(0, MAX_CHAIN),
  };
}

export function saveFailureInfo(f: Failure): SavedFailureInfo {
  if (f.kind === 'error') return { kind: 'error', stage: f.stage, message: f.message };
  const v = f.violation;
  return {
    kind: 'violation',
    invariant: v.invariant,
    ...(v.kind ? { violation: v.kind } : {}),
    message: v.message,
    ...(v.location ? { location: serializeValue(v.location) } : {}),
    ...(v.details ? { details: serializeValue(v.details) } : {}),
  };
}

/** The Failure a record describes (as the runner reports it). */
export function failureOf(record: FailureRecord): Failure {
  const f = record.failure;
  if (f.kind === 'error') return { kind: 'error', stage: f.stage, message: f.message };
  return {
    kind: 'violation',
    violation: {
      invariant: f.invariant,
      ...(f.violation ? { kind: f.violation } : {}),
      message: f.message,
      ...(f.location !== undefined ? { location: deserializeValue(f.location) as never } : {}),
      ...(f.details !== undefined ? { details: deserializeValue(f.details) as never } : {}),
    },
  };
}

/** `finite: output is NaN` / `error (subject): ...`. */
export function failureLine(f: SavedFailureInfo): string {
  return f.kind === 'error' ? `error (${f.stage}): ${f.message}` : `${f.invariant}: ${f.message}`;
}

export interface RecordMeta {
  readonly environment: FailureEnvironment;
  readonly origin?: FailureOrigin;
  readonly globalSeed?: number;
  readonly expectedFailure?: string;
  readonly now: Date;
  /** The record this one replaces (same property and inputs): its first-seen time is kept. */
  readonly previous?: FailureRecord;
}

/** The record of a failed (or errored) result with a counterexample. */
export function buildRecord(result: PropertyResult, meta: RecordMeta): FailureRecord {
  if (result.counterexample === undefined || result.failure === undefined) {
    throw new TypeError(`buildRecord: '${result.name}' has no counterexample to save`);
  }
  const now = meta.now.toISOString();
  return {
    nanhunt: FAILURE_MARKER,
    format: FAILURE_FORMAT,
    property: result.name,
    status: 'failing',
    failure: saveFailureInfo(result.failure),
    inputs: serializeValue(result.counterexample),
    ...(result.provenance ? { provenance: saveProvenance(result.provenance) } : {}),
    ...(result.explanation ? { explanation: serializeValue(result.explanation) as Explanation } : {}),
    environment: meta.environment,
    seed: result.seed,
    ...(meta.globalSeed !== undefined ? { globalSeed: meta.globalSeed } : {}),
    ...(result.path ? { path: result.path } : {}),
    runs: result.runs,
    shrinks: result.shrinks,
    ...(meta.origin ? { origin: meta.origin } : {}),
    ...(meta.expectedFailure !== undefined ? { expectedFailure: meta.expectedFailure } : {}),
    firstSeen: meta.previous?.firstSeen ?? now,
    lastSeen: now,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Parse and validate the text of a failure file; returns the record and its deserialized inputs.
 * Throws a FailureFileError whose message is one short reason (`not valid JSON (...)`, `not a
 * nanhunt failure file`, `malformed: ...`).
 */
export function parseRecord(text: string): { record: FailureRecord; inputs: unknown } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FailureFileError(`not valid JSON (${(e as Error).message.split('\n')[0]}): truncated or corrupt`);
  }
  if (!isObject(json) || json.nanhunt !== FAILURE_MARKER) {
    throw new FailureFileError('not a nanhunt failure file (no "nanhunt": "failure" field)');
  }
  const bad = (what: string): never => {
    throw new FailureFileError(`malformed failure file: ${what}`);
  };
  if (typeof json.format !== 'number') bad('"format" is missing');
  if ((json.format as number) > FAILURE_FORMAT) {
    throw new FailureFileError(`written by a newer nanhunt (format ${json.format}; this one reads format ${FAILURE_FORMAT})`);
  }
  if (typeof json.property !== 'string' || json.property === '') bad('"property" must be a non-empty string');
  if (!('inputs' in json)) bad('"inputs" is missing');
  if (!isObject(json.failure) || typeof json.failure.message !== 'string') bad('"failure" must have a message');
  const f = json.failure as Record<string, unknown>;
  if (f.kind === 'violation') {
    if (typeof f.invariant !== 'string') bad('"failure.invariant" must be a string');
    if (f.violation !== undefined && !['non-finite', 'inaccurate', 'special'].includes(f.violation as string)) {
      bad('"failure.violation" must be one of non-finite, inaccurate, special');
    }
  } else if (f.kind === 'error') {
    if (!isErrorStage(f.stage)) bad(`"failure.stage" must be one of ${ERROR_STAGES.join(', ')}`);
  } else bad('"failure.kind" must be "violation" or "error"');
  if (!isObject(json.environment) || typeof json.environment.backend !== 'string') bad('"environment.backend" is missing');
  if (!Number.isInteger(json.seed)) bad('"seed" must be an integer');
  if (json.path !== undefined && typeof json.path !== 'string') bad('"path" must be a string');
  if (json.status !== 'failing' && json.status !== 'fixed') bad('"status" must be "failing" or "fixed"');
  if (json.origin !== undefined && !isObject(json.origin)) bad('"origin" must be an object');
  let inputs: unknown;
  try {
    inputs = deserializeValue(json.inputs);
  } catch (e) {
    bad(`"inputs" cannot be read back (${(e as Error).message})`);
  }
  const record = {
    runs: 0,
    shrinks: 0,
    firstSeen: '',
    lastSeen: '',
    ...json,
  } as unknown as FailureRecord;
  return { record, inputs };
}

/**
 * `value` as JSON on one line, or undefined when that is longer than `limit` characters (it stops
 * there: a record with a tensor of a million elements is not printed whole at every level).
 */
function inlineWithin(value: unknown, limit: number): string | undefined {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value) ?? 'null';
    return text.length <= limit ? text : undefined;
  }
  const parts: string[] = [];
  let length = 2;
  const add = (text: string | undefined): boolean => {
    if (text === undefined) return false;
    length += text.length + (parts.length > 0 ? 2 : 0);
    parts.push(text);
    return length <= limit;
  };
  if (Array.isArray(value)) {
    for (const v of value) if (!add(inlineWithin(v, limit - length))) return undefined;
    return `[${parts.join(', ')}]`;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const key = `${JSON.stringify(k)}: `;
    const inner = inlineWithin(v, limit - length - key.length);
    if (!add(inner === undefined ? undefined : key + inner)) return undefined;
  }
  return `{${parts.join(', ')}}`;
}

/**
 * JSON with an object or array on one line when it fits in `width` columns (`used` columns of the
 * line are taken already), else one entry a line; a long array of numbers, strings, booleans or
 * nulls fills each line with as many as fit (a tensor's values).
 */
export function compactJson(value: unknown, width = 160, indent = '', used = indent.length): string {
  const inline = inlineWithin(value, Math.max(0, width - used));
  if (inline !== undefined) return inline;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const lines: string[] = [];
      let line = '';
      for (const v of value) {
        const text = JSON.stringify(v) ?? 'null';
        if (line !== '' && inner.length + line.length + 2 + text.length + 1 > width) {
          lines.push(`${line},`);
          line = '';
        }
        line = line === '' ? text : `${line}, ${text}`;
      }
      lines.push(line);
      return `[\n${lines.map((l) => inner + l).join('\n')}\n${indent}]`;
    }
    return `[\n${value.map((v) => inner + compactJson(v, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => {
    const key = `${inner}${JSON.stringify(k)}: `;
    return key + compactJson(v, width, inner, key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** The failure file's text: JSON, compact where it stays readable. */
export function recordText(record: FailureRecord): string {
  return `${compactJson(record)}\n`;
}
