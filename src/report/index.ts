/**
 * `nanhunt/report`: what nanhunt tells people and CI about results — text reports, the JSON,
 * JUnit and HTML report files, standalone repro scripts, and the CI gate with its baseline.
 */
export { failureReport, summaryLine, replayCommand, formatInputs, formatProvenance, type ReportContext, type InputFormatter } from './format.ts';
export { resultsDocument, REPORT_SCHEMA_FILE, type RunInfo } from './json.ts';
export { junitXml } from './junit.ts';
export { htmlReport } from './html.ts';
export { errorPlotSvg } from './plot.ts';
export { reproScript, reproCommand, writeRepro, type ReproInput, type Repro, type ReproWriter } from './repro.ts';
export { readBaseline, parseBaseline, formatBaseline, BaselineError, DEFAULT_BASELINE, type Baseline, type BaselineEntry } from '../gate/baseline.ts';
export { evaluateGate, updateBaseline, verdictOf, type GateResult, type GateVerdict, type EntryOutcome, type GateOptions } from '../gate/gate.ts';
export { replayBaseline, replayEntry, type CaseReplay } from '../gate/replay.ts';
