/**
 * A captured step as a property, so the failure database can keep it and `nanhunt check` replays it
 * first: its input is the (shrunk) case itself — a constant: there is nothing to generate —, its
 * subject takes the step layer by layer and returns the step's training trace, and its invariant
 * says the step stays finite, with the training diagnosis of the step as the message.
 *
 * The property is rebuilt from the saved case alone (see capturePropertyFrom), so a saved failure
 * of a capture replays without the capture file, on any backend.
 */
import * as fc from 'fast-check';
import type { Invariant, Observation } from '../check/invariant.ts';
import { property, type Property } from '../property/property.ts';
import { diagnose } from '../train/diagnose.ts';
import { decodeTrace, encodeTrace } from '../train/trace.ts';
import { isCaseData, type CaseData } from './case.ts';
import { describeStepDiagnosis, shiftDiagnosis } from './report.ts';
import { instrumentedStep, type LiveCase } from './step.ts';

export const CAPTURE_INVARIANT = 'captured step stays finite';
/** Names of capture properties start with this. */
export const CAPTURE_PREFIX = 'capture: ';

/** The step stays finite: loss, every layer output, gradient and weight after the update. */
export function capturedStepFinite(): Invariant {
  return {
    name: CAPTURE_INVARIANT,
    check(observation: Observation) {
      const trace = decodeTrace(observation);
      if (!trace) return { invariant: CAPTURE_INVARIANT, message: 'the subject did not return a training trace' };
      const d = diagnose(trace);
      if (!d) return undefined;
      const step = isCaseData(observation.inputs) ? (observation.inputs.step ?? 1) : 1;
      const shifted = shiftDiagnosis(d, step);
      return {
        invariant: CAPTURE_INVARIANT,
        message: describeStepDiagnosis(shifted),
        details: {
          step,
          stage: d.stage,
          ...(d.layer ? { layer: d.layer.layer } : {}),
          ...(d.weight ? { weight: d.weight.weight, cause: d.weight.cause } : {}),
        },
      };
    },
  };
}

/** The property of one captured step (name: `capture: <name>`). */
export function captureProperty(name: string, kase: CaseData): Property<CaseData> {
  return property<CaseData>({
    name: name.startsWith(CAPTURE_PREFIX) ? name : `${CAPTURE_PREFIX}${name}`,
    description: 'a training step captured by nanGuard (shrunk): it must stay finite',
    inputs: fc.constant(kase),
    subject: (c) => encodeTrace(instrumentedStep(c as unknown as LiveCase).trace!),
    invariants: [capturedStepFinite()],
    runs: 1,
    tags: ['capture'],
  });
}

/** The property of a saved failure whose inputs are a captured step, or undefined when they are not one. */
export function capturePropertyFrom(name: string, inputs: unknown): Property<CaseData> | undefined {
  return isCaseData(inputs) ? captureProperty(name, inputs) : undefined;
}
