/**
 * The identity of a captured step's failure (see src/guard/shrink.ts): one instrumented run of the
 * step with kernel recording, read as symptom, diagnosis and the kernel where the first non-finite
 * value was born.
 */
import { diagnose } from '../train/diagnose.ts';
import type { CaseData } from './case.ts';
import type { Identity } from './shrink.ts';
import { disposeCase, instrumentedStep, materializeCase } from './step.ts';

/** The identity of the case's failure on the active backend, or undefined when the step stays finite. */
export function runCaseIdentity(c: CaseData): Identity | undefined {
  const live = materializeCase(c);
  try {
    const r = instrumentedStep(live, { record: true });
    if (!r.symptom) return undefined;
    const d = r.trace ? diagnose(r.trace) : undefined;
    const born = r.provenance?.born ?? r.provenance?.firstNonFinite;
    return {
      symptom: r.symptom,
      ...(d ? { stage: d.stage } : {}),
      ...(d?.layer ? { layer: d.layer.layer } : {}),
      ...(d?.weight ? { weight: d.weight.weight, cause: d.weight.cause } : {}),
      ...(born ? { born: born.kernel } : {}),
    };
  } finally {
    disposeCase(live);
  }
}
