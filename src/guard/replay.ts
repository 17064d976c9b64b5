/**
 * Replaying a capture: take the captured step again on the active backend, confirm the non-finite
 * value it produced, and explain it as nanhunt explains failures — the step, the layer and weight
 * (or activation) where it first appeared (src/train's diagnosis of the instrumented step) and the
 * kernel where it was born (src/explain's provenance of the faithful step).
 *
 * A capture is a bug report: it may come from another backend (webgl in a browser, wasm) or
 * another tfjs. Such differences are noted; when the failure does not reproduce here, the report
 * says so and names where it was captured.
 */
import * as tf from '@tensorflow/tfjs';
import { VERSION } from '../core/version.ts';
import { errorText } from '../run/execute.ts';
import type { Provenance } from '../explain/provenance.ts';
import { formatProvenance } from '../report/format.ts';
import { diagnose, type Diagnosis } from '../train/diagnose.ts';
import type { Capture } from './capture.ts';
import { describeSymptom, sameSymptom, type CaseData, type Symptom } from './case.ts';
import { LossSourceError } from './loss.ts';
import { OptimizerStateError } from './optimizer-state.ts';
import { caseLines, describeStepDiagnosis, layerLine, shiftDiagnosis } from './report.ts';
import { disposeCase, faithfulStep, instrumentedStep, materializeCase, withCase, type StepResult } from './step.ts';
import { TopologyError } from './topology.ts';

/** A captured step that cannot be taken again here (its model, optimizer or loss cannot be rebuilt). */
export class ReplayError extends Error {
  override name = 'ReplayError';
}

export interface StepOutcome {
  readonly faithful: StepResult & { readonly provenance?: Provenance };
  readonly instrumented: StepResult;
  /** The diagnosis of the instrumented step, under the captured step's number; undefined when it stayed finite. */
  readonly diagnosis?: Diagnosis;
}

/** Run a case on the active backend: the faithful step (with kernel recording when asked) and the instrumented one. Throws ReplayError. */
export function runCase(c: CaseData, options: { record?: boolean; lossesBefore?: readonly number[] } = {}): StepOutcome {
  const live = materializeCase(c);
  try {
    const faithful = faithfulStep(live, { record: options.record ?? false });
    const instrumented = instrumentedStep(live);
    const d = instrumented.trace ? diagnose(instrumented.trace) : undefined;
    const diagnosis = d ? shiftDiagnosis(d, c.step ?? 1, options.lossesBefore) : undefined;
    return { faithful, instrumented, ...(diagnosis ? { diagnosis } : {}) };
  } catch (e) {
    if (e instanceof TopologyError || e instanceof OptimizerStateError || e instanceof LossSourceError) throw new ReplayError(e.message);
    // the captured loss or model fails to run here (a loss source that calls code defined elsewhere, a layer this tfjs lacks)
    throw new ReplayError(`the captured step throws when taken again: ${errorText(e)}`);
  } finally {
    disposeCase(live);
  }
}

export interface ReplayResult {
  readonly backend: string;
  readonly captured: Symptom;
  readonly outcome: StepOutcome;
  /** The replayed step produced the same non-finite value as the captured one. */
  readonly reproduces: boolean;
  /** Differences of environment, and anything else worth knowing (one line each). */
  readonly notes: readonly string[];
  /** The model's layers in one line. */
  readonly layers: string;
}

/** Lines saying how this environment differs from the capture's. */
export function environmentNotes(capture: Capture, backend: string): string[] {
  const env = capture.environment;
  const notes: string[] = [];
  if (env.backend !== backend) notes.push(`captured on backend ${env.backend}, replaying on ${backend}`);
  if (env.tfjs && env.tfjs !== tf.version.tfjs) notes.push(`captured with tfjs ${env.tfjs}, this is tfjs ${tf.version.tfjs}`);
  if (env.nanhunt && env.nanhunt !== VERSION) notes.push(`captured with nanhunt ${env.nanhunt}, this is nanhunt ${VERSION}`);
  return notes;
}

/** Replay a capture on the active backend. Throws ReplayError when its step cannot be rebuilt. */
export function replayCapture(capture: Capture): ReplayResult {
  const backend = tf.getBackend();
  const outcome = runCase(capture.case, { record: true, lossesBefore: capture.info.losses });
  const notes = [...environmentNotes(capture, backend), ...capture.info.notes];
  const f = outcome.faithful.symptom;
  const i = outcome.instrumented.symptom;
  if (!sameSymptom(f, i)) {
    notes.push(
      `taken layer by layer for the diagnosis, the step gives ${i ? describeSymptom(i) : 'no non-finite value'} (the step as trained gives ${f ? describeSymptom(f) : 'none'})`,
    );
  }
  const live = materializeCase(capture.case);
  let layers = '';
  try {
    layers = withCase(live, ({ model }) => layerLine(model));
  } finally {
    disposeCase(live);
  }
  return { backend, captured: capture.info.symptom, outcome, reproduces: sameSymptom(capture.info.symptom, f), notes, layers };
}

function where(capture: Capture): string {
  const i = capture.info;
  const at = i.epoch !== undefined ? ` (epoch ${i.epoch}${i.batch !== undefined ? `, batch ${i.batch}` : ''})` : '';
  return `step ${i.step}${at}`;
}

/** The replay report. `file` is the capture as the user named it (for the commands). */
export function formatReplay(capture: Capture, r: ReplayResult, file: string): string {
  const lines: string[] = [];
  const info = capture.info;
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`captured: ${where(capture)} of '${info.model}' (${capture.case.kind}) on ${capture.environment.backend}: ${describeSymptom(info.symptom)}`);
  if (info.shrunk) lines.push(`  shrunk from ${info.shrunk.from}: ${info.shrunk.summary}`);
  lines.push(`  layers: ${r.layers}`);
  lines.push(...caseLines(capture.case));
  lines.push('');
  const f = r.outcome.faithful;
  if (r.reproduces) {
    lines.push(`✗ reproduces on ${r.backend}: ${describeSymptom(f.symptom!)}${f.symptom!.what === 'loss' ? '' : ` (loss ${formatNumber(f.loss)})`}`);
  } else if (f.symptom) {
    lines.push(`✗ fails differently on ${r.backend}: ${describeSymptom(f.symptom)}; captured: ${describeSymptom(r.captured)}`);
  } else {
    lines.push(
      `✓ does not reproduce on ${r.backend}: the step stays finite (loss ${formatNumber(f.loss)}); on ${capture.environment.backend} it gave ${describeSymptom(r.captured)}` +
        (capture.environment.backend !== r.backend ? ' — the failure depends on the backend' : ''),
    );
  }
  if (r.outcome.diagnosis) lines.push(`  ${describeStepDiagnosis(r.outcome.diagnosis)}`);
  if (f.provenance && f.symptom) lines.push(...formatProvenance(f.provenance));
  lines.push('');
  const q = quote(file);
  lines.push(`replay: npx nanhunt capture replay ${q} --backend ${r.backend}`);
  if (f.symptom && !info.shrunk) lines.push(`shrink: npx nanhunt capture shrink ${q}`);
  return lines.join('\n');
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function quote(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
