/**
 * Standalone repro scripts: one plain JavaScript ES module (`.mjs`) per failure that imports only
 * TensorFlow.js, builds the minimal input tensors literally (-0, NaN and ±Infinity exact), runs
 * the subject, prints every output (and gradient, when the property takes them) and judges it as
 * nanhunt did: NaN or ±Infinity for a finiteness invariant; for an accuracy or gradient invariant
 * the computed value beside the exact value nanhunt computed (embedded) and the error in ULPs
 * against the same tolerance; the error for a subject that throws or leaks. `node <file>` runs it
 * in any directory where @tensorflow/tfjs is installed, whatever its package.json says; it exits 1
 * while the bug is present and 0 once it is fixed (2 when the script itself fails).
 *
 * The subject's code comes from the property's `source` (by default the subject's own text). It
 * is compiled on its own, with only `tf` in scope, and run on the minimal case: only when that run
 * gives bit-identical outputs and gradients is a script written. A subject that calls code defined
 * elsewhere (a helper, a closure variable) gets no script: the result says why, and the report
 * points at the replay command instead.
 */
import { measureError } from '../check/error.ts';
import { withinTolerance } from '../check/accuracy.ts';
import type { Tolerance } from '../reference/tolerances.ts';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatNumber, isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import { execute, pathName, type Outcome, type Subject } from '../run/execute.ts';
import { describeCall, sameCall } from '../explain/provenance.ts';
import type { Property } from '../property/property.ts';
import type { Failure, PropertyResult } from '../property/runner.ts';
import type { Standalone } from '../check/invariant.ts';
import { writeAtomic } from '../core/atomic.ts';
import { reproFileName } from '../db/naming.ts';

export interface ReproInput {
  readonly property: Property<any>;
  /** The failure to reproduce: its counterexample, failure, provenance, backend, seed and path. */
  readonly result: PropertyResult;
  /** Where the property is exported from, named when its subject cannot run on its own. */
  readonly origin?: { readonly file: string; readonly exportName?: string; readonly index?: number };
  /** Versions for the header (default: this tfjs). */
  readonly versions?: { readonly tfjs?: string; readonly nanhunt?: string };
  /** The saved failure file, named in the header. */
  readonly failureFile?: string;
  /** Where the script will be written: its Run line names it. */
  readonly scriptFile?: string;
  /** Writers that know a kind of counterexample better than the generic script, asked in order (src/train's trainingReproWriter). */
  readonly writers?: readonly ReproWriter[];
  /** Which of the property's distinct failures `result` is (from 1; the script of k >= 2 is `<name>.<k>.mjs`). */
  readonly distinct?: number;
}

/**
 * A script, when one can reproduce the failure on its own: the subject's source ran with only `tf`
 * in scope and gave the same outputs, and the verdict can be judged without nanhunt. Otherwise why not.
 */
export type Repro = { readonly selfContained: true; readonly text: string } | { readonly selfContained: false; readonly reason: string };

// ---------------------------------------------------------------------------------------------
// The subject's source: formatting and the self-containment check

let esbuild: { transformSync(code: string, options: { loader: 'js' }): { code: string } } | null | undefined;

/** esbuild (tsx's own dependency) pretty-prints minified function text; undefined when unavailable. */
function prettyPrinter(): typeof esbuild {
  if (esbuild !== undefined) return esbuild;
  try {
    const req = createRequire(createRequire(import.meta.url).resolve('tsx'));
    esbuild = req('esbuild') as typeof esbuild;
  } catch {
    esbuild = null;
  }
  return esbuild;
}

/**
 * Whether a function's text reads as minified (tokens run together: `v=>f(v,1)`, `){`, `;x`, or a
 * line longer than 120 columns): only such text goes through esbuild, a call that costs a few
 * milliseconds on a busy machine, once per repro script.
 */
function looksMinified(text: string): boolean {
  return /[,;]\S|=>\S|\S=>|\)\{/.test(text) || text.split('\n').some((l) => l.length > 120);
}

/** `(expr)` as `const subject = …;` printed by esbuild, or the text unchanged when that fails or it is not minified. */
function pretty(expression: string): string {
  if (!looksMinified(expression)) return expression;
  const printer = prettyPrinter();
  if (!printer) return expression;
  try {
    const out = printer.transformSync(`const subject = ${expression};`, { loader: 'js' }).code.trim();
    const m = /^const subject = ([\s\S]*);$/.exec(out);
    return m ? m[1]! : expression;
  } catch {
    return expression;
  }
}

/** Remove the indentation common to every line but the first (a function's text keeps its file indentation). */
function dedent(text: string): string {
  const lines = text.split('\n');
  if (lines.length < 2) return text;
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = Math.min(...indents, Infinity);
  if (!Number.isFinite(cut) || cut === 0) return text;
  return [lines[0]!, ...lines.slice(1).map((l) => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length)))].join('\n');
}

/** The subject's text as an expression: method shorthand `subject(x) {…}` becomes a function expression. */
function asExpression(source: string): string {
  const s = source.trim();
  if (/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(s)) return s;
  if (/^(async\s+)?[A-Za-z_$][\w$]*\s*\(/.test(s)) return s.replace(/^(async\s+)?/, (m) => `${m}function `);
  return s;
}

/** Module namespaces rewritten by vite/vitest (`__vite_ssr_import_0__.exp`): tried as `tf`. */
const BUNDLER_IMPORT = /\b(?:__vite_ssr_import_\d+__|__vi_import_\d+__)\b/g;

function sameData(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'error' || b.kind === 'error') return a.kind === 'error' && b.kind === 'error' && a.stage === b.stage && a.message === b.message;
  if (a.kind === 'unsupported' || b.kind === 'unsupported')
    return a.kind === 'unsupported' && b.kind === 'unsupported' && a.unsupported.kernel === b.unsupported.kernel;
  const ta = [...a.observation.outputs, ...a.observation.gradients];
  const tb = [...b.observation.outputs, ...b.observation.gradients];
  return (
    ta.length === tb.length &&
    ta.every((t, i) => t.name === tb[i]!.name && t.dtype === tb[i]!.dtype && t.shape.join() === tb[i]!.shape.join() && sameData(t.data, tb[i]!.data))
  );
}

interface Resolved {
  readonly code: string;
  /** Names bound to `tf` (other namespace names the source uses for TensorFlow.js). */
  readonly aliases: readonly string[];
}

/**
 * Whether a property's source runs on its own (only `tf` in scope) and reproduces its subject's
 * outcome on `inputs` exactly: the source text a repro script would embed, or why there is none.
 */
export function standaloneSource(property: Property<any>, inputs: unknown): { readonly code: string } | { readonly reason: string } {
  const reference = execute(property.subject as Subject<unknown>, inputs, { gradients: property.gradients });
  const { resolved, reason } = resolveSource(property, inputs, reference);
  return resolved ? { code: resolved.code } : { reason };
}

/**
 * Find a text of the subject that runs on its own and reproduces it: the source as is, then with
 * bundler namespaces read as `tf`; a name it cannot resolve is tried as another name for `tf`.
 */
function resolveSource(property: Property<any>, inputs: unknown, reference: Outcome): { resolved?: Resolved; reason: string } {
  const raw = asExpression(property.source);
  const texts = [raw];
  if (/__vite_ssr_import_\d+__|__vi_import_\d+__/.test(raw)) texts.unshift(raw.replace(BUNDLER_IMPORT, 'tf'));
  let reason = 'its source text could not be run on its own';
  for (const text0 of texts) {
    const text = pretty(dedent(text0));
    const aliases: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      let fn: unknown;
      try {
        fn = new Function('tf', ...aliases, `"use strict";\nreturn (${text}\n);`)(tf, ...aliases.map(() => tf));
      } catch (e) {
        reason = `its source text is not a JavaScript function on its own (${(e as Error).message})`;
        break;
      }
      if (typeof fn !== 'function') {
        reason = 'its source text is not a function';
        break;
      }
      const outcome = execute(fn as Subject<unknown>, inputs, { gradients: property.gradients });
      const message = outcome.kind === 'error' ? outcome.message : '';
      const missing = /^ReferenceError: ([A-Za-z_$][\w$]*) is not defined/.exec(message);
      if (missing && !(reference.kind === 'error' && reference.message === message)) {
        reason = `its source refers to \`${missing[1]}\`, which is defined outside the subject`;
        if (aliases.length >= 2) break;
        aliases.push(missing[1]!);
        continue;
      }
      if (sameOutcome(outcome, reference)) return { resolved: { code: text, aliases }, reason: '' };
      reason =
        aliases.length > 0
          ? `its source refers to \`${aliases[aliases.length - 1]}\`, which is defined outside the subject`
          : 'run on its own, its source text gives different results (it depends on variables outside the subject)';
      break;
    }
  }
  return { reason };
}

// ---------------------------------------------------------------------------------------------
// Literal inputs

const RESERVED = new Set(
  (
    'tf inputs subject main show outputsOf total fmt grads nonFinite break case catch class const continue debugger default delete do else ' +
    'enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var ' +
    'void while with yield let static implements interface package private protected public await arguments eval undefined NaN Infinity'
  ).split(' '),
);

interface TensorVar {
  readonly name: string;
  readonly path: string;
  readonly value: TensorValue;
}

function identifierFor(parts: readonly (string | number)[], taken: Set<string>): string {
  let base = parts.length === 0 ? 'input' : parts.map((p) => String(p).replace(/[^A-Za-z0-9_$]/g, '_')).join('_');
  if (!/^[A-Za-z_$]/.test(base)) base = `t_${base}`;
  let name = base;
  while (RESERVED.has(name) || taken.has(name)) name += '_';
  taken.add(name);
  return name;
}

function wrapList(items: readonly string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (next.length > width && line !== '') {
      lines.push(`${line},`);
      line = item;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines.length <= 1 ? lines.join('') : `\n${lines.map((l) => `${indent}  ${l}`).join('\n')}\n${indent}`;
}

function tensorLiteral(t: TensorValue, indent: string): string {
  const values = Array.from(t.data, (x) => (t.dtype === 'bool' ? String(x !== 0) : formatNumber(x)));
  if (t.shape.length === 0) return `tf.scalar(${values[0] ?? 0}, '${t.dtype}')`;
  return `tf.tensor([${wrapList(values, indent)}], [${t.shape.join(', ')}], '${t.dtype}')`;
}

/** A plain number exactly (doubles round-trip through String; -0, NaN and ±Infinity spelled out). */
function numberLiteral(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function propertyKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

/** The inputs as an expression; tensors become references to their variables. */
function inputsExpression(value: unknown, vars: Map<TensorValue, TensorVar>, indent = ''): string {
  if (isTensorValue(value)) return vars.get(value)!.name;
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map((v) => inputsExpression(v, vars, indent)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => {
      const expr = inputsExpression(v, vars, indent);
      return expr === k && /^[A-Za-z_$][\w$]*$/.test(k) ? k : `${propertyKey(k)}: ${expr}`;
    });
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function collectTensors(value: unknown, parts: (string | number)[], taken: Set<string>, out: Map<TensorValue, TensorVar>): void {
  if (isTensorValue(value)) {
    if (!out.has(value)) out.set(value, { name: identifierFor(parts, taken), path: pathName(parts), value });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      collectTensors(v, [...parts, i], taken, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectTensors(v, [...parts, k], taken, out);
  }
}

// ---------------------------------------------------------------------------------------------
// The verdict: what the script checks, as data

/**
 * What the script judges, from the broken invariant's standalone verdict (src/check/invariant.ts)
 * or the error's stage. `value`: an invariant that cannot be judged without nanhunt, reduced to
 * "the element nanhunt judged still holds the value it judged".
 */
type Verdict =
  | { readonly kind: 'finite'; readonly invariant: string; readonly outputs: boolean; readonly gradients: boolean; readonly nanOnly: boolean }
  | ({ readonly kind: 'accuracy'; readonly invariant: string } & Omit<Extract<Standalone, { kind: 'accuracy' }>, 'kind'>)
  | { readonly kind: 'error'; readonly stage: 'subject' | 'output' | 'gradient' | 'leak'; readonly message: string }
  | { readonly kind: 'value'; readonly invariant: string; readonly tensor: string; readonly index: number; readonly value: number };

/** Elements embedded per tensor at most; beyond it only the ones out of tolerance (and the first few). */
const MAX_EMBEDDED = 4096;

function judgeable(property: Property<any>, f: Failure, reference: Outcome): { verdict?: Verdict; reason: string } {
  if (f.kind === 'error') {
    if (f.stage === 'subject' || f.stage === 'output' || f.stage === 'gradient' || f.stage === 'leak') {
      return { verdict: { kind: 'error', stage: f.stage, message: f.message }, reason: '' };
    }
    const why: Record<string, string> = {
      invariant: "one of nanhunt's invariants threw: that is a fault of the property, not of the code under test",
      replay: 'the minimal case passed when run again (the subject is not deterministic): no script can show it',
      generate: "the property's generators failed: there is no input to build",
      unsupported: 'the backend lacks a kernel the subject needs',
    };
    return { reason: why[f.stage] ?? `an error of stage ${f.stage}` };
  }
  const v = f.violation;
  if (reference.kind !== 'ok') {
    return {
      reason: `run again here, the minimal case gave ${reference.kind === 'error' ? `an error (${reference.message})` : 'an unsupported kernel'} instead`,
    };
  }
  const inv = property.invariants.find((i) => i.name === v.invariant);
  let standalone: Standalone | undefined;
  try {
    standalone = inv?.standalone?.(reference.observation);
  } catch {
    standalone = undefined;
  }
  if (standalone?.kind === 'finite') return { verdict: { ...standalone, invariant: v.invariant }, reason: '' };
  if (standalone?.kind === 'accuracy') {
    const { kind: _, ...rest } = standalone;
    const got = (name: string) => [...reference.observation.outputs, ...reference.observation.gradients].find((t) => t.name === name)?.data;
    const tensors = rest.tensors.map((t) => {
      if (t.elements.length <= MAX_EMBEDDED) return t;
      const data = got(t.name);
      // the elements out of tolerance first (the ones nanhunt reported), then the first few, then those that differ at all
      const out = (e: (typeof t.elements)[number]): boolean => {
        if (data === undefined) return false;
        const m = measureError(data[e.index]!, e.exact, e.kind);
        const acc = e.absSum !== undefined && e.terms !== undefined ? { absSum: e.absSum, terms: e.terms } : undefined;
        return !withinTolerance(m, rest.tolerance as Tolerance, e.exact, e.magnitude, t.peak, acc);
      };
      const ulps = (e: (typeof t.elements)[number]): number => (data === undefined ? 0 : measureError(data[e.index]!, e.exact, e.kind).ulps);
      // the worst out of tolerance first, so the element nanhunt reported is always in the script
      const failing = t.elements.filter(out).sort((a, b) => ulps(b) - ulps(a));
      const first = t.elements.slice(0, 16);
      const differing = t.elements.filter((e) => data !== undefined && !sameBits(data[e.index]!, Math.fround(e.exact)));
      const keep = new Map<number, (typeof t.elements)[number]>();
      for (const e of [...failing, ...first, ...differing]) {
        if (keep.size >= MAX_EMBEDDED) break;
        if (!keep.has(e.index)) keep.set(e.index, e);
      }
      return { ...t, elements: [...keep.values()].sort((a, b) => a.index - b.index) };
    });
    return { verdict: { kind: 'accuracy', invariant: v.invariant, ...rest, tensors }, reason: '' };
  }
  if (v.location) {
    return { verdict: { kind: 'value', invariant: v.invariant, tensor: v.location.tensor, index: v.location.index, value: v.location.value }, reason: '' };
  }
  return { reason: `the invariant '${v.invariant}' cannot be judged without nanhunt, and its violation names no element to show` };
}

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** A JavaScript literal of plain data: numbers exact (NaN, ±Infinity, -0 spelled out), strings, arrays, records. */
function dataLiteral(value: unknown, indent = ''): string {
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) {
    const items = value.map((v) => dataLiteral(v, `${indent}  `));
    const inline = `[${items.join(', ')}]`;
    if (inline.length <= 100 && !inline.includes('\n')) return inline;
    return `[\n${items.map((i) => `${indent}  ${i}`).join(',\n')},\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const items = entries.map(([k, v]) => `${propertyKey(k)}: ${dataLiteral(v, `${indent}  `)}`);
  const inline = `{ ${items.join(', ')} }`;
  if (items.length === 0) return '{}';
  if (inline.length <= 100 && !inline.includes('\n')) return inline;
  return `{\n${items.map((i) => `${indent}  ${i}`).join(',\n')},\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------
// The script

function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel.split(path.sep).join('/');
}

/** `node <file>` as a shell command (the path quoted when it needs it). */
export function reproCommand(file: string): string {
  const shown = shownPath(file);
  return `node ${/^[\w./:=@+-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`}`;
}

function comment(text: string): string[] {
  return text.split('\n').map((l) => (l === '' ? '//' : `// ${l}`));
}

function failureText(f: Failure | undefined): string {
  if (!f) return 'no failure';
  return f.kind === 'error' ? `error (${f.stage}): ${f.message}` : `${f.violation.invariant}: ${f.violation.message}`;
}

function backendSetup(backend: string): { imports: string[]; setup: string[]; needs: string } {
  if (backend === 'wasm') {
    return {
      imports: ["import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';", "import { createRequire } from 'node:module';"],
      setup: [
        "  const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');",
        "  setWasmPaths(wasm.slice(0, wasm.length - 'tfjs-backend-wasm.wasm'.length));",
        "  await tf.setBackend('wasm');",
      ],
      needs: '@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm',
    };
  }
  if (backend === 'node' || backend === 'node-gpu' || backend === 'tensorflow') {
    const pkg = backend === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    return { imports: [`import '${pkg}';`], setup: ["  await tf.setBackend('tensorflow');"], needs: `@tensorflow/tfjs and ${pkg}` };
  }
  return { imports: [], setup: [`  await tf.setBackend('${backend.replace(/[^\w-]/g, '')}');`], needs: '@tensorflow/tfjs' };
}

/**
 * The script's helpers: printing, and the measures of src/check/error.ts and the tolerance rule of
 * src/check/accuracy.ts in plain JavaScript (test/repro checks they agree with nanhunt's).
 */
export const REPRO_RUNTIME = `/** Every output of the subject with its name (a tensor, an array or a record of tensors). */
function outputsOf(out) {
  if (out instanceof tf.Tensor) return [['output', out]];
  const list = Array.isArray(out)
    ? out.map((t, i) => ['output[' + i + ']', t])
    : out !== null && typeof out === 'object' && typeof out.then !== 'function'
      ? Object.entries(out).map(([k, t]) => ['output.' + k, t])
      : [];
  if (list.length === 0 || list.some(([, t]) => !(t instanceof tf.Tensor))) {
    throw new Error('the subject returned ' + (out === undefined ? 'undefined' : out === null ? 'null' : typeof out) + ', not tensors');
  }
  return list;
}

/** A float32 value as its shortest exact decimal; -0, NaN and ±Infinity spelled out. */
function fmt(x) {
  if (Object.is(x, -0)) return '-0';
  if (Number.isFinite(x) && Math.fround(x) === x) {
    for (let p = 1; p <= 9; p++) {
      const s = x.toPrecision(p);
      if (Math.fround(Number(s)) === x) return String(Number(s));
    }
  }
  return String(x);
}

/** Print a tensor's values (the first 64) and which of them are NaN or ±Infinity. */
function show(name, values, dtype, shape) {
  const text = values.length <= 64 ? values.map(fmt).join(', ') : values.slice(0, 16).map(fmt).join(', ') + ', … ' + (values.length - 16) + ' more';
  console.log(name + ': ' + dtype + ' [' + shape.join(', ') + '] [' + text + ']');
  const bad = values.flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));
  if (bad.length > 0) {
    const where = bad.slice(0, 8).map((i) => '[' + i + '] = ' + fmt(values[i])).join(', ');
    console.log('  NON-FINITE: ' + bad.length + ' of ' + values.length + ' elements: ' + where + (bad.length > 8 ? ', …' : ''));
  }
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
/** Position of a float32 among all float32 values (-0 and +0 the same). */
function ordinal(x) {
  F32[0] = x;
  const b = I32[0];
  return b < 0 ? 0 - (b & 0x7fffffff) : b;
}
/** Float32 steps between a and b (NaN against NaN 0, against anything else Infinity). */
function ulpsBetween(a, b) {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : Infinity;
  return Math.abs(ordinal(a) - ordinal(b));
}
const EXACT = { ulps: 0, abs: 0 };
const WORST = { ulps: Infinity, abs: Infinity };
/** Error of the float32 result got against the exact answer (kind: finite, +inf, -inf or nan), as nanhunt measures it. */
function measure(got, exact, kind) {
  if (kind === 'nan') return Number.isNaN(got) ? EXACT : WORST;
  if (Number.isNaN(got)) return WORST;
  const expected = kind === '+inf' ? Infinity : kind === '-inf' ? -Infinity : exact;
  const e32 = Math.fround(expected);
  if (!Number.isFinite(got)) {
    if (got === e32) return EXACT;
    if (kind === 'finite') return WORST;
    return { ulps: ulpsBetween(got, e32), abs: Infinity };
  }
  const ulps = ulpsBetween(got, e32);
  if (ulps === 0 && got === expected) return EXACT;
  return { ulps, abs: Math.abs(got - expected) };
}
/** Whether an error is within at least one allowance of the tolerance. */
function within(m, tol, exact, magnitude, peak, absSum, terms) {
  if (m.ulps === 0) return true;
  if (tol.ulps !== undefined && m.ulps <= tol.ulps) return true;
  if (tol.bits !== undefined && (m.ulps < Infinity ? Math.min(32, Math.log2(1 + m.ulps)) : 32) <= tol.bits) return true;
  const acc = tol.acc !== undefined && absSum !== undefined;
  if (tol.atol === undefined && tol.rtol === undefined && tol.ctol === undefined && tol.ptol === undefined && !acc) return false;
  if (!Number.isFinite(m.abs)) return false;
  let allow = tol.atol ?? 0;
  if (tol.rtol !== undefined && Number.isFinite(exact)) allow += tol.rtol * Math.abs(exact);
  if (tol.ctol !== undefined && Number.isFinite(magnitude)) allow += tol.ctol * 2 ** -24 * magnitude;
  if (tol.ptol !== undefined && Number.isFinite(peak)) allow += tol.ptol * peak;
  if (acc && Number.isFinite(absSum)) {
    // the bound of a float32 sum of n terms in blocks, combined pairwise (nanhunt's accumulationFactor)
    const b = Math.max(1, Math.min(terms, tol.accBlock ?? 1));
    const factor = terms > 1 ? b - 1 + Math.ceil(Math.log2(Math.ceil(terms / b))) + 1 : 1;
    allow += tol.acc * factor * 2 ** -24 * absSum;
  }
  return m.abs <= allow;
}
/** Judge one element: its error and whether it is within tolerance (an accepted interval at a kink counts as exact). */
function judgeElement(got, e, tol, peak, gradient) {
  if (gradient) {
    if (e.kind === 'nan') return { skip: true };
    const lo = e.interval?.[0];
    const hi = e.interval?.[1];
    const target = e.interval && Number.isFinite(got) ? Math.min(Math.max(got, lo), hi) : e.exact;
    const m = e.interval && Number.isFinite(got) && got >= lo && got <= hi ? EXACT : measure(got, target, e.kind);
    return { m, ok: within(m, tol, target, e.magnitude, peak, e.absSum, e.terms) };
  }
  const m = measure(got, e.exact, e.kind);
  return { m, ok: within(m, tol, e.exact, e.magnitude, peak, e.absSum, e.terms) };
}`;

/** The reserved names of the script (its helpers), never used for an input's variable. */
const SCRIPT_NAMES =
  'outputsOf fmt show F32 I32 ordinal ulpsBetween EXACT WORST measure within judgeElement VERDICT floats read main process ' +
  'tensors gradients names before out leaked judged bad t now same checked lines exact e got j ex l i g name r wasm code setWasmPaths createRequire';

/** Lines of `main` that run the subject and judge it. */
function judgeLines(verdict: Verdict, differentiated: readonly TensorVar[], inputs: unknown, vars: Map<TensorValue, TensorVar>): string[] {
  const lines: string[] = [];
  const grads = differentiated.length > 0;
  const gradientCall = () => {
    const params = differentiated.map((v) => v.name).join(', ');
    return [
      '  // gradients of the sum of every float32 output with respect to each float32 input, as nanhunt takes them',
      `  const gradients = tf.grads((${params}) => floats(subject(${inputsExpression(inputs, vars)})))([${params}]);`,
      `  const names = ${JSON.stringify(differentiated.map((v) => `grad(${v.path})`))};`,
      '  for (const [i, g] of gradients.entries()) tensors.push(read(names[i], g));',
    ];
  };
  if (verdict.kind === 'error') {
    if (verdict.stage === 'leak') {
      lines.push(
        '  // what the subject leaves allocated: nanhunt runs it inside tf.tidy and counts the tensors left',
        '  const before = tf.memory().numTensors;',
        '  const out = tf.tidy(() => subject(inputs));',
        '  for (const [name, t] of outputsOf(out)) {',
        '    const r = read(name, t);',
        '    show(r.name, r.values, r.dtype, r.shape);',
        '    t.dispose();',
        '  }',
        '  const leaked = tf.memory().numTensors - before;',
        '  console.log(`tensors left allocated after the subject: ${leaked}`);',
        `  console.log(${JSON.stringify(`nanhunt found: error (leak): ${verdict.message}`)});`,
        "  console.log(leaked > 0 ? 'Reproduced: the subject leaks.' : 'Not reproduced: the subject leaves nothing allocated (fixed).');",
        '  return leaked > 0 ? 1 : 0;',
      );
      return lines;
    }
    lines.push(
      '  const tensors = [];',
      '  try {',
      '    for (const [name, t] of outputsOf(subject(inputs))) tensors.push(read(name, t));',
      ...(grads ? gradientCall().map((l) => `  ${l}`) : []),
      '  } catch (e) {',
      '    console.log(`the subject failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);',
      `    console.log(${JSON.stringify(`nanhunt found: error (${verdict.stage}): ${verdict.message}`)});`,
      "    console.log('Reproduced: it fails the same way.');",
      '    return 1;',
      '  }',
      '  for (const t of tensors) show(t.name, t.values, t.dtype, t.shape);',
      `  console.log(${JSON.stringify(`nanhunt found: error (${verdict.stage}): ${verdict.message}`)});`,
      "  console.log('Not reproduced: it runs without an error here (fixed).');",
      '  return 0;',
    );
    return lines;
  }
  lines.push('  const tensors = [];', '  for (const [name, t] of outputsOf(subject(inputs))) tensors.push(read(name, t));');
  if (grads) lines.push(...gradientCall());
  lines.push('  for (const t of tensors) show(t.name, t.values, t.dtype, t.shape);');
  if (verdict.kind === 'finite') {
    const what = verdict.nanOnly ? 'NaN' : 'NaN or ±Infinity';
    lines.push(
      `  // the verdict of '${verdict.invariant}': no ${what} in the ${verdict.outputs && verdict.gradients ? 'outputs and gradients' : verdict.outputs ? 'outputs' : 'gradients'}`,
      `  const judged = tensors.filter((t) => (t.name.startsWith('grad(') ? ${verdict.gradients} : ${verdict.outputs}) && t.dtype === 'float32');`,
      `  const bad = judged.filter((t) => t.values.some((v) => ${verdict.nanOnly ? 'Number.isNaN(v)' : '!Number.isFinite(v)'}));`,
      '  console.log(`nanhunt found: ${VERDICT.found}`);',
      `  console.log(bad.length > 0 ? \`Reproduced: ${what} in \${bad.map((t) => t.name).join(', ')}.\` : 'Not reproduced: every checked value is ${verdict.nanOnly ? 'free of NaN' : 'finite'} here (fixed).');`,
      '  return bad.length > 0 ? 1 : 0;',
    );
    return lines;
  }
  if (verdict.kind === 'value') {
    lines.push(
      `  // '${verdict.invariant}' cannot be judged without nanhunt: the case still reproduces while the element it judged holds the same value`,
      '  const t = tensors.find((x) => x.name === VERDICT.tensor);',
      '  const now = t?.values[VERDICT.index];',
      '  const same = now !== undefined && (Object.is(now, VERDICT.value) || (Number.isNaN(now) && Number.isNaN(VERDICT.value)));',
      '  console.log(`${VERDICT.tensor}[${VERDICT.index}] = ${now === undefined ? "(missing)" : fmt(now)}; nanhunt judged ${fmt(VERDICT.value)}`);',
      '  console.log(`nanhunt found: ${VERDICT.found}`);',
      "  console.log(same ? 'Reproduced: the same value nanhunt judged.' : 'Not reproduced: the value changed; check it with nanhunt (the replay command in the report).');",
      '  return same ? 1 : 0;',
    );
    return lines;
  }
  lines.push(
    `  // the verdict of '${verdict.invariant}': every element within tolerance (${verdict.toleranceText}) of its exact answer`,
    '  let out = 0;',
    '  let checked = 0;',
    '  const lines = [];',
    '  for (const exact of VERDICT.tensors) {',
    '    const t = tensors.find((x) => x.name === exact.name);',
    '    if (!t || t.shape.join() !== exact.shape.join()) {',
    "      console.log(`${exact.name}: shape [${t ? t.shape.join(', ') : 'missing'}] where the exact answer has [${exact.shape.join(', ')}]`);",
    '      out++;',
    '      continue;',
    '    }',
    '    for (const e of exact.elements) {',
    '      const got = t.values[e.index];',
    `      const j = judgeElement(got, e, VERDICT.tolerance, exact.peak, ${verdict.of === 'gradient'});`,
    '      if (j.skip) continue;',
    '      checked++;',
    '      if (!j.ok) out++;',
    "      const ex = e.interval ? `any value in [${e.interval[0]}, ${e.interval[1]}] (a kink)` : e.kind === 'finite' ? `${e.exact} (${fmt(Math.fround(e.exact))} in float32)` : e.kind === 'nan' ? 'NaN (undefined)' : e.kind === '+inf' ? 'Infinity' : '-Infinity';",
    "      if (!j.ok || exact.elements.length <= 8) lines.push({ ulps: j.ok ? -1 : j.m.ulps, text: `${exact.name}[${e.index}] = ${fmt(got)}; exact ${ex}: ${j.m.ulps === Infinity ? 'not finite where the exact answer is (Infinity ulps)' : `${j.m.ulps} ulps`}${j.ok ? '' : ' — OUT OF TOLERANCE'}` });",
    '    }',
    '  }',
    '  // the worst first (the element nanhunt reported), the rest in order',
    '  lines.sort((a, b) => b.ulps - a.ulps);',
    '  for (const l of lines.slice(0, 32)) console.log(l.text);',
    '  if (lines.length > 32) console.log(`… ${lines.length - 32} more`);',
    '  console.log(`nanhunt found: ${VERDICT.found}`);',
    '  console.log(out > 0 ? `Reproduced: ${out} of ${checked} elements out of tolerance (${VERDICT.toleranceText}).` : `Not reproduced: all ${checked} elements within tolerance (${VERDICT.toleranceText}) here (fixed).`);',
    '  return out > 0 ? 1 : 0;',
  );
  return lines;
}

/**
 * A writer that knows a kind of counterexample better than the generic one (training
 * configurations have theirs): it returns a script (or why there can be none), or undefined to pass.
 */
export type ReproWriter = (input: ReproInput) => Repro | undefined;

/**
 * The repro script of a failed result (its counterexample), or why no standalone script can
 * reproduce it. Runs the subject a few times to check its source and read the verdict's data.
 */
export function reproScript(input: ReproInput): Repro {
  for (const writer of input.writers ?? []) {
    const repro = writer(input);
    if (repro) return repro;
  }
  const { property, result } = input;
  if (result.counterexample === undefined) throw new TypeError(`reproScript: '${result.name}' has no counterexample`);
  const f = result.failure;
  if (!f) throw new TypeError(`reproScript: '${result.name}' did not fail`);
  const inputs = result.counterexample;
  const reference = execute(property.subject as Subject<unknown>, inputs, { gradients: property.gradients });
  const { resolved, reason } = resolveSource(property, inputs, reference);
  if (!resolved) return { selfContained: false, reason: `the subject cannot run on its own: ${reason}${originText(input.origin)}` };
  const judged = judgeable(property, f, reference);
  if (!judged.verdict) return { selfContained: false, reason: judged.reason };
  const verdict = judged.verdict;

  const vars = new Map<TensorValue, TensorVar>();
  const taken = new Set<string>(SCRIPT_NAMES.split(' '));
  collectTensors(inputs, [], taken, vars);
  const tensorVars = [...vars.values()];
  const differentiated = property.gradients ? tensorVars.filter((v) => v.value.dtype === 'float32') : [];

  const p = result.provenance;
  const tfjsVersion = input.versions?.tfjs ?? tf.version.tfjs;
  const backend = backendSetup(result.backend);
  const lines: string[] = [];

  // header
  lines.push(...comment(`Repro of '${property.name}': ${failureText(f)}`));
  if (property.expectFailure) lines.push(...comment(`(a shipped example of a bug: ${property.expectFailure})`));
  if (p?.born) lines.push(...comment(`first non-finite value born in kernel ${describeCall(p.born)}`));
  else if (p?.firstNonFinite) lines.push(...comment(`first non-finite value seen in kernel ${describeCall(p.firstNonFinite)}`));
  if (p?.nanBorn && !sameCall(p.nanBorn, p.born)) lines.push(...comment(`NaN born in kernel ${describeCall(p.nanBorn)}`));
  const found = [
    `Found by nanhunt${input.versions?.nanhunt ? ` ${input.versions.nanhunt}` : ''} with @tensorflow/tfjs ${tfjsVersion} on backend ${result.backend}`,
    `(seed ${result.seed}${result.path ? `, path ${result.path}` : ''})`,
  ].join(' ');
  lines.push(...comment(`${found + (input.failureFile ? `; saved failure: ${input.failureFile}` : '')}.`));
  lines.push(...comment(`Standalone JavaScript (an ES module): it needs only ${backend.needs} installed.`));
  lines.push(...comment(`Run: ${input.scriptFile ? reproCommand(input.scriptFile) : 'node <this file>'}`));
  lines.push(
    ...comment(
      'It runs the subject on the minimal input, judges the result as nanhunt did, and exits 1 while the bug\nis present, 0 once it is fixed (2 if the script itself fails).',
    ),
  );
  lines.push("import * as tf from '@tensorflow/tfjs';", ...backend.imports, '');

  // subject
  lines.push(`// The code under test: the property's subject${resolved.aliases.length ? ` (${resolved.aliases.join(', ')} is TensorFlow.js)` : ''}.`);
  for (const a of resolved.aliases) lines.push(`const ${a} = tf;`);
  lines.push(`const subject = ${resolved.code};`, '');

  // verdict data
  const { kind: _kind, ...data } = verdict;
  lines.push(
    `// What nanhunt judged (${verdictNote(verdict)}).`,
    `const VERDICT = ${dataLiteral({ ...data, found: failureText(f) })};`,
    '',
    REPRO_RUNTIME,
    '',
    '/** A tensor read back: name, dtype, shape, values. */',
    'function read(name, t) {',
    '  return { name, dtype: t.dtype, shape: t.shape, values: Array.from(t.dataSync()) };',
    '}',
    '',
    '/** The sum of every float32 output (what nanhunt differentiates). */',
    'function floats(out) {',
    "  return tf.addN(outputsOf(out).filter(([, t]) => t.dtype === 'float32').map(([, t]) => tf.sum(t)));",
    '}',
    '',
  );

  // main
  lines.push(
    'async function main() {',
    ...backend.setup,
    '  console.log(`@tensorflow/tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);',
    '  // The minimal failing input, exactly (float32 elements as TensorFlow.js stores them).',
    ...tensorVars.map((v) => `  const ${v.name} = ${tensorLiteral(v.value, '  ')};`),
    `  const inputs = ${inputsExpression(inputs, vars)};`,
    '',
    ...judgeLines(verdict, differentiated, inputs, vars),
    '}',
    '',
    'main().then(',
    '  (code) => {',
    '    process.exitCode = code;',
    '  },',
    '  (e) => {',
    '    console.error(e);',
    '    process.exitCode = 2;',
    '  },',
    ');',
    '',
  );
  return { selfContained: true, text: lines.join('\n') };
}

function verdictNote(v: Verdict): string {
  switch (v.kind) {
    case 'finite':
      return `invariant '${v.invariant}': the ${v.outputs && v.gradients ? 'outputs and gradients' : v.outputs ? 'outputs' : 'gradients'} must hold no ${v.nanOnly ? 'NaN' : 'NaN or ±Infinity'}`;
    case 'accuracy':
      return `invariant '${v.invariant}': the exact answer of every element, computed by nanhunt, and the tolerance`;
    case 'error':
      return `an error at stage ${v.stage}`;
    case 'value':
      return `invariant '${v.invariant}', which needs nanhunt to judge: the element it judged and its value`;
  }
}

function originText(origin: ReproInput['origin']): string {
  if (!origin) return '';
  const exp = origin.exportName !== undefined ? `\`${origin.exportName}${origin.index !== undefined ? `[${origin.index}]` : ''}\` in ` : '';
  return ` (${exp}${shownPath(origin.file)}; give the property a self-contained \`source\`)`;
}

/**
 * Write the repro script of a failure to `<dir>/<slug>.mjs` (atomically). When no standalone
 * script can reproduce it, nothing is written (a script left there by an earlier run is removed)
 * and `file` is absent: `repro.reason` says why.
 */
export function writeRepro(dir: string, input: ReproInput): { file?: string; repro: Repro } {
  const file = path.resolve(dir, reproFileName(input.property.name, input.distinct));
  const repro = reproScript({ ...input, scriptFile: file });
  if (!repro.selfContained) {
    rmSync(file, { force: true });
    return { repro };
  }
  // the same script as the last run's is left alone (a rewrite costs a rename, which flushes the disk)
  if (!sameText(file, repro.text)) writeAtomic(file, repro.text, { durable: false });
  return { file, repro };
}

/** Whether `file` holds `text` already. */
function sameText(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}
