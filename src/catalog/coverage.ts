/**
 * Coverage of the catalog, measured: which kernels the cpu backend registers (172 in tfjs 4.22)
 * and which functions of tf.losses and tf.train the catalog's entries exercise, in one table.
 *
 * Nothing is declared. Every property of every entry runs once, on one generated case, with
 *
 * - kernel recording on (explain/provenance.ts {@link observeKernels}): each kernel that runs is
 *   noted, as a forward kernel or — when it runs inside a gradient function — a backward one;
 * - every registered gradient function (tf.getGradient) wrapped: a kernel's gradient is covered
 *   when an entry's property makes tfjs call it;
 * - every function of tf.losses and tf.train wrapped to note its calls.
 *
 * A kernel is covered by value when a value property (the value, special values, large inputs)
 * runs it, or when it runs inside a gradient function of a gradient property (a backward kernel,
 * judged by the gradient check); its gradient is covered when some property calls its gradient
 * function. A kernel counts as covered when its value is, and its gradient too where tfjs
 * registers one (unless the gradient is excluded with a reason). The rest is excluded with a
 * reason given as data — nanhunt's is properties/coverage.ts; this module never imports it — and
 * {@link coverageReport} lists the problems: a kernel neither covered nor excluded, an exclusion
 * that has gone stale (an entry covers the kernel now) or names a kernel the backend lacks, an
 * entry that names an op tfjs does not have.
 */
import * as tf from '@tensorflow/tfjs';
import { observeKernels } from '../explain/provenance.ts';
import { firstExample } from '../property/engine.ts';
import { execute } from '../run/execute.ts';
import { entryProperties, type OpInfo } from './op-info.ts';

/** Why a kernel (or its gradient, or a function) is not covered. `pending`: an entry is still to be written. */
export const EXCLUSION_CATEGORIES = {
  creation: 'makes a tensor from shapes or scalars (no arithmetic on values)',
  shape: 'moves or relabels elements without arithmetic',
  dtype: 'changes the dtype only',
  random: 'random values: no exact answer',
  string: 'string tensors',
  complex: 'complex64 tensors',
  boolean: 'boolean or integer logic, exact by construction',
  index: 'returns indices or counts, not computed values',
  sparse: 'sparse and ragged index structures',
  image: 'image and box utilities',
  browser: 'needs a browser (canvas)',
  'zero gradient': 'piecewise constant: the gradient is 0 wherever it exists',
  pending: 'no catalog entry yet',
} as const;
export type ExclusionCategory = keyof typeof EXCLUSION_CATEGORIES;

export interface Exclusion {
  readonly category: ExclusionCategory;
  /** One sentence: why, or what entry will cover it. */
  readonly reason: string;
}

/** The exclusions and declared compositions (nanhunt's: properties/coverage.ts). */
export interface CoverageData {
  /** Kernels no entry covers, by kernel name. */
  readonly kernels: Readonly<Record<string, Exclusion>>;
  /** Kernels whose value is covered but whose registered gradient is not, by kernel name. */
  readonly gradients: Readonly<Record<string, Exclusion>>;
  /** Functions of tf.losses and tf.train no entry covers, as `losses.<name>` / `train.<name>`. */
  readonly functions: Readonly<Record<string, Exclusion>>;
  /** Entries whose name is not a tfjs op but a composition of ops, by entry name: what they compose. */
  readonly compositions: Readonly<Record<string, string>>;
}

/** What the catalog ran, by kernel or function name: the entries that ran it. */
export interface CoverageMeasurement {
  readonly backend: string;
  /** Kernels run by value properties (outside gradient functions). */
  readonly value: ReadonlyMap<string, readonly string[]>;
  /** Kernels run inside gradient functions (backward kernels). */
  readonly backward: ReadonlyMap<string, readonly string[]>;
  /** Kernels whose registered gradient function was called. */
  readonly gradient: ReadonlyMap<string, readonly string[]>;
  /** tf.losses / tf.train functions called by value properties and by gradient properties. */
  readonly functions: ReadonlyMap<string, { readonly value: readonly string[]; readonly gradient: readonly string[] }>;
  /** Properties run. */
  readonly properties: number;
  /** Runs that ended in an error (their kernels up to the error still count). */
  readonly errors: readonly { readonly property: string; readonly message: string }[];
}

/** The functions of tf.losses and tf.train, as `losses.<name>` and `train.<name>`. */
export function namespaceFunctions(): string[] {
  const names = (ns: string, o: object) =>
    Object.entries(o)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => `${ns}.${k}`);
  return [...names('losses', tf.losses), ...names('train', tf.train)].sort();
}

type Collector = Map<string, Set<string>>;
const note = (m: Collector, key: string, entry: string): void => {
  let s = m.get(key);
  if (!s) {
    s = new Set();
    m.set(key, s);
  }
  s.add(entry);
};
const frozen = (m: Collector): Map<string, string[]> => new Map([...m].map(([k, v]) => [k, [...v].sort()]));

/**
 * Run every property of every entry once (one generated case for `seed`) on the active backend,
 * noting the kernels, gradient functions and tf.losses / tf.train functions each runs. Everything
 * wrapped is restored afterwards.
 */
export function measureCoverage(table: readonly OpInfo[], options: { readonly seed?: number } = {}): CoverageMeasurement {
  const seed = options.seed ?? 0;
  const backend = tf.getBackend();
  const value: Collector = new Map();
  const backward: Collector = new Map();
  const gradient: Collector = new Map();
  const fnValue: Collector = new Map();
  const fnGradient: Collector = new Map();
  const errors: { property: string; message: string }[] = [];
  let current: { entry: string; gradients: boolean } | undefined;
  let depth = 0; // > 0 while a gradient function's thunks run
  const restore: (() => void)[] = [];
  try {
    // the registered gradients: note each call and run its thunks at depth + 1
    for (const { kernelName } of tf.getKernelsForBackend(backend)) {
      const config = tf.getGradient(kernelName);
      if (!config) continue;
      const inner = config.gradFunc;
      const gradFunc: typeof inner = (dy, saved, attrs) => {
        if (current) note(gradient, kernelName, current.entry);
        const thunks = inner(dy, saved, attrs);
        return Object.fromEntries(
          Object.entries(thunks).map(([k, thunk]) => [
            k,
            () => {
              depth++;
              try {
                return thunk();
              } finally {
                depth--;
              }
            },
          ]),
        );
      };
      tf.registerGradient({ ...config, gradFunc });
      restore.push(() => tf.registerGradient(config));
    }
    // the functions of tf.losses and tf.train
    for (const [ns, obj] of [
      ['losses', tf.losses],
      ['train', tf.train],
    ] as const) {
      const o = obj as unknown as Record<string, unknown>;
      for (const [name, f] of Object.entries(o)) {
        if (typeof f !== 'function') continue;
        o[name] = function (this: unknown, ...args: unknown[]) {
          if (current) note(current.gradients ? fnGradient : fnValue, `${ns}.${name}`, current.entry);
          return (f as (...a: unknown[]) => unknown).apply(this, args);
        };
        restore.push(() => {
          o[name] = f;
        });
      }
    }
    let properties = 0;
    for (const entry of table) {
      for (const p of entryProperties(entry)) {
        properties++;
        current = { entry: entry.name, gradients: p.gradients };
        const input = firstExample(p.arbitrary, seed);
        const outcome = observeKernels(
          () => execute(p.subject, input, { gradients: p.gradients }),
          (kernel) => {
            if (depth > 0) note(backward, kernel, entry.name);
            else if (!p.gradients) note(value, kernel, entry.name);
          },
        );
        if (outcome.kind === 'error') errors.push({ property: p.name, message: outcome.message });
        current = undefined;
      }
    }
    const functions = new Map<string, { value: string[]; gradient: string[] }>();
    for (const f of new Set([...fnValue.keys(), ...fnGradient.keys()])) {
      functions.set(f, { value: [...(fnValue.get(f) ?? [])].sort(), gradient: [...(fnGradient.get(f) ?? [])].sort() });
    }
    return { backend, value: frozen(value), backward: frozen(backward), gradient: frozen(gradient), functions, properties, errors };
  } finally {
    current = undefined;
    for (const r of restore.reverse()) r();
  }
}

/** The op an entry's name names: `losses.x ...` and `train.x ...` in those namespaces, else tf.<first word>. */
export function entryOp(name: string): { readonly ns: 'tf' | 'losses' | 'train'; readonly fn: string } {
  const first = name.split(' ')[0]!;
  if (first.startsWith('losses.')) return { ns: 'losses', fn: first.slice('losses.'.length) };
  if (first.startsWith('train.')) return { ns: 'train', fn: first.slice('train.'.length) };
  return { ns: 'tf', fn: first };
}

/** True when tfjs has the op an entry's name names. */
export function tfHasOp(name: string): boolean {
  const { ns, fn } = entryOp(name);
  const space = (ns === 'tf' ? tf : ns === 'losses' ? tf.losses : tf.train) as unknown as Record<string, unknown>;
  return Object.hasOwn(space, fn) && typeof space[fn] === 'function';
}

export type CoverageStatus = 'covered' | 'partial' | 'excluded' | 'pending' | 'uncovered';

/** One row of the table: a kernel, or a function of tf.losses / tf.train. */
export interface CoverageRow {
  readonly kind: 'kernel' | 'function';
  readonly name: string;
  /** Entries whose value properties run it. */
  readonly value: readonly string[];
  /** Entries whose gradient properties run it inside a gradient function (kernels only). */
  readonly backward: readonly string[];
  /** Whether tfjs registers a gradient for the kernel (functions: whether they are differentiable losses). */
  readonly hasGradient: boolean;
  /** Entries that call its gradient (kernels) or differentiate it (losses). */
  readonly gradient: readonly string[];
  /** covered: value, and gradient where registered; partial: the value only; excluded / pending: by the data; uncovered: nothing. */
  readonly status: CoverageStatus;
  readonly exclusion?: Exclusion;
  readonly gradientExclusion?: Exclusion;
}

export interface CoverageTotals {
  readonly kernels: number;
  /** Kernels covered (value, and gradient where tfjs registers one, unless the gradient is excluded). */
  readonly covered: number;
  readonly partial: number;
  readonly excluded: number;
  readonly pending: number;
  readonly uncovered: number;
  /** Excluded and pending kernels by category. */
  readonly byCategory: Readonly<Record<string, number>>;
  /** Kernels with a registered gradient, and those whose gradient an entry calls. */
  readonly gradients: number;
  readonly gradientsCovered: number;
  readonly functions: number;
  readonly functionsCovered: number;
}

export interface CoverageReport {
  readonly backend: string;
  readonly rows: readonly CoverageRow[];
  readonly totals: CoverageTotals;
  /** What makes the table wrong: unclassified kernels, stale or unknown exclusions, unknown ops. Empty when all is well. */
  readonly problems: readonly string[];
}

export interface CoverageInput {
  /** Kernel names the backend registers. */
  readonly kernels: readonly string[];
  /** Whether tfjs registers a gradient for a kernel. */
  readonly hasGradient: (kernel: string) => boolean;
  /** `losses.<name>` and `train.<name>`. */
  readonly functions: readonly string[];
  readonly measurement: CoverageMeasurement;
  readonly data: CoverageData;
  /** Entry names (for unknown ops and stale compositions). */
  readonly entries: readonly string[];
  /** Whether tfjs has the op an entry names (default {@link tfHasOp}). */
  readonly hasOp?: (entry: string) => boolean;
}

const list = (m: ReadonlyMap<string, readonly string[]>, k: string): readonly string[] => m.get(k) ?? [];
const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();

/** Classify every kernel and function and list the problems. */
export function coverageReport(input: CoverageInput): CoverageReport {
  const { measurement: m, data } = input;
  const problems: string[] = [];
  const known = new Set(input.kernels);
  for (const k of Object.keys(data.kernels))
    if (!known.has(k)) problems.push(`exclusion names kernel '${k}', which the ${m.backend} backend does not register`);
  for (const k of Object.keys(data.gradients)) {
    if (!known.has(k)) problems.push(`gradient exclusion names kernel '${k}', which the ${m.backend} backend does not register`);
    else if (!input.hasGradient(k)) problems.push(`gradient exclusion names kernel '${k}', for which tfjs registers no gradient`);
  }
  const rows: CoverageRow[] = [];
  for (const k of [...input.kernels].sort()) {
    const value = list(m.value, k);
    const backward = list(m.backward, k);
    const gradient = list(m.gradient, k);
    const hasGradient = input.hasGradient(k);
    const exclusion = data.kernels[k];
    const gradientExclusion = data.gradients[k];
    const valueCovered = value.length > 0 || backward.length > 0;
    // a gradient excluded as pending keeps the kernel partial (not yet covered) without being a problem
    const gradientOk = !hasGradient || gradient.length > 0 || (gradientExclusion !== undefined && gradientExclusion.category !== 'pending');
    let status: CoverageStatus;
    if (valueCovered) {
      status = gradientOk ? 'covered' : 'partial';
      if (exclusion) problems.push(`exclusion of kernel '${k}' is stale: ${union(value, backward).join(', ')} run it (remove it from the exclusions)`);
      if (!gradientOk && gradientExclusion === undefined) {
        problems.push(`kernel '${k}': its value is covered but no property calls its registered gradient (cover it, or exclude the gradient with a reason)`);
      }
      if (gradientExclusion && gradient.length > 0) problems.push(`gradient exclusion of kernel '${k}' is stale: ${gradient.join(', ')} call its gradient`);
    } else if (exclusion) {
      status = exclusion.category === 'pending' ? 'pending' : 'excluded';
    } else {
      status = 'uncovered';
      problems.push(`kernel '${k}' is neither covered by a catalog entry nor excluded with a reason`);
    }
    rows.push({
      kind: 'kernel',
      name: k,
      value,
      backward,
      hasGradient,
      gradient,
      status,
      ...(exclusion ? { exclusion } : {}),
      ...(gradientExclusion ? { gradientExclusion } : {}),
    });
  }
  const fnKnown = new Set(input.functions);
  for (const f of Object.keys(data.functions)) if (!fnKnown.has(f)) problems.push(`exclusion names '${f}', which tfjs does not have`);
  for (const f of [...input.functions].sort()) {
    const calls = m.functions.get(f);
    const value = calls?.value ?? [];
    const gradient = calls?.gradient ?? [];
    const exclusion = data.functions[f];
    // a loss is differentiable: its gradient counts; an optimizer's step is judged by value
    const hasGradient = f.startsWith('losses.');
    let status: CoverageStatus;
    if (value.length > 0) {
      status = !hasGradient || gradient.length > 0 ? 'covered' : 'partial';
      if (exclusion) problems.push(`exclusion of '${f}' is stale: ${value.join(', ')} call it`);
      if (status === 'partial') problems.push(`'${f}': its value is covered but no gradient property differentiates it`);
    } else if (exclusion) {
      status = exclusion.category === 'pending' ? 'pending' : 'excluded';
    } else {
      status = 'uncovered';
      problems.push(`'${f}' is neither covered by a catalog entry nor excluded with a reason`);
    }
    rows.push({ kind: 'function', name: f, value, backward: [], hasGradient, gradient, status, ...(exclusion ? { exclusion } : {}) });
  }
  const hasOp = input.hasOp ?? tfHasOp;
  const entries = new Set(input.entries);
  for (const e of input.entries) {
    if (!hasOp(e) && data.compositions[e] === undefined) {
      const { ns, fn } = entryOp(e);
      problems.push(
        `entry '${e}' names ${ns === 'tf' ? `tf.${fn}` : `tf.${ns}.${fn}`}, which tfjs does not have (list it in the compositions if it composes ops)`,
      );
    }
  }
  for (const c of Object.keys(data.compositions)) if (!entries.has(c)) problems.push(`composition '${c}' is not a catalog entry (stale)`);
  const kernels = rows.filter((r) => r.kind === 'kernel');
  const functions = rows.filter((r) => r.kind === 'function');
  const count = (rs: CoverageRow[], s: CoverageStatus) => rs.filter((r) => r.status === s).length;
  const byCategory: Record<string, number> = {};
  for (const r of kernels)
    if (r.exclusion && !(r.status === 'covered' || r.status === 'partial')) byCategory[r.exclusion.category] = (byCategory[r.exclusion.category] ?? 0) + 1;
  const totals: CoverageTotals = {
    kernels: kernels.length,
    covered: count(kernels, 'covered'),
    partial: count(kernels, 'partial'),
    excluded: count(kernels, 'excluded'),
    pending: count(kernels, 'pending'),
    uncovered: count(kernels, 'uncovered'),
    byCategory,
    gradients: kernels.filter((r) => r.hasGradient).length,
    gradientsCovered: kernels.filter((r) => r.hasGradient && r.gradient.length > 0).length,
    functions: functions.length,
    functionsCovered: count(functions, 'covered'),
  };
  return { backend: m.backend, rows, totals, problems };
}

/** The report for the active backend's kernels: measure, then classify. */
export function catalogCoverage(table: readonly OpInfo[], data: CoverageData, options: { readonly seed?: number } = {}): CoverageReport {
  const measurement = measureCoverage(table, options);
  return coverageReport({
    kernels: tf.getKernelsForBackend(measurement.backend).map((k) => k.kernelName),
    hasGradient: (k) => tf.getGradient(k) !== undefined,
    functions: namespaceFunctions(),
    measurement,
    data,
    entries: table.map((e) => e.name),
  });
}

function cell(names: readonly string[], width: number): string {
  if (names.length === 0) return '—';
  const first = names[0]!;
  const more = names.length > 1 ? ` (+${names.length - 1})` : '';
  const text = `${first}${more}`;
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The table as text lines: one row per kernel and function, then the totals and the problems. */
export function formatCoverage(report: CoverageReport): string[] {
  const W = 30;
  const lines: string[] = [];
  const name = Math.max(...report.rows.map((r) => r.name.length), 6) + 2;
  lines.push(`${'kernel'.padEnd(name)}${'status'.padEnd(10)}${'value (entries)'.padEnd(W + 2)}${'gradient (entries)'.padEnd(W + 2)}why not`);
  for (const r of report.rows) {
    if (r.kind === 'function' && report.rows[report.rows.indexOf(r) - 1]?.kind === 'kernel') {
      lines.push('');
      lines.push(`${'function'.padEnd(name)}${'status'.padEnd(10)}${'value (entries)'.padEnd(W + 2)}${'gradient (entries)'.padEnd(W + 2)}why not`);
    }
    const value = cell(r.value.length > 0 ? r.value : r.backward.map((b) => `${b} (backward)`), W);
    const gradient = r.hasGradient ? cell(r.gradient, W) : r.kind === 'kernel' ? 'none registered' : 'n/a';
    const why = r.exclusion
      ? `${r.exclusion.category}: ${r.exclusion.reason}`
      : r.gradientExclusion
        ? `gradient ${r.gradientExclusion.category}: ${r.gradientExclusion.reason}`
        : '';
    lines.push(`${r.name.padEnd(name)}${r.status.padEnd(10)}${value.padEnd(W + 2)}${gradient.padEnd(W + 2)}${why}`.trimEnd());
  }
  const t = report.totals;
  const cats = Object.entries(t.byCategory)
    .filter(([c]) => c !== 'pending')
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  lines.push('');
  lines.push(
    `${t.covered} of ${t.kernels} ${report.backend} kernels covered (value, and gradient where tfjs registers one); ${t.partial} value only, ${t.excluded} excluded${cats ? ` (${cats})` : ''}, ${t.pending} pending an entry, ${t.uncovered} unclassified`,
  );
  lines.push(
    `gradients: ${t.gradientsCovered} of ${t.gradients} registered gradients called by an entry; tf.losses and tf.train: ${t.functionsCovered} of ${t.functions} functions covered`,
  );
  for (const p of report.problems) lines.push(`problem: ${p}`);
  return lines;
}
