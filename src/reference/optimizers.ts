/**
 * Exact references for one step of the tf.train optimizers: sgd, momentum, adagrad, adadelta,
 * adam, adamax and rmsprop.
 *
 * Each takes the variable's value, its gradient and (optionally) the optimizer's state before
 * the step, and returns the exact value and state after it. The update formulas are tfjs's own
 * (node_modules/@tensorflow/tfjs-core/dist/optimizers/*.js), with the same defaults:
 *
 * | optimizer | defaults                                                        | initial state        |
 * |-----------|-----------------------------------------------------------------|----------------------|
 * | sgd       | -                                                               | -                    |
 * | momentum  | useNesterov false                                               | accumulation 0       |
 * | adagrad   | initialAccumulatorValue 0.1, epsilon 1e-7 (backend epsilon)     | accumulator 0.1      |
 * | adadelta  | learningRate 0.001, rho 0.95, epsilon 1e-7                      | both accumulators 0  |
 * | adam      | learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7        | moments 0, step 1    |
 * | adamax    | learningRate 0.002, beta1 0.9, beta2 0.999, epsilon 1e-7, decay 0 | moments 0, step 1  |
 * | rmsprop   | decay 0.9, momentum 0, epsilon 1e-7, centered false             | all 0                |
 *
 * Hyperparameters enter as the float32 scalars tfjs makes of them: a learning rate of 0.001 is
 * fround(0.001), `1 - beta1` is computed in float64 by tfjs and then rounded to float32
 * (fround(1 - 0.9) = 0.10000000149..., while 1 - fround(0.9) = 0.10000002384...), and Adam's
 * bias correction uses fround(beta1)^step exactly. Everything after that is exact.
 *
 * Two tfjs formulas differ from TensorFlow (Python/C++); the tfjs one is the default and
 * `variant: 'tensorflow'` selects TensorFlow's:
 * - adadelta: tfjs scales the update by sqrt(accumulatedUpdate + eps) / sqrt(accumulatedGrad +
 *   eps) using the accumulated squared gradient *before* this step's gradient is added;
 *   TensorFlow uses the updated one.
 * - centered rmsprop: tfjs divides by sqrt(meanSquare - (meanGrad^2 + eps)), TensorFlow by
 *   sqrt(meanSquare - meanGrad^2 + eps). tfjs's form is NaN (square root of a negative number)
 *   whenever meanSquare - meanGrad^2 < eps, e.g. on the first step for any |gradient| below
 *   about 0.001 with the default decay; TensorFlow's is always finite.
 */
import { evaluate, type Arith } from './arith.ts';
import { ExactBuilder, type ExactTensor } from './exact.ts';
import { formatShape, readInput, readScalarParam, type Read, type RefInput } from './input.ts';
import { resolveOptions, type ReferenceOptions, type ResolvedOptions } from './options.ts';

/** backend.epsilon() of tfjs's float32 backends. */
export const TFJS_EPSILON = 1e-7;

/** Per-element formulas of one output, in generic arithmetic. */
type Update = <T>(A: Arith<T>, s: Record<string, T>) => T;

interface Step {
  /** Input tensors by name (value, gradient and state). */
  readonly inputs: Record<string, Read>;
  /** Output names and formulas, in order; `value` first. */
  readonly outputs: readonly [string, Update][];
}

function run(_fn: string, step: Step, o: ResolvedOptions): Record<string, ExactTensor> {
  const value = step.inputs.value!;
  const n = value.size;
  const names = Object.keys(step.inputs);
  const result: Record<string, ExactTensor> = {};
  for (const [outName, formula] of step.outputs) {
    const out = new ExactBuilder(value.shape, n, true);
    for (let i = 0; i < n; i++) {
      const r = evaluate(<T>(A: Arith<T>): T => {
        const s: Record<string, T> = {};
        for (const k of names) s[k] = A.num(step.inputs[k]!.data[i]!);
        return formula(A, s);
      }, o);
      out.set(i, r.value, r.kind);
      out.magnitude![i] = Number.isNaN(r.magnitude) ? Math.abs(r.value) : r.magnitude;
      if (r.slow) out.slow++;
    }
    result[outName] = out.build();
  }
  return result;
}

function readState(fn: string, value: Read, o: ResolvedOptions, name: string, x: RefInput | undefined, fill: number): Read {
  if (x === undefined) return { shape: value.shape, size: value.size, data: new Float64Array(value.size).fill(Math.fround(fill)) };
  const r = readInput(fn, name, x, o);
  if (r.shape.length !== value.shape.length || r.shape.some((d, i) => d !== value.shape[i])) {
    throw new RangeError(`${fn}: argument '${name}' has shape ${formatShape(r.shape)} but 'value' has shape ${formatShape(value.shape)}; they must match`);
  }
  return r;
}

function base(fn: string, args: { value: RefInput; gradient: RefInput }, o: ResolvedOptions): { value: Read; gradient: Read } {
  if (args === null || typeof args !== 'object') throw new TypeError(`${fn}: expects an object { value, gradient, ... }`);
  const value = readInput(fn, 'value', args.value, o);
  if (args.gradient === undefined) readInput(fn, 'gradient', undefined, o);
  const gradient = readState(fn, value, o, 'gradient', args.gradient, 0);
  return { value, gradient };
}

/** fround of a JS-side hyperparameter expression, as tfjs's scalar() makes it. */
const f32 = Math.fround;

export interface StepArgs {
  /** The variable's value before the step. */
  readonly value: RefInput;
  /** Its gradient. */
  readonly gradient: RefInput;
}

/** tf.train.sgd(learningRate): value - lr * gradient. */
export function sgd(args: StepArgs & { readonly learningRate: number }, options?: ReferenceOptions): { value: ExactTensor } {
  const fn = 'train.sgd';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const c = f32(-readScalarParam(fn, 'learningRate', args.learningRate));
  const r = run(fn, { inputs: { value, gradient }, outputs: [['value', (A, s) => A.add(A.mul(A.num(c), s.gradient!), s.value!)]] }, o);
  return { value: r.value! };
}

/** tf.train.momentum(learningRate, momentum, useNesterov). */
export function momentum(
  args: StepArgs & { readonly learningRate: number; readonly momentum: number; readonly useNesterov?: boolean; readonly accumulation?: RefInput },
  options?: ReferenceOptions,
): { value: ExactTensor; accumulation: ExactTensor } {
  const fn = 'train.momentum';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const accumulation = readState(fn, value, o, 'accumulation', args.accumulation, 0);
  const c = f32(-readScalarParam(fn, 'learningRate', args.learningRate));
  const m = f32(readScalarParam(fn, 'momentum', args.momentum));
  const nesterov = args.useNesterov ?? false;
  const acc = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(A.num(m), s.accumulation!), s.gradient!);
  const r = run(
    fn,
    {
      inputs: { value, gradient, accumulation },
      outputs: [
        [
          'value',
          (A, s) => (nesterov ? A.add(A.mul(A.num(c), A.add(s.gradient!, A.mul(acc(A, s), A.num(m)))), s.value!) : A.add(A.mul(A.num(c), acc(A, s)), s.value!)),
        ],
        ['accumulation', acc],
      ],
    },
    o,
  );
  return { value: r.value!, accumulation: r.accumulation! };
}

/** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1). */
export function adagrad(
  args: StepArgs & { readonly learningRate: number; readonly initialAccumulatorValue?: number; readonly accumulator?: RefInput },
  options?: ReferenceOptions,
): { value: ExactTensor; accumulator: ExactTensor } {
  const fn = 'train.adagrad';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const init = readScalarParam(fn, 'initialAccumulatorValue', args.initialAccumulatorValue, 0.1);
  const accumulator = readState(fn, value, o, 'accumulator', args.accumulator, init);
  const c = f32(-readScalarParam(fn, 'learningRate', args.learningRate));
  const eps = f32(TFJS_EPSILON);
  const acc = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(s.accumulator!, A.square(s.gradient!));
  const r = run(
    fn,
    {
      inputs: { value, gradient, accumulator },
      outputs: [
        ['value', (A, s) => A.add(A.mul(A.div(s.gradient!, A.sqrt(A.add(acc(A, s), A.num(eps)))), A.num(c)), s.value!)],
        ['accumulator', acc],
      ],
    },
    o,
  );
  return { value: r.value!, accumulator: r.accumulator! };
}

/** tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = 1e-7). */
export function adadelta(
  args: StepArgs & {
    readonly learningRate?: number;
    readonly rho?: number;
    readonly epsilon?: number;
    readonly accumulatedGrad?: RefInput;
    readonly accumulatedUpdate?: RefInput;
    readonly variant?: 'tfjs' | 'tensorflow';
  },
  options?: ReferenceOptions,
): { value: ExactTensor; accumulatedGrad: ExactTensor; accumulatedUpdate: ExactTensor } {
  const fn = 'train.adadelta';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const accumulatedGrad = readState(fn, value, o, 'accumulatedGrad', args.accumulatedGrad, 0);
  const accumulatedUpdate = readState(fn, value, o, 'accumulatedUpdate', args.accumulatedUpdate, 0);
  const lr = readScalarParam(fn, 'learningRate', args.learningRate, 0.001);
  const rhoJs = readScalarParam(fn, 'rho', args.rho, 0.95);
  const rho = f32(rhoJs);
  const oneMinusRho = f32(1 - rhoJs);
  const eps = f32(readScalarParam(fn, 'epsilon', args.epsilon, TFJS_EPSILON));
  const c = f32(-lr);
  const tensorflow = (args.variant ?? 'tfjs') === 'tensorflow';
  const newGrad = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.accumulatedGrad!, A.num(rho)), A.mul(A.square(s.gradient!), A.num(oneMinusRho)));
  const updates = <T>(A: Arith<T>, s: Record<string, T>): T =>
    A.mul(A.div(A.sqrt(A.add(s.accumulatedUpdate!, A.num(eps))), A.sqrt(A.add(tensorflow ? newGrad(A, s) : s.accumulatedGrad!, A.num(eps)))), s.gradient!);
  const r = run(
    fn,
    {
      inputs: { value, gradient, accumulatedGrad, accumulatedUpdate },
      outputs: [
        ['value', (A, s) => A.add(A.mul(updates(A, s), A.num(c)), s.value!)],
        ['accumulatedGrad', newGrad],
        ['accumulatedUpdate', (A, s) => A.add(A.mul(s.accumulatedUpdate!, A.num(rho)), A.mul(A.square(updates(A, s)), A.num(oneMinusRho)))],
      ],
    },
    o,
  );
  return { value: r.value!, accumulatedGrad: r.accumulatedGrad!, accumulatedUpdate: r.accumulatedUpdate! };
}

function readStep(fn: string, step: number | undefined): number {
  const t = step ?? 1;
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`${fn}: parameter 'step' must be a positive integer (1 for the first step); got ${String(step)}`);
  return t;
}

/** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7); `step` is the 1-based step number. */
export function adam(
  args: StepArgs & {
    readonly learningRate?: number;
    readonly beta1?: number;
    readonly beta2?: number;
    readonly epsilon?: number;
    readonly firstMoment?: RefInput;
    readonly secondMoment?: RefInput;
    readonly step?: number;
  },
  options?: ReferenceOptions,
): { value: ExactTensor; firstMoment: ExactTensor; secondMoment: ExactTensor } {
  const fn = 'train.adam';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const firstMoment = readState(fn, value, o, 'firstMoment', args.firstMoment, 0);
  const secondMoment = readState(fn, value, o, 'secondMoment', args.secondMoment, 0);
  const c = f32(-readScalarParam(fn, 'learningRate', args.learningRate, 0.001));
  const b1js = readScalarParam(fn, 'beta1', args.beta1, 0.9);
  const b2js = readScalarParam(fn, 'beta2', args.beta2, 0.999);
  const eps = f32(readScalarParam(fn, 'epsilon', args.epsilon, TFJS_EPSILON));
  const t = readStep(fn, args.step);
  const [b1, b2, omb1, omb2] = [f32(b1js), f32(b2js), f32(1 - b1js), f32(1 - b2js)];
  const m1 = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.firstMoment!, A.num(b1)), A.mul(s.gradient!, A.num(omb1)));
  const m2 = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.secondMoment!, A.num(b2)), A.mul(A.square(s.gradient!), A.num(omb2)));
  const powInt = <T>(A: Arith<T>, b: number): T => {
    let r = A.num(1);
    for (let k = 0; k < t; k++) r = A.mul(r, A.num(b));
    return r;
  };
  const r = run(
    fn,
    {
      inputs: { value, gradient, firstMoment, secondMoment },
      outputs: [
        [
          'value',
          <T>(A: Arith<T>, s: Record<string, T>): T => {
            const one = A.num(1);
            const mHat = A.div(m1(A, s), A.sub(one, powInt(A, b1)));
            const vHat = A.div(m2(A, s), A.sub(one, powInt(A, b2)));
            return A.add(A.mul(A.div(mHat, A.add(A.sqrt(vHat), A.num(eps))), A.num(c)), s.value!);
          },
        ],
        ['firstMoment', m1],
        ['secondMoment', m2],
      ],
    },
    o,
  );
  return { value: r.value!, firstMoment: r.firstMoment!, secondMoment: r.secondMoment! };
}

/** tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0). */
export function adamax(
  args: StepArgs & {
    readonly learningRate?: number;
    readonly beta1?: number;
    readonly beta2?: number;
    readonly epsilon?: number;
    readonly decay?: number;
    readonly firstMoment?: RefInput;
    readonly weightedInfNorm?: RefInput;
    readonly step?: number;
  },
  options?: ReferenceOptions,
): { value: ExactTensor; firstMoment: ExactTensor; weightedInfNorm: ExactTensor } {
  const fn = 'train.adamax';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const firstMoment = readState(fn, value, o, 'firstMoment', args.firstMoment, 0);
  const weightedInfNorm = readState(fn, value, o, 'weightedInfNorm', args.weightedInfNorm, 0);
  const c = f32(-readScalarParam(fn, 'learningRate', args.learningRate, 0.002));
  const b1js = readScalarParam(fn, 'beta1', args.beta1, 0.9);
  const b2 = f32(readScalarParam(fn, 'beta2', args.beta2, 0.999));
  const eps = f32(readScalarParam(fn, 'epsilon', args.epsilon, TFJS_EPSILON));
  const decay = f32(readScalarParam(fn, 'decay', args.decay, 0));
  const t = readStep(fn, args.step);
  const [b1, omb1] = [f32(b1js), f32(1 - b1js)];
  const m1 = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.firstMoment!, A.num(b1)), A.mul(s.gradient!, A.num(omb1)));
  const u = <T>(A: Arith<T>, s: Record<string, T>): T => A.max(A.mul(s.weightedInfNorm!, A.num(b2)), A.abs(s.gradient!));
  const r = run(
    fn,
    {
      inputs: { value, gradient, firstMoment, weightedInfNorm },
      outputs: [
        [
          'value',
          <T>(A: Arith<T>, s: Record<string, T>): T => {
            // tfjs: lr = -learningRate / (iteration * decay + 1), iteration counting from 0.
            const lr = A.div(A.num(c), A.add(A.mul(A.num(t - 1), A.num(decay)), A.num(1)));
            let acc = A.num(1);
            for (let k = 0; k < t; k++) acc = A.mul(acc, A.num(b1));
            const scale = A.div(lr, A.sub(A.num(1), acc));
            return A.add(A.mul(scale, A.div(m1(A, s), A.add(u(A, s), A.num(eps)))), s.value!);
          },
        ],
        ['firstMoment', m1],
        ['weightedInfNorm', u],
      ],
    },
    o,
  );
  return { value: r.value!, firstMoment: r.firstMoment!, weightedInfNorm: r.weightedInfNorm! };
}

/** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false). */
export function rmsprop(
  args: StepArgs & {
    readonly learningRate: number;
    readonly decay?: number;
    readonly momentum?: number;
    readonly epsilon?: number;
    readonly centered?: boolean;
    readonly meanSquare?: RefInput;
    readonly moment?: RefInput;
    readonly meanGrad?: RefInput;
    readonly variant?: 'tfjs' | 'tensorflow';
  },
  options?: ReferenceOptions,
): { value: ExactTensor; meanSquare: ExactTensor; moment: ExactTensor; meanGrad?: ExactTensor } {
  const fn = 'train.rmsprop';
  const o = resolveOptions(options);
  const { value, gradient } = base(fn, args, o);
  const centered = args.centered ?? false;
  const meanSquare = readState(fn, value, o, 'meanSquare', args.meanSquare, 0);
  const moment = readState(fn, value, o, 'moment', args.moment, 0);
  const meanGrad = readState(fn, value, o, 'meanGrad', args.meanGrad, 0);
  const lr = f32(readScalarParam(fn, 'learningRate', args.learningRate));
  const decayJs = readScalarParam(fn, 'decay', args.decay, 0.9);
  const [decay, omd] = [f32(decayJs), f32(1 - decayJs)];
  const mom = f32(readScalarParam(fn, 'momentum', args.momentum, 0));
  const eps = f32(readScalarParam(fn, 'epsilon', args.epsilon, TFJS_EPSILON));
  const tensorflow = (args.variant ?? 'tfjs') === 'tensorflow';
  const ms = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.meanSquare!, A.num(decay)), A.mul(A.square(s.gradient!), A.num(omd)));
  const mg = <T>(A: Arith<T>, s: Record<string, T>): T => A.add(A.mul(s.meanGrad!, A.num(decay)), A.mul(s.gradient!, A.num(omd)));
  const moment2 = <T>(A: Arith<T>, s: Record<string, T>): T => {
    let denomSq: T;
    if (!centered) denomSq = A.add(ms(A, s), A.num(eps));
    else if (tensorflow) denomSq = A.add(A.sub(ms(A, s), A.square(mg(A, s))), A.num(eps));
    else denomSq = A.sub(ms(A, s), A.add(A.square(mg(A, s)), A.num(eps)));
    return A.add(A.mul(s.moment!, A.num(mom)), A.div(A.mul(s.gradient!, A.num(lr)), A.sqrt(denomSq)));
  };
  const outputs: [string, Update][] = [
    ['value', (A, s) => A.sub(s.value!, moment2(A, s))],
    ['meanSquare', ms],
    ['moment', moment2],
  ];
  if (centered) outputs.push(['meanGrad', mg]);
  const r = run(fn, { inputs: { value, gradient, meanSquare, moment, meanGrad }, outputs }, o);
  return { value: r.value!, meanSquare: r.meanSquare!, moment: r.moment!, ...(centered ? { meanGrad: r.meanGrad! } : {}) };
}

/** One step of each tf.train optimizer, by the tf.train name. */
export const train = { sgd, momentum, adagrad, adadelta, adam, adamax, rmsprop } as const;
