/**
 * Catalog: one and several steps of every optimizer in tf.train, with default and user-set
 * epsilons. The exact update of the adaptive optimizers is bounded by about the learning rate
 * whatever the gradient, so their gradients span the whole float32 range (1e-45 .. 3e38); for
 * sgd and momentum, whose update is lr·g, gradients stay below 1e34. Parameters stay below 1e30,
 * learning rates in 1e-8 .. 1e3.
 *
 * Besides finiteness: a first step moves every parameter against its gradient (or leaves it),
 * and a zero gradient leaves the parameters unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { float32, gradients, learningRates, scalar, tensors, type Elements, type TensorValue } from '../src/index.ts';
import { opInfo, type OpInfo } from '../src/catalog/op-info.ts';
import { equalsInput, movesAgainstGradient } from '../src/catalog/checks.ts';
import * as ref from '../src/reference/index.ts';
import { TOLERANCES, type ExactTensor } from '../src/reference/index.ts';

/** `eps` only for the entries with a user-set epsilon; the others use tfjs's default. */
type Inputs = { t: { params: TensorValue; grads: TensorValue }; lr: number; eps?: number };

/** The exact new value after one step (src/reference), for the entry's own hyperparameters. */
type ExactStep = (args: { value: TensorValue; gradient: TensorValue; learningRate: number; epsilon: number | undefined }) => ExactTensor;

interface OptimizerSpec {
  readonly name: string;
  readonly exact: ExactStep;
  /** Build the optimizer; eps undefined means tfjs's default (backend epsilon, 1e-7). */
  readonly make: (lr: number, eps: number | undefined) => tf.Optimizer;
  readonly takesEpsilon: boolean;
  readonly grads: Elements;
  readonly note: string;
}

const adaptive = gradients();
const linear = gradients({ maxMagnitude: 1e34 });
const params = float32({ min: -1e30, max: 1e30 });
/** User-set epsilons: 1e-10 .. 0.1. */
const epsilons = scalar(float32({ min: 1e-10, max: 0.1, classes: ['wide', 'powerOfTwo'] }));

const SPECS: OptimizerSpec[] = [
  { name: 'sgd', make: (lr) => tf.train.sgd(lr), exact: (a) => ref.train.sgd(a).value, takesEpsilon: false, grads: linear, note: 'p - lr·g' },
  {
    name: 'momentum',
    make: (lr) => tf.train.momentum(lr, 0.9),
    exact: (a) => ref.train.momentum({ ...a, momentum: 0.9 }).value,
    takesEpsilon: false,
    grads: linear,
    note: 'momentum 0.9',
  },
  {
    name: 'adagrad',
    make: (lr) => tf.train.adagrad(lr),
    exact: (a) => ref.train.adagrad(a).value,
    takesEpsilon: false,
    grads: adaptive,
    note: 'initial accumulator 0.1',
  },
  {
    name: 'adadelta',
    make: (lr, eps) => tf.train.adadelta(lr, 0.95, eps),
    // Zeiler's update (TensorFlow's): scaled by the accumulated gradient after this step
    exact: (a) => ref.train.adadelta({ ...a, rho: 0.95, variant: 'tensorflow' }).value,
    takesEpsilon: true,
    grads: adaptive,
    note: 'rho 0.95',
  },
  {
    name: 'adam',
    make: (lr, eps) => tf.train.adam(lr, 0.9, 0.999, eps),
    exact: (a) => ref.train.adam({ ...a, beta1: 0.9, beta2: 0.999 }).value,
    takesEpsilon: true,
    grads: adaptive,
    note: 'beta1 0.9, beta2 0.999',
  },
  {
    name: 'adamax',
    make: (lr, eps) => tf.train.adamax(lr, 0.9, 0.999, eps),
    exact: (a) => ref.train.adamax({ ...a, beta1: 0.9, beta2: 0.999 }).value,
    takesEpsilon: true,
    grads: adaptive,
    note: 'beta1 0.9, beta2 0.999',
  },
  {
    name: 'rmsprop',
    make: (lr, eps) => tf.train.rmsprop(lr, 0.9, 0, eps),
    exact: (a) => ref.train.rmsprop({ ...a, decay: 0.9, momentum: 0 }).value,
    takesEpsilon: true,
    grads: adaptive,
    note: 'decay 0.9',
  },
  {
    name: 'rmsprop centered',
    make: (lr, eps) => tf.train.rmsprop(lr, 0.9, 0, eps, true),
    // TensorFlow's centered RMSProp: sqrt(ms - mg² + eps)
    exact: (a) => ref.train.rmsprop({ ...a, decay: 0.9, momentum: 0, centered: true, variant: 'tensorflow' }).value,
    takesEpsilon: true,
    grads: adaptive,
    note: 'decay 0.9, centered',
  },
];

/**
 * tfjs 4.22's MomentumOptimizer.dispose() does not call SGDOptimizer.dispose(), so the scalar `c`
 * (-learning rate) leaks. The numerical entries free it themselves; `train.momentum dispose`
 * reports the leak.
 */
function freeMomentumScalar(opt: tf.Optimizer): void {
  const c = (opt as unknown as { c?: tf.Tensor }).c;
  if (opt instanceof tf.MomentumOptimizer && c && !c.isDisposed) c.dispose();
}

/** Run `steps` optimizer steps on params with the given gradients (one row per step). */
function train(spec: OptimizerSpec, steps: number, userEps: boolean, zero: boolean, workaround = true) {
  return ({ t, lr, eps }: { t: { params: tf.Tensor; grads: tf.Tensor }; lr: number; eps?: number }): tf.Tensor => {
    const v = tf.variable(t.params);
    const opt = spec.make(lr, userEps ? eps : undefined);
    try {
      for (let s = 0; s < steps; s++) {
        const g = zero ? tf.zerosLike(t.params) : steps === 1 ? t.grads : tf.squeeze(tf.slice(t.grads, [s, 0], [1, -1]), [0]);
        opt.applyGradients({ [v.name]: g });
      }
      return tf.clone(v);
    } finally {
      opt.dispose();
      if (workaround) freeMomentumScalar(opt);
      v.dispose();
    }
  };
}

/** `train(...)`'s subject as self-contained source for repro scripts (it closes over `spec`): only `tf` in scope. */
function trainSource(spec: OptimizerSpec, steps: number, userEps: boolean, zero: boolean, workaround = true): string {
  const g = zero ? 'tf.zerosLike(t.params)' : steps === 1 ? 't.grads' : 'tf.squeeze(tf.slice(t.grads, [s, 0], [1, -1]), [0])';
  return `({ t, lr, eps }) => {
  const make = ${spec.make.toString()};${workaround ? `\n  ${freeMomentumScalar.toString()}` : ''}
  const v = tf.variable(t.params);
  const opt = make(lr, ${userEps ? 'eps' : 'undefined'});
  try {
    for (let s = 0; s < ${steps}; s++) opt.applyGradients({ [v.name]: ${g} });
    return tf.clone(v);
  } finally {
    opt.dispose();${workaround ? '\n    freeMomentumScalar(opt);' : ''}
    v.dispose();
  }
}`;
}

function inputs(spec: OptimizerSpec, steps: number, userEps: boolean) {
  return {
    t: tensors({
      dims: { n: { min: 1, max: 8 } },
      tensors: { params: { shape: ['n'], elements: params }, grads: { shape: steps === 1 ? ['n'] : [steps, 'n'], elements: spec.grads } },
    }),
    lr: learningRates(),
    ...(userEps ? { eps: epsilons } : {}),
  };
}

function entries(spec: OptimizerSpec): OpInfo<Inputs>[] {
  const out: OpInfo<Inputs>[] = [];
  const range = spec.grads === adaptive ? 'gradients 1e-45..3e38' : 'gradients up to 1e34';
  for (const userEps of spec.takesEpsilon ? [false, true] : [false]) {
    for (const steps of [1, 3]) {
      const epsText = userEps ? ' eps=user' : '';
      out.push(
        opInfo<Inputs>({
          name: `train.${spec.name} ${steps === 1 ? '1 step' : `${steps} steps`}${epsText}`,
          family: 'optimizer',
          promise:
            `${spec.note}${spec.takesEpsilon ? (userEps ? ', epsilon 1e-10..0.1' : ', default epsilon') : ''}: ` +
            (steps === 1 ? `the exact new parameters within tolerance (${range}), moved against the gradient` : `parameters stay finite (${range})`),
          inputs: inputs(spec, steps, userEps),
          op: train(spec, steps, userEps, false),
          source: trainSource(spec, steps, userEps, false),
          ...(steps === 1
            ? {
                reference: {
                  exact: ({ t, lr, eps }: Inputs) => spec.exact({ value: t.params, gradient: t.grads, learningRate: lr, epsilon: userEps ? eps : undefined }),
                  tolerance: TOLERANCES.optimizer,
                },
              }
            : {}),
          checks: steps === 1 ? [movesAgainstGradient('params', 'grads')] : [],
        }),
      );
    }
  }
  // with a user-set epsilon too: 1e-8 is 0 in float16 (phones' WebGL textures), where m / (sqrt(v) + eps) is 0/0
  for (const userEps of spec.takesEpsilon ? [false, true] : [false]) {
    out.push(
      opInfo<Inputs>({
        name: `train.${spec.name} zero gradient${userEps ? ' eps=user' : ''}`,
        family: 'optimizer',
        promise: `${spec.note}${userEps ? ', epsilon 1e-10..0.1' : ''}: a step with a zero gradient leaves the parameters unchanged`,
        inputs: inputs(spec, 1, userEps),
        op: train(spec, 1, userEps, true),
        source: trainSource(spec, 1, userEps, true),
        checks: [equalsInput('params')],
      }),
    );
  }
  return out;
}

export const optimizerTable: OpInfo[] = [
  ...SPECS.flatMap(entries),
  ...SPECS.map((spec) =>
    opInfo<Inputs>({
      name: `train.${spec.name} dispose`,
      family: 'optimizer',
      promise: `${spec.note}: optimizer.dispose() frees every tensor the optimizer made (no leak)`,
      inputs: inputs(spec, 1, false),
      // the output does not matter here: only what is left allocated after dispose()
      op: (inputs: Parameters<ReturnType<typeof train>>[0]) => {
        train(spec, 1, false, false, false)(inputs).dispose();
        return tf.scalar(0);
      },
      source: `(inputs) => {\n  (${trainSource(spec, 1, false, false, false)})(inputs).dispose();\n  return tf.scalar(0);\n}`,
      runs: 10,
    }),
  ),
];
