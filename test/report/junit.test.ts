import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { evaluateGate } from '../../src/gate/gate.ts';
import { junitXml, xmlEscape } from '../../src/report/junit.ts';
import type { PropertyResult } from '../../src/property/runner.ts';
import { FIXTURE_PROPERTIES, fixtureResults, unsupportedResult } from './fixture-results.ts';
import { replayBaseline } from '../../src/gate/replay.ts';
import { children, parseXml, type XmlElement } from './xml.ts';

const info = { nanhunt: '0.1.0', tfjs: tf.version.tfjs, backend: 'cpu', seed: 3 };
let results: PropertyResult[];

beforeAll(() => {
  results = fixtureResults(3);
});

function cases(xml: string): { suites: XmlElement; suite: XmlElement; byName: Map<string, XmlElement> } {
  const suites = parseXml(xml);
  expect(suites.name).toBe('testsuites');
  const [suite] = children(suites, 'testsuite');
  const byName = new Map(children(suite!, 'testcase').map((c) => [c.attrs.name!, c]));
  return { suites, suite: suite!, byName };
}

describe('junit.xml', () => {
  it('parses back: one testcase per property, counts that match, failures carrying the minimal case', () => {
    const all = [...results, unsupportedResult()];
    const gate = evaluateGate(all, {
      file: 'nanhunt.baseline.json',
      entries: [{ property: 'gate naive log1p within 8 bits', invariant: 'log1p within 8 bits' }],
    });
    const xml = junitXml(all, gate, { info, context: { globalSeed: 3 }, timestamp: '2025-01-02T03:04:05.678Z' });
    const { suites, suite, byName } = cases(xml);
    expect([...byName.keys()]).toEqual(all.map((r) => r.name));
    for (const el of [suites, suite]) {
      expect(el.attrs).toMatchObject({ tests: '7', failures: '1', errors: '1', skipped: '2' });
    }
    expect(suite.attrs.timestamp).toBe('2025-01-02T03:04:05');
    const props = Object.fromEntries(children(children(suite, 'properties')[0]!, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ seed: '3', backend: 'cpu', baseline: 'nanhunt.baseline.json', tfjs: tf.version.tfjs });

    // a new finding: <failure>, the message has the invariant and the minimal case, the body the replay command
    const exp = byName.get('gate exp is finite')!;
    const [failure] = children(exp, 'failure');
    expect(failure!.attrs.type).toBe('finite');
    expect(failure!.attrs.message).toBe('finite: output is +Infinity; minimal input: x: Tensor float32 [1] [89]');
    expect(failure!.text).toMatch(/replay: npx nanhunt check --filter 'gate exp is finite' --seed 3 --path [\d:]+ --backend cpu/);
    expect(exp.attrs.classname).toBe('nanhunt.cpu');
    expect(Number(exp.attrs.time)).toBeGreaterThan(0);

    // an errored subject: <error>, with its (escaped) message intact after parsing
    const [error] = children(byName.get('gate subject throws')!, 'error');
    expect(error!.attrs.type).toBe('error:subject');
    expect(error!.attrs.message).toMatch(/^error \(subject\): shape mismatch <b> & "quotes"; minimal input: x: Tensor float32/);

    // a known finding: skipped, visible, with the report in system-out
    const known = byName.get('gate naive log1p within 8 bits')!;
    expect(children(known, 'failure')).toEqual([]);
    expect(children(known, 'skipped')[0]!.attrs.message).toMatch(
      /^known finding \(in baseline nanhunt\.baseline\.json\): log1p within 8 bits: log\(1 \+ .*minimal input: x: Tensor float32 \[1\]/,
    );
    expect(children(known, 'system-out')[0]!.text).toContain('replay: npx nanhunt check');

    // an expected failure passes, explained in system-out; a status the gate does not know is skipped
    const expected = byName.get('gate log of anything (example bug)')!;
    expect(children(expected, 'failure').length + children(expected, 'skipped').length).toBe(0);
    expect(children(expected, 'system-out')[0]!.text).toMatch(/^Expected failure \(a shipped example of a bug\):\nProperty/);
    expect(children(byName.get('gate op unsupported')!, 'skipped')[0]!.attrs.message).toBe("unsupported on cpu: no kernel 'Erfinv'");
    expect(byName.get('gate abs is finite')!.children).toEqual([]);
  });

  it('with --strict a fixed baseline entry is a failure of type baseline', () => {
    const baseline = {
      file: 'b.json',
      entries: [{ property: 'gate abs is finite', invariant: 'finite', line: 5, case: { x: { $tensor: true, shape: [1], dtype: 'float32', values: [1] } } }],
    };
    const gate = evaluateGate(results, baseline, { strict: true, replays: replayBaseline(baseline, results, FIXTURE_PROPERTIES) });
    const { suite, byName } = cases(junitXml(results, gate, { info }));
    const [failure] = children(byName.get('gate abs is finite')!, 'failure');
    expect(failure!.attrs.type).toBe('baseline');
    expect(failure!.attrs.message).toMatch(
      /^fixed, but still listed in baseline b\.json \(--strict\): 'gate abs is finite' \(invariant finite\): its saved case passes now/,
    );
    expect([suite.attrs.failures, suite.attrs.errors]).toEqual(['3', '1']); // exp, log1p, and the stale entry; the throwing subject
  });

  it('escapes names and messages so any text survives, control characters included', () => {
    const nasty = 'a <b> & "c" \'d\'\u0001\u001b[31m\ttab\nnewline ]]> \uD800 😀';
    const r: PropertyResult = { ...results.find((x) => x.status === 'failed' && !x.expectedFailure)!, name: nasty };
    const xml = junitXml([r], evaluateGate([r]), { info });
    const { byName } = cases(xml);
    const expectedName = nasty.replace(/[\u0001\u001b\uD800]/g, '\uFFFD');
    expect([...byName.keys()]).toEqual([expectedName]);
    expect(xmlEscape('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&apos;');
    expect(() => parseXml('<a><b></a></b>')).toThrow(); // the parser used above does reject malformed XML
    expect(() => parseXml('<a>x & y</a>')).toThrow();
  });
});
