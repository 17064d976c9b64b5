/**
 * Standalone repro scripts: one TypeScript file per failure that imports only TensorFlow.js,
 * builds the minimal input tensors literally (-0, NaN and ±Infinity exact), runs the subject,
 * prints every output (and gradient, when the property checks them) and says which values are
 * NaN or ±Infinity — ready to paste into a GitHub issue. `npx tsx <file>` runs it; it exits 1
 * when a NaN or Infinity appears.
 *
 * The subject's code comes from the property's `source` (by default the subject's own text). Before
 * it is written, that text is compiled on its own, with only `tf` in scope, and run on the minimal
 * case: the file says the subject "runs as is" only when that run gives bit-identical outputs and
 * gradients. Otherwise (the subject calls a helper defined elsewhere, or captures a variable) the
 * file still builds the inputs and a comment names the exported property whose subject to call.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatNumber, isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import { execute, pathName, type Outcome, type Subject } from '../run/execute.ts';
import { describeCall } from '../explain/provenance.ts';
import type { Property } from '../property/property.ts';
import type { Failure, PropertyResult } from '../property/runner.ts';
import { writeAtomic } from '../core/atomic.ts';
import { reproFileName } from '../db/naming.ts';

export interface ReproInput {
  readonly property: Property<any>;
  /** The failure to reproduce: its counterexample, failure, provenance, backend, seed and path. */
  readonly result: PropertyResult;
  /** Where the property is exported from, for the comment of a subject that cannot run on its own. */
  readonly origin?: { readonly file: string; readonly exportName?: string; readonly index?: number };
  /** Versions for the header (default: this tfjs). */
  readonly versions?: { readonly tfjs?: string; readonly nanhunt?: string };
  /** The saved failure file, named in the header. */
  readonly failureFile?: string;
  /** Where the script will be written: the Run line and the import path of the comment use it. */
  readonly scriptFile?: string;
  /** Writers that know a kind of counterexample better than the generic script, asked in order (src/train's trainingReproWriter). */
  readonly writers?: readonly ReproWriter[];
}

export interface Repro {
  /** The script's text. */
  readonly text: string;
  /** The subject's source ran on its own (with only `tf` in scope) and reproduced its outputs exactly. */
  readonly selfContained: boolean;
  /** Why it is not self-contained. */
  readonly reason?: string;
}

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

/** `(expr)` as `const subject = …;` printed by esbuild, or the text unchanged when that fails. */
function pretty(expression: string): string {
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
// The script

function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel.split(path.sep).join('/');
}

/** The module specifier of `module` from the script (relative, with its extension), or a placeholder. */
function importPath(module: string, scriptFile: string | undefined): string {
  if (!scriptFile) return `<path to ${path.basename(module)}>`;
  const rel = path
    .relative(path.dirname(path.resolve(scriptFile)), path.resolve(module))
    .split(path.sep)
    .join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function comment(text: string): string[] {
  return text.split('\n').map((l) => (l === '' ? '//' : `// ${l}`));
}

function failureText(f: Failure | undefined): string {
  if (!f) return 'no failure';
  return f.kind === 'error' ? `error (${f.stage}): ${f.message}` : `${f.violation.invariant}: ${f.violation.message}`;
}

function backendSetup(backend: string): { imports: string[]; setup: string[] } {
  if (backend === 'wasm') {
    return {
      imports: ["import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';", "import { createRequire } from 'node:module';"],
      setup: [
        "  const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');",
        "  setWasmPaths(wasm.slice(0, wasm.length - 'tfjs-backend-wasm.wasm'.length));",
        "  await tf.setBackend('wasm');",
      ],
    };
  }
  if (backend === 'node' || backend === 'node-gpu' || backend === 'tensorflow') {
    const pkg = backend === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    return { imports: [`import '${pkg}';`], setup: ["  await tf.setBackend('tensorflow');"] };
  }
  return { imports: [], setup: [`  await tf.setBackend('${backend.replace(/[^\w-]/g, '')}');`] };
}

/** The repro script of a failed result (its counterexample). Runs the subject a few times to check its source. */
/**
 * A writer that knows a kind of counterexample better than the generic one (training
 * configurations have theirs): it returns a script, or undefined to pass.
 */
export type ReproWriter = (input: ReproInput) => Repro | undefined;

export function reproScript(input: ReproInput): Repro {
  for (const writer of input.writers ?? []) {
    const repro = writer(input);
    if (repro) return repro;
  }
  const { property, result } = input;
  if (result.counterexample === undefined) throw new TypeError(`reproScript: '${result.name}' has no counterexample`);
  const inputs = result.counterexample;
  const reference = execute(property.subject as Subject<unknown>, inputs, { gradients: property.gradients });
  const { resolved, reason } = resolveSource(property, inputs, reference);

  const vars = new Map<TensorValue, TensorVar>();
  collectTensors(inputs, [], new Set(), vars);
  const tensorVars = [...vars.values()];
  const differentiated = reference.kind === 'ok' ? tensorVars.filter((v) => reference.observation.gradients.some((g) => g.wrt === v.path)) : [];

  const f = result.failure;
  const location = f?.kind === 'violation' ? f.violation.location : undefined;
  const p = result.provenance;
  const tfjsVersion = input.versions?.tfjs ?? tf.version.tfjs;
  const lines: string[] = [];

  // header
  lines.push(...comment(`Repro of '${property.name}': ${failureText(f)}`));
  if (property.expectFailure) lines.push(...comment(`(a shipped example of a bug: ${property.expectFailure})`));
  if (p?.born) lines.push(...comment(`first non-finite value born in kernel ${describeCall(p.born)}`));
  else if (p?.firstNonFinite) lines.push(...comment(`first non-finite value seen in kernel ${describeCall(p.firstNonFinite)}`));
  if (p?.nanBorn && p.nanBorn !== p.born) lines.push(...comment(`NaN born in kernel ${describeCall(p.nanBorn)}`));
  const found = [
    `Found by nanhunt${input.versions?.nanhunt ? ` ${input.versions.nanhunt}` : ''} with @tensorflow/tfjs ${tfjsVersion} on backend ${result.backend}`,
    `(seed ${result.seed}${result.path ? `, path ${result.path}` : ''})`,
  ].join(' ');
  lines.push(...comment(`${found + (input.failureFile ? `; saved failure: ${input.failureFile}` : '')}.`));
  const run = input.scriptFile ? shownPath(input.scriptFile) : '<this file>';
  lines.push(...comment(`Run: npx tsx ${run}. It prints every output and says which values are NaN or ±Infinity;`));
  lines.push(...comment('it exits 1 when one is.'));
  lines.push("import * as tf from '@tensorflow/tfjs';");
  const backend = backendSetup(result.backend);
  lines.push(...backend.imports, '');

  // inputs
  // (built inside main, once the backend is ready: tensors made earlier would start the default backend)
  const inputLines = [
    '  // The minimal failing input, exactly (float32 elements as TensorFlow.js stores them).',
    ...tensorVars.map((v) => `  const ${v.name} = ${tensorLiteral(v.value, '  ')};`),
    `  const inputs = ${inputsExpression(inputs, vars)};`,
    '',
  ];

  // subject
  if (resolved) {
    lines.push(`// The code under test: the property's subject${resolved.aliases.length ? ` (${resolved.aliases.join(', ')} is TensorFlow.js)` : ''}.`);
    for (const a of resolved.aliases) lines.push(`const ${a} = tf;`);
    lines.push(`const subject: (inputs: any) => any = ${resolved.code};`);
  } else {
    const o = input.origin;
    const where = o
      ? `${o.exportName !== undefined ? `\`${o.exportName}${o.index !== undefined ? `[${o.index}]` : ''}\` exported from ` : ''}${shownPath(o.file)}`
      : 'the module that defines the property';
    lines.push(...comment(`The code under test is the subject of the property '${property.name}' (${where}).`));
    lines.push(...comment(`This file cannot run it as written: ${reason}.`));
    lines.push(
      ...comment(
        o?.exportName !== undefined
          ? `Call that property's subject instead:\n  import { ${o.exportName} } from '${importPath(o.file, input.scriptFile)}';\n  const subject = ${o.exportName}${o.index !== undefined ? `[${o.index}]` : ''}.subject;\nor paste what it refers to above. Its source:`
          : 'Paste what it refers to above. Its source:',
      ),
    );
    lines.push(`const subject: (inputs: any) => any = ${pretty(dedent(asExpression(property.source)))};`);
  }
  lines.push('');

  // helpers and main
  lines.push(
    '/** Every output of the subject with its name (a tensor, an array or a record of tensors). */',
    'function outputsOf(out: unknown): [string, tf.Tensor][] {',
    "  if (out instanceof tf.Tensor) return [['output', out]];",
    '  if (Array.isArray(out)) return out.map((t, i): [string, tf.Tensor] => [`output[${i}]`, t]);',
    '  return Object.entries(out as Record<string, tf.Tensor>).map(([k, t]): [string, tf.Tensor] => [`output.${k}`, t]);',
    '}',
    '',
    '/** A float32 value as its shortest exact decimal; -0, NaN and ±Infinity spelled out. */',
    'function fmt(x: number): string {',
    "  if (Object.is(x, -0)) return '-0';",
    '  if (Number.isFinite(x) && Math.fround(x) === x) {',
    '    for (let p = 1; p <= 9; p++) {',
    '      const s = x.toPrecision(p);',
    '      if (Math.fround(Number(s)) === x) return String(Number(s));',
    '    }',
    '  }',
    '  return String(x);',
    '}',
    '',
    '/** Print a tensor and which of its elements are NaN or ±Infinity; true when there are some. */',
    'function show(name: string, t: tf.Tensor): boolean {',
    '  const values = Array.from(t.dataSync() as ArrayLike<number>);',
    "  const text = values.length <= 64 ? values.map(fmt).join(', ') : `${values.slice(0, 16).map(fmt).join(', ')}, … ${values.length - 16} more`;",
    "  console.log(`${name}: ${t.dtype} [${t.shape.join(', ')}] [${text}]`);",
    '  const bad = values.flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));',
    '  if (bad.length > 0) {',
    "    const where = bad.slice(0, 8).map((i) => `[${i}] = ${fmt(values[i]!)}`).join(', ');",
    "    console.log(`  NON-FINITE: ${bad.length} of ${values.length} elements: ${where}${bad.length > 8 ? ', …' : ''}`);",
    '  }',
    '  return bad.length > 0;',
    '}',
    '',
  );
  const countOutputs = location?.kind !== 'gradient';
  const countGradients = location?.kind !== 'output';
  lines.push(
    'async function main(): Promise<void> {',
    ...backend.setup,
    '  console.log(`@tensorflow/tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);',
    '',
    ...inputLines,
    '  let nonFinite = false;',
  );
  lines.push(`  for (const [name, t] of outputsOf(subject(inputs))) ${countOutputs ? 'nonFinite = show(name, t) || nonFinite' : 'show(name, t)'};`);
  if (differentiated.length > 0) {
    const params = differentiated.map((v) => `${v.name}: tf.Tensor`).join(', ');
    lines.push(
      '  // gradients of the sum of every float32 output with respect to the float32 inputs, as nanhunt takes them',
      "  const total = (out: unknown): tf.Tensor => tf.addN(outputsOf(out).filter(([, t]) => t.dtype === 'float32').map(([, t]) => tf.sum(t)));",
      `  const grads = tf.grads((${params}) => total(subject(${inputsExpression(inputs, vars)})))([${differentiated.map((v) => v.name).join(', ')}]);`,
      `  ${JSON.stringify(differentiated.map((v) => `grad(${v.path})`))}.forEach((name, i) => {`,
      `    ${countGradients ? 'nonFinite = show(name, grads[i]!) || nonFinite' : 'show(name, grads[i]!)'};`,
      '  });',
    );
  }
  if (location && Number.isFinite(location.value)) {
    const expected = location.expected !== undefined ? `, expected ${numberLiteral(location.expected)}` : '';
    lines.push(
      `  console.log(${JSON.stringify(`nanhunt found ${location.tensor}[${location.index}] = ${numberLiteral(location.value)}${expected}: ${failureText(f)}`)});`,
    );
  }
  lines.push(
    "  console.log(nonFinite ? 'Reproduced: NaN or Infinity above.' : 'No NaN or Infinity: this case does not reproduce here.');",
    "  if (nonFinite && typeof process !== 'undefined') process.exitCode = 1;",
    '}',
    '',
    'main().catch((e) => {',
    '  console.error(e);',
    "  if (typeof process !== 'undefined') process.exitCode = 2;",
    '});',
    '',
  );
  return { text: lines.join('\n'), selfContained: resolved !== undefined, ...(resolved ? {} : { reason }) };
}

/** Write the repro script of a failure to `<dir>/<slug>.ts` (atomically); returns its path. */
export function writeRepro(dir: string, input: ReproInput): { file: string; repro: Repro } {
  const file = path.resolve(dir, reproFileName(input.property.name));
  const repro = reproScript({ ...input, scriptFile: file });
  writeAtomic(file, repro.text);
  return { file, repro };
}
