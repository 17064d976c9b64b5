/**
 * Losses as data. A loss compiled by name (`'meanSquaredError'`) is kept by name; a loss function is
 * kept as its source text, to be compiled again with only `tf` in scope when the step is replayed.
 *
 * A function's text is not always runnable on its own: bundlers rename the tfjs namespace
 * (`__vite_ssr_import_0__.log`, read back as `tf.log`), and a loss may call helpers or read
 * variables defined elsewhere. So the text is checked when it is captured: compiled, then called
 * beside the original on the captured targets; a text that fails or gives other values is kept
 * with the reason (`problem`), and the guard's `lossSource` option gives the text explicitly.
 */
import * as tf from '@tensorflow/tfjs';

/** A loss: targets and predictions → one value per example, or a scalar. */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export type LossSpec =
  | { readonly kind: 'name'; readonly name: string }
  | {
      readonly kind: 'source';
      /** A JavaScript function expression of (yTrue, yPred) that uses only `tf`. */
      readonly source: string;
      /** Why the source may not reproduce the loss (it was not verified), when it may not. */
      readonly problem?: string;
    };

/** Module namespaces renamed by vite/vitest: read as `tf`. */
const BUNDLER_IMPORT = /\b(?:__vite_ssr_import_\d+__|__vi_import_\d+__)\b/g;

/** A function's text as an expression: method shorthand `loss(a, b) {…}` becomes `function loss(a, b) {…}`. */
export function asExpression(source: string): string {
  const s = source.trim().replace(BUNDLER_IMPORT, 'tf');
  if (/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(s)) return s;
  if (/^(async\s+)?[A-Za-z_$][\w$]*\s*\(/.test(s)) return s.replace(/^(async\s+)?/, (m) => `${m}function `);
  return s;
}

/** Raised when a captured loss cannot be compiled again. */
export class LossSourceError extends Error {
  override name = 'LossSourceError';
}

/** Compile a loss source with only `tf` in scope. Throws a LossSourceError. */
export function compileLossSource(source: string): LossFunction {
  let fn: unknown;
  try {
    fn = new Function('tf', `"use strict";\nreturn (${asExpression(source)}\n);`)(tf);
  } catch (e) {
    throw new LossSourceError(`the loss source is not a JavaScript function on its own (${(e as Error).message})`);
  }
  if (typeof fn !== 'function') throw new LossSourceError('the loss source is not a function');
  return fn as LossFunction;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * The spec of a compiled model's loss or a loop's loss. A function's text is verified against the
 * function on `probe` targets (predictions: the targets themselves, and 0.25 everywhere).
 */
export function lossSpecOf(loss: unknown, options: { source?: string; probe?: tf.Tensor } = {}): LossSpec {
  if (typeof loss === 'string') return { kind: 'name', name: loss };
  if (typeof loss !== 'function') throw new TypeError(`a loss is a name or a function, got ${loss === null ? 'null' : typeof loss}`);
  const source = options.source ?? asExpression(loss.toString());
  const problem = verify(loss as LossFunction, source, options.probe);
  return problem ? { kind: 'source', source, problem } : { kind: 'source', source };
}

function verify(loss: LossFunction, source: string, y: tf.Tensor | undefined): string | undefined {
  let copy: LossFunction;
  try {
    copy = compileLossSource(source);
  } catch (e) {
    return (e as Error).message;
  }
  if (!y) return undefined;
  return tf.tidy(() => {
    for (const p of [y, tf.fill(y.shape, 0.25, y.dtype === 'int32' ? 'int32' : 'float32')]) {
      let a: tf.Tensor;
      try {
        a = loss(y, p);
      } catch {
        return undefined; // the loss itself does not take this probe: nothing to compare
      }
      let b: unknown;
      try {
        b = copy(y, p);
      } catch (e) {
        const missing = /^([A-Za-z_$][\w$]*) is not defined/.exec((e as Error).message);
        return missing
          ? `the loss source refers to \`${missing[1]}\`, which is defined outside it`
          : `run on its own, the loss source throws: ${(e as Error).message.split('\n')[0]}`;
      }
      if (!(b instanceof tf.Tensor) || a.shape.join() !== b.shape.join() || !sameValues(a.dataSync(), b.dataSync())) {
        return 'run on its own, the loss source gives other values than the loss (it reads variables defined outside it)';
      }
    }
    return undefined;
  });
}

/** What model.compile takes for a spec: the name, or the compiled source. Throws a LossSourceError. */
export function lossForCompile(spec: LossSpec): string | LossFunction {
  return spec.kind === 'name' ? spec.name : compileLossSource(spec.source);
}

/** One line: `meanSquaredError`, or `(yTrue, yPred) => ...` (shortened). */
export function describeLoss(spec: LossSpec, width = 90): string {
  if (spec.kind === 'name') return spec.name;
  const oneLine = spec.source.replace(/\s+/g, ' ');
  return oneLine.length > width ? `${oneLine.slice(0, width - 1)}…` : oneLine;
}
