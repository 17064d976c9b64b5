// Real results of the gate fixtures (run on the cpu backend with fixed seeds), plus a result with
// a status the gate does not know (as a backend that lacks a kernel would report it).
import * as P from '../fixtures/gate/props.ts';
import { propertySeed, runProperty, type PropertyResult } from '../../src/property/runner.ts';

export const FIXTURE_PROPERTIES = [P.passing, P.failing, P.erroring, P.expected, P.measured, P.inaccurate];

export function fixtureResults(globalSeed = 0): PropertyResult[] {
  return FIXTURE_PROPERTIES.map((p) => runProperty(p, { seed: propertySeed(globalSeed, p.name) }));
}

export function unsupportedResult(backend = 'cpu'): PropertyResult {
  return {
    name: 'gate op unsupported',
    status: 'unsupported' as PropertyResult['status'],
    expectedFailure: false,
    backend,
    runs: 0,
    seed: 1,
    shrinks: 0,
    durationMs: 0.5,
    interrupted: false,
    unsupported: { backend, kernel: 'Erfinv', message: "Kernel 'Erfinv' not registered for backend 'cpu'" },
    failure: { kind: 'error', stage: 'unsupported', message: "Kernel 'Erfinv' not registered for backend 'cpu'" },
  };
}
