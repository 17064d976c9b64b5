/**
 * What one run of a subject produced, read back from the backend: the observation every
 * invariant (src/check) inspects.
 */

/** A tensor read back from the backend: a name, its shape and dtype, and its elements. */
export interface ReadTensor {
  /** `output` / `output[1]` / `output.loss` for outputs, `grad(x)` for gradients. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly data: Float32Array | Int32Array | Uint8Array;
  /** For a gradient: the path of the input it is taken with respect to (`x`, `p.base`). */
  readonly wrt?: string;
}

/** The exact value of one element of an output or gradient, and whether float64 could settle it. */
export interface ExactElement {
  /** float64; NaN when the exact result is undefined, ±Infinity when it is by definition (log(0)) or beyond float64. */
  readonly value: number;
  readonly settled: boolean;
}

/** Everything one run of a subject produced. */
export interface Observation {
  /** The generated inputs exactly as the subject received them before they became tensors. */
  readonly inputs: unknown;
  /** The subject's outputs, in order. */
  readonly outputs: readonly ReadTensor[];
  /** Gradients of sum(outputs) with respect to each float32 input tensor (empty if not asked). */
  readonly gradients: readonly ReadTensor[];
  /** The backend the run happened on (`cpu`, `wasm`, `node`, ...): per-backend tolerances follow it. */
  readonly backend: string;
  /**
   * The exact value of element `index` of an output or gradient of this run: the run's kernels
   * recorded and re-run in exact arithmetic (src/explain), computed on first use. Undefined when
   * the runner offers none (asynchronous backends) or the element cannot be had (a kernel without
   * an exact interpreter on the way).
   */
  readonly exactValue?: (tensor: ReadTensor, index: number) => ExactElement | undefined;
}
