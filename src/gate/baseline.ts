/**
 * The baseline: a committed file listing known findings, so `nanhunt check` as a CI gate fails
 * only on findings that are new.
 *
 * A finding is identified by the property's name and how it failed: the broken invariant's name
 * (`"invariant": "finite"`), or for an error the stage it happened in (`"error": "subject"`),
 * optionally on one backend. Not by the counterexample: the same bug shrinks to different minimal
 * inputs under another seed, run count or tfjs version, and the baseline must not churn. The
 * message, seed and path are kept for people and ignored when matching.
 *
 * Each entry also records its minimal `case` (the inputs, serialized as failure files hold them):
 * "fixed" means that case now passes when replayed (src/gate/replay.ts), never that a short search
 * did not meet the finding again.
 *
 * The file is JSON with one finding per line, sorted, so diffs and merges stay readable:
 *
 * ```json
 * {
 *   "format": "nanhunt-baseline",
 *   "version": 3,
 *   "findings": [
 *     {"property": "fixture exp is finite", "invariant": "finite", "backend": "cpu", "message": "output is +Infinity", "seed": 5, "path": "0:0", "case": {"x": ...}}
 *   ]
 * }
 * ```
 *
 * Version 1 files (entries without a case) are still read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.ts';
import { compactSerialized, deserializeValue, serializeValue } from '../core/tensor-value.ts';
import type { PropertyResult } from '../property/runner.ts';
import { failuresOf } from '../property/failure.ts';
import type { ViolationKind } from '../check/invariant.ts';
import { JsonSyntaxError, parseLocated, type Located } from './json-lines.ts';

/** The default baseline file, looked up in the current directory. */
export const DEFAULT_BASELINE = 'nanhunt.baseline.json';
export const BASELINE_FORMAT = 'nanhunt-baseline';
export const BASELINE_VERSION = 3;
/** Versions this nanhunt reads (version 1: entries without a saved case; 3: saved tensors may be runs). */
const READABLE_VERSIONS = [1, 2, 3];

/** One known finding. Exactly one of `invariant` and `error` is set. */
export interface BaselineEntry {
  /** Property name, exactly. */
  readonly property: string;
  /** Name of the broken invariant (for a failed property). */
  readonly invariant?: string;
  /**
   * How the invariant broke, for invariants with exact answers (`non-finite`, `inaccurate`,
   * `special`): one property can have a finding of each kind. Absent: any kind.
   */
  readonly kind?: ViolationKind;
  /** Stage of the error (`subject`, `output`, `gradient`, `leak`, ...) for an errored property. */
  readonly error?: string;
  /** Only on this backend; absent: on every backend. */
  readonly backend?: string;
  /** For people; ignored when matching. */
  readonly message?: string;
  /** Why it is known (an issue link, ...); kept when the baseline is rewritten. */
  readonly note?: string;
  readonly seed?: number;
  readonly path?: string;
  /** The minimal failing inputs, serialized (serializeValue): replayed to tell whether the finding is fixed. */
  readonly case?: unknown;
  /** Line of the entry in the file it was read from. */
  readonly line?: number;
}

export interface Baseline {
  /** Where it was read from (as given). */
  readonly file: string;
  readonly entries: readonly BaselineEntry[];
}

/** A corrupt or hand-edited baseline that cannot be used: names the file and line. Exit code 2. */
export class BaselineError extends InputError {
  override name = 'BaselineError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`baseline ${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
  }
}

/** How a result failed, as a baseline identifies it; undefined unless it failed or errored. */
export function findingSignature(r: PropertyResult): { invariant: string; kind?: ViolationKind } | { error: string } | undefined {
  if (r.status !== 'failed' && r.status !== 'errored') return undefined;
  const f = r.failure;
  if (!f) return undefined;
  if (f.kind === 'error') return { error: f.stage };
  return f.violation.kind ? { invariant: f.violation.invariant, kind: f.violation.kind } : { invariant: f.violation.invariant };
}

/** `property · invariant finite` — how a finding or entry is named in messages. */
export function describeEntry(e: BaselineEntry): string {
  const how = e.invariant !== undefined ? `invariant ${e.invariant}${e.kind ? ` (${e.kind})` : ''}` : `error in ${e.error}`;
  return `'${e.property}' (${how}${e.backend ? `, backend ${e.backend}` : ''})`;
}

/** True when the entry lists this finding (a result, or one of its distinct failures: see {@link matchingFinding}). */
function listsFinding(e: BaselineEntry, f: PropertyResult): boolean {
  const sig = findingSignature(f);
  if (!sig) return false;
  if ('error' in sig) return e.error === sig.error;
  return e.invariant === sig.invariant && (e.kind === undefined || e.kind === sig.kind);
}

/** True when the entry lists this one failure (a result, or one of a result's distinct failures). */
export function entryListsFinding(e: BaselineEntry, f: PropertyResult): boolean {
  if (e.property !== f.name) return false;
  if (e.backend !== undefined && e.backend !== f.backend) return false;
  return listsFinding(e, f);
}

/** The failure of `r` (itself or one of its distinct failures) the entry lists, if any. */
export function matchingFinding(e: BaselineEntry, r: PropertyResult): PropertyResult | undefined {
  return failuresOf(r).find((f) => entryListsFinding(e, f));
}

/** True when the entry lists this result's finding, or one of its distinct failures. */
export function entryMatches(e: BaselineEntry, r: PropertyResult): boolean {
  return matchingFinding(e, r) !== undefined;
}

/** The entry a new finding gets, with its minimal case. */
export function entryFor(r: PropertyResult): BaselineEntry {
  const sig = findingSignature(r);
  if (!sig) throw new Error(`'${r.name}' is not a finding (status ${r.status})`);
  return { property: r.name, ...sig, backend: r.backend, ...caseOf(r) };
}

/** What an entry records of the result that found it: message, seed, path and minimal case. */
export function caseOf(r: PropertyResult): Pick<BaselineEntry, 'message' | 'seed' | 'path' | 'case'> {
  const f = r.failure!;
  return {
    message: f.kind === 'violation' ? f.violation.message : f.message,
    seed: r.seed,
    ...(r.path ? { path: r.path } : {}),
    ...(r.counterexample !== undefined ? { case: serializeValue(r.counterexample) } : {}),
  };
}

const ENTRY_KEYS = ['property', 'invariant', 'kind', 'error', 'backend', 'message', 'note', 'seed', 'path', 'case'] as const;
const KINDS: readonly string[] = ['non-finite', 'inaccurate', 'special'] satisfies readonly ViolationKind[];
const TOP_KEYS = ['format', 'version', 'note', 'findings'];

/** Parse baseline text. Every problem is a {@link BaselineError} naming the line. */
export function parseBaseline(text: string, file: string): Baseline {
  let doc: Located;
  try {
    doc = locateCanonical(text) ?? parseLocated(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new BaselineError(file, e.line, `not valid JSON: ${e.reason} (column ${e.column})`);
    throw e;
  }
  function bad(at: { line: number }, reason: string): never {
    throw new BaselineError(file, at.line, reason);
  }
  if (doc.kind !== 'object') {
    return bad(doc, `expected an object {"format": "${BASELINE_FORMAT}", "version": 1, "findings": [...]}, found ${doc.kind}`);
  }
  const top = new Map(doc.entries.map((e) => [e.key, e]));
  for (const e of doc.entries) {
    if (!TOP_KEYS.includes(e.key)) bad(e, `unknown key "${e.key}" (allowed: ${TOP_KEYS.join(', ')})`);
  }
  const format = top.get('format');
  if (format?.value.kind !== 'string' || format.value.value !== BASELINE_FORMAT) {
    bad(format ?? doc, `not a nanhunt baseline: needs "format": "${BASELINE_FORMAT}"`);
  }
  const version = top.get('version');
  if (version?.value.kind !== 'number') return bad(version ?? doc, `needs "version": ${BASELINE_VERSION}`);
  if (!READABLE_VERSIONS.includes(version.value.value)) {
    bad(
      version,
      `version ${version.value.value} is not supported (this nanhunt reads versions ${READABLE_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_VERSIONS.at(-1)})`,
    );
  }
  const note = top.get('note');
  if (note && note.value.kind !== 'string') bad(note, '"note" must be a string');
  const findings = top.get('findings');
  if (!findings) return bad(doc, 'needs a "findings" list');
  if (findings.value.kind !== 'array') return bad(findings, `"findings" must be a list [...], found ${findings.value.kind}`);

  const entries: BaselineEntry[] = [];
  const seen = new Map<string, number>();
  const cases = new Map<Located, unknown>();
  findings.value.items.forEach((item, index) => {
    const where = `finding ${index + 1}`;
    if (item.kind !== 'object') bad(item, `${where}: expected an object {"property": ..., "invariant": ...}, found ${item.kind}`);
    const fields: Record<string, string | number> = {};
    for (const e of (item as Extract<Located, { kind: 'object' }>).entries) {
      if (!(ENTRY_KEYS as readonly string[]).includes(e.key)) {
        bad(e, `${where}: unknown key "${e.key}" (allowed: ${ENTRY_KEYS.join(', ')})`);
      }
      if (e.key === 'seed') {
        if (e.value.kind !== 'number' || !Number.isInteger(e.value.value)) bad(e, `${where}: "seed" must be an integer`);
        fields.seed = e.value.value as number;
        continue;
      }
      if (e.key === 'case') {
        const value = plain(e.value);
        try {
          deserializeValue(value);
        } catch (err) {
          bad(e, `${where}: "case" cannot be read back (${(err as Error).message})`);
        }
        cases.set(item, value);
        continue;
      }
      if (e.value.kind !== 'string') bad(e, `${where}: "${e.key}" must be a string, found ${e.value.kind}`);
      const v = (e.value as { value: string }).value;
      if (v.trim() === '' && e.key !== 'note' && e.key !== 'message') bad(e, `${where}: "${e.key}" is empty`);
      fields[e.key] = v;
    }
    if (fields.property === undefined) bad(item, `${where}: needs "property" (the property's name)`);
    const hasInv = fields.invariant !== undefined;
    const hasErr = fields.error !== undefined;
    if (hasInv === hasErr) {
      bad(item, `${where}: needs exactly one of "invariant" (the broken invariant's name) and "error" (the stage of an error)`);
    }
    if (fields.kind !== undefined && (!hasInv || !KINDS.includes(fields.kind as string))) {
      bad(item, `${where}: "kind" goes with "invariant" and is one of ${KINDS.join(', ')}`);
    }
    const entry = { ...(fields as unknown as BaselineEntry), ...(cases.has(item) ? { case: cases.get(item) } : {}), line: item.line };
    const key = entryKey(entry);
    const dup = seen.get(key);
    if (dup !== undefined) bad(item, `${where}: duplicate of the finding on line ${dup}`);
    seen.set(key, item.line);
    entries.push(entry);
  });
  return { file, entries };
}

/** Saved cases of a file read by {@link locateCanonical}: kept as JSON.parse gave them. */
const PLAIN = new WeakMap<Located, unknown>();

/**
 * The located tree of a baseline in the layout {@link formatBaseline} writes (one finding per
 * line), built from `JSON.parse`: 20-40 times faster than the character parser on a baseline
 * whose saved cases hold large tensors, with the same lines (every key of a finding is on its
 * line). Undefined for any other layout, or text JSON.parse rejects: the character parser then
 * reads it and names the line and column of a problem.
 */
function locateCanonical(text: string): Located | undefined {
  if (!text.startsWith('{\n')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const lines = text.split('\n');
  const topLines = new Map<string, number>();
  const itemLines: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('    {')) {
      if (!/^ {4}\{.*\},?$/.test(l)) return undefined;
      itemLines.push(i + 1);
      continue;
    }
    const m = /^ {2}"([a-z]+)":/.exec(l);
    if (m) topLines.set(m[1]!, i + 1);
  }
  const top = data as Record<string, unknown>;
  if (Object.keys(top).some((k) => !topLines.has(k))) return undefined;
  const findings = top.findings;
  if (itemLines.length !== (Array.isArray(findings) ? findings.length : 0)) return undefined;
  const at = (v: unknown, line: number): Located => {
    if (Array.isArray(v)) return { kind: 'array', line, column: 1, items: v.map((x) => at(x, line)) };
    if (typeof v === 'object' && v !== null) {
      return { kind: 'object', line, column: 1, entries: Object.entries(v).map(([key, x]) => ({ key, line, value: at(x, line) })) };
    }
    if (typeof v === 'string') return { kind: 'string', line, column: 1, value: v };
    if (typeof v === 'number') return { kind: 'number', line, column: 1, value: v };
    if (typeof v === 'boolean') return { kind: 'boolean', line, column: 1, value: v };
    return { kind: 'null', line, column: 1, value: null };
  };
  const item = (v: unknown, line: number): Located => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return at(v, line);
    const entries = Object.entries(v).map(([key, x]) => {
      if (key !== 'case') return { key, line, value: at(x, line) };
      const value: Located = { kind: 'null', line, column: 1, value: null };
      PLAIN.set(value, x);
      return { key, line, value };
    });
    return { kind: 'object', line, column: 1, entries };
  };
  return {
    kind: 'object',
    line: 1,
    column: 1,
    entries: Object.entries(top).map(([key, v]) => {
      const line = topLines.get(key)!;
      const value: Located =
        key === 'findings' && Array.isArray(v)
          ? { kind: 'array', line, column: 1 + '  "findings": '.length, items: v.map((x, i) => item(x, itemLines[i]!)) }
          : at(v, line);
      return { key, line, value };
    }),
  };
}

/** A located value as plain JSON data. */
function plain(v: Located): unknown {
  if (PLAIN.has(v)) return PLAIN.get(v);
  if (v.kind === 'object') return Object.fromEntries(v.entries.map((e) => [e.key, plain(e.value)]));
  if (v.kind === 'array') return v.items.map(plain);
  return v.value;
}

function entryKey(e: BaselineEntry): string {
  return JSON.stringify([e.property, e.backend ?? '*', e.invariant ?? '', e.kind ?? '', e.error ?? '']);
}

/**
 * Read and parse a baseline file; `shownAs` is how messages name it (default `file`).
 * A missing or unreadable file is a {@link BaselineError}.
 */
export function readBaseline(file: string, shownAs: string = file): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BaselineError(shownAs, undefined, code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(e)})`);
  }
  return parseBaseline(text, shownAs);
}

/**
 * The baseline to use: `--baseline <file>` when given (it must exist), else
 * `nanhunt.baseline.json` in `cwd` when it exists, else none.
 */
export function resolveBaselinePath(flag: string | undefined, cwd: string): { file: string; explicit: boolean } | undefined {
  if (flag !== undefined) return { file: flag, explicit: true };
  const file = path.join(cwd, DEFAULT_BASELINE);
  return existsSync(file) ? { file: path.relative(cwd, file) || DEFAULT_BASELINE, explicit: false } : undefined;
}

function compareEntries(a: BaselineEntry, b: BaselineEntry): number {
  const ka = [a.property, a.backend ?? '', a.invariant ?? '', a.kind ?? '', a.error ?? ''];
  const kb = [b.property, b.backend ?? '', b.invariant ?? '', b.kind ?? '', b.error ?? ''];
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

/** Baseline file text: sorted, one finding per line, stable key order. */
export function formatBaseline(entries: readonly BaselineEntry[]): string {
  const sorted = [...entries].sort(compareEntries);
  const lines = sorted.map((e) => {
    const o: Record<string, unknown> = {};
    for (const k of ENTRY_KEYS) if (e[k] !== undefined) o[k] = k === 'case' ? compactSerialized(e[k]) : e[k];
    return `    ${JSON.stringify(o)}`;
  });
  return [
    '{',
    `  "format": "${BASELINE_FORMAT}",`,
    `  "version": ${BASELINE_VERSION},`,
    `  "note": "Known findings: nanhunt check fails only on findings not listed here. A finding is a property and its broken invariant (or error stage); delete \\"backend\\" to match every backend. Regenerate with: npx nanhunt baseline",`,
    lines.length === 0 ? '  "findings": []' : `  "findings": [\n${lines.join(',\n')}\n  ]`,
    '}',
    '',
  ].join('\n');
}
