import { describe, expect, it, beforeAll } from 'vitest';
import { BaselineError, formatBaseline, parseBaseline, entryFor, type Baseline, type BaselineEntry } from '../../src/gate/baseline.ts';
import { evaluateGate, updateBaseline, verdictOf } from '../../src/gate/gate.ts';
import { replayBaseline, replayEntry } from '../../src/gate/replay.ts';
import { passing, failing } from '../fixtures/gate/props.ts';
import { parseLocated } from '../../src/gate/json-lines.ts';
import { deserializeValue, serializeValue } from '../../src/core/tensor-value.ts';
import { resultToJson } from '../../src/report/json.ts';
import type { PropertyResult } from '../../src/property/runner.ts';
import { FIXTURE_PROPERTIES, fixtureResults, unsupportedResult } from '../report/fixture-results.ts';

/** A saved case: one float32 element. */
const caseX = (v: number) => ({ x: { $tensor: true, shape: [1], dtype: 'float32', values: [v] } });

let results: PropertyResult[];
const byName = (name: string) => results.find((r) => r.name.includes(name))!;

beforeAll(() => {
  results = fixtureResults();
});

const baseline = (entries: BaselineEntry[]): Baseline => ({ file: 'nanhunt.baseline.json', entries });

function errorOf(text: string): BaselineError {
  try {
    parseBaseline(text, 'b.json');
  } catch (e) {
    expect(e).toBeInstanceOf(BaselineError);
    return e as BaselineError;
  }
  throw new Error('parsed without error');
}

describe('baseline file', () => {
  it('round-trips: sorted, one finding per line, notes and backend-less entries kept', () => {
    const entries: BaselineEntry[] = [
      {
        property: 'b',
        invariant: 'finite',
        backend: 'cpu',
        message: 'output is NaN',
        seed: -3,
        path: '1:2',
        case: { x: { $tensor: true, shape: [1], dtype: 'float32', values: ['-0'] }, lr: { $number: 'NaN' } },
      },
      { property: 'a', error: 'subject', note: 'tracked in #12' },
    ];
    const text = formatBaseline(entries);
    const lines = text.split('\n');
    // one finding per line, its minimal case on the same line
    expect(lines.filter((l) => l.trimStart().startsWith('{"property"'))).toEqual([
      '    {"property":"a","error":"subject","note":"tracked in #12"},',
      '    {"property":"b","invariant":"finite","backend":"cpu","message":"output is NaN","seed":-3,"path":"1:2","case":{"x":{"$tensor":true,"shape":[1],"dtype":"float32","values":["-0"]},"lr":{"$number":"NaN"}}}',
    ]);
    const back = parseBaseline(text, 'x.json');
    expect(back.entries.map(({ line: _, ...e }) => e)).toEqual([entries[1], entries[0]]);
    expect(back.entries.map((e) => e.line)).toEqual([6, 7]);
    expect(JSON.parse(text)).toMatchObject({ format: 'nanhunt-baseline', version: 3 });
    // version 1 (no cases) is still read
    expect(parseBaseline(text.replace('"version": 3', '"version": 1'), 'x.json').entries).toHaveLength(2);
    expect(parseBaseline(formatBaseline([]), 'x').entries).toEqual([]);
  });

  it('writes long runs of equal values as runs and reads them back; a file in its own layout is read as the character parser reads it', () => {
    const big = {
      x: { $tensor: true, shape: [2, 3000], dtype: 'float32', values: [...Array(3000).fill(0.5), ...Array(2999).fill('-0'), 'NaN'] },
      lr: 1e-3,
    };
    const text = formatBaseline([{ property: 'p large', invariant: 'finite', backend: 'cpu', case: big }]);
    expect(text).toContain('"x":{"$tensor":true,"shape":[2,3000],"dtype":"float32","runs":[[0.5,3000],["-0",2999],["NaN",1]]},"lr":0.001');
    expect(text.length).toBeLessThan(700);
    const back = parseBaseline(text, 'x.json');
    expect(serializeValue(deserializeValue(back.entries[0]!.case))).toEqual(big);
    // a leading space leaves formatBaseline's layout: the character parser reads it, to the same entries
    expect(parseBaseline(` ${text}`, 'x.json').entries).toEqual(back.entries);
    // and a problem is named on the same line either way
    const badKey = text.replace('"backend":"cpu"', '"backend":"cpu","colour":"red"');
    for (const t of [badKey, ` ${badKey}`]) expect(() => parseBaseline(t, 'x.json')).toThrow(/^baseline x\.json:6: finding 1: unknown key "colour"/);
    for (const t of [text.replace('["NaN",1]', '["NaN",2]'), text.replace('["NaN",1]', '["NaN",0]')]) {
      expect(() => parseBaseline(t, 'x.json')).toThrow(/^baseline x\.json:6: finding 1: "case" cannot be read back \(malformed tensor: runs must be/);
    }
  });

  it('names the line of a syntax error', () => {
    const text = ['{', '  "format": "nanhunt-baseline",', '  "version": 1,', '  "findings": [', '    {"property": "a" "invariant": "finite"}', '  ]', '}'].join(
      '\n',
    );
    const e = errorOf(text);
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/^baseline b\.json:5: not valid JSON: expected ',' or '}' after the value of "property", found '"' \(column 22\)$/);
    expect(errorOf('').message).toBe('baseline b.json:1: not valid JSON: expected a value, found end of file (column 1)');
    expect(errorOf('{\n "format": "nanhunt-baseline",\n "version": 1,\n "findings": [\n').line).toBe(5);
    expect(errorOf('{"format": "nanhunt-baseline", "version": 1, "findings": []}\n\nx').message).toMatch(/:3: .*unexpected 'x' after the end/);
    expect(errorOf('{\n"a": 1,\n"a": 2}').message).toMatch(/:3: .*duplicate key "a"/);
    expect(errorOf('{"s": "line\nbreak"}').line).toBe(1);
  });

  it('names the line of a hand-edited entry that is well-formed JSON but wrong', () => {
    const doc = (...findings: string[]) =>
      ['{', '  "format": "nanhunt-baseline",', '  "version": 1,', '  "findings": [', findings.join(',\n'), '  ]', '}'].join('\n');
    const cases: [string, number, RegExp][] = [
      [
        doc('    {"property": "a", "invariant": "finite"}', '    {"property": "b", "invarient": "finite"}'),
        6,
        /finding 2: unknown key "invarient" \(allowed: property, invariant, kind, error/,
      ],
      [doc('    {"invariant": "finite"}'), 5, /finding 1: needs "property"/],
      [doc('    {"property": "a"}'), 5, /needs exactly one of "invariant" .* and "error"/],
      [doc('    {"property": "a", "invariant": "finite", "error": "subject"}'), 5, /needs exactly one of/],
      [doc('    {"property": "a", "invariant": 3}'), 5, /"invariant" must be a string, found number/],
      [doc('    {"property": "a", "invariant": "finite", "seed": 1.5}'), 5, /"seed" must be an integer/],
      [doc('    {"property": "a", "invariant": "finite", "kind": "wrong"}'), 5, /"kind" goes with "invariant" and is one of non-finite, inaccurate, special/],
      [doc('    {"property": "a", "error": "subject", "kind": "non-finite"}'), 5, /"kind" goes with "invariant"/],
      [doc('    {"property": "", "invariant": "finite"}'), 5, /"property" is empty/],
      [doc('    "a"'), 5, /finding 1: expected an object/],
      [doc('    {"property": "a", "invariant": "finite"}', '    {"property": "a", "invariant": "finite"}'), 6, /duplicate of the finding on line 5/],
      ['{\n  "format": "nanhunt-baseline",\n  "version": 4,\n  "findings": []\n}', 3, /version 4 is not supported \(this nanhunt reads versions 1, 2 and 3\)/],
      [
        doc('    {"property": "a", "invariant": "finite", "case": {"x": {"$tensor": true, "shape": [2], "dtype": "float64", "values": [1]}}}'),
        5,
        /finding 1: "case" cannot be read back \(malformed tensor/,
      ],
      ['{\n  "nanhunt": "0.1.0",\n  "findings": []\n}', 2, /unknown key "nanhunt"/],
      ['{\n  "version": 1,\n  "findings": []\n}', 1, /not a nanhunt baseline: needs "format": "nanhunt-baseline"/],
      ['{\n  "format": "nanhunt-baseline",\n  "version": 1,\n  "findings": {}\n}', 4, /"findings" must be a list/],
      ['[]', 1, /expected an object/],
    ];
    for (const [text, line, message] of cases) {
      const e = errorOf(text);
      expect(e.line, text).toBe(line);
      expect(e.message, text).toMatch(message);
      expect(e.message.startsWith(`baseline b.json:${line}: `), e.message).toBe(true);
    }
  });

  it('parses JSON exactly like JSON.parse on valid documents', () => {
    const plain = (v: ReturnType<typeof parseLocated>): unknown =>
      v.kind === 'object' ? Object.fromEntries(v.entries.map((e) => [e.key, plain(e.value)])) : v.kind === 'array' ? v.items.map(plain) : v.value;
    const texts = ['{"a": [1, -2.5e-3, true, false, null, "x\\n\\u00e9\\"\\\\/"], "b": {}}', '\uFEFF  [ ]  ', '0', '"\\t"', '-0.0e+1'];
    for (const t of texts) expect(plain(parseLocated(t))).toEqual(JSON.parse(t.replace(/^\uFEFF/, '')));
    for (const bad of ['01', '1.', '.5', "'a'", '[1,]', '{"a":1,}', 'nul', '"\\x"', '+1']) expect(() => parseLocated(bad), bad).toThrow();
  });
});

describe('the gate', () => {
  it('without a baseline every finding is new; expected failures and passes are not findings', () => {
    const g = evaluateGate(results);
    expect(g.verdicts).toEqual(['passed', 'new', 'new', 'expected', 'passed', 'new']);
    expect(g.exitCode).toBe(1);
    expect(g.failed).toBe(3);
    expect(g.passed).toBe(2);
    expect(g.expected).toBe(1); // counted apart, as the HTML report shows it
    expect(g.newFindings.map((r) => r.name)).toEqual(['gate exp is finite', 'gate subject throws', 'gate naive log1p within 8 bits']);
  });

  it('a known finding passes the gate, a new one fails it', () => {
    const known = baseline([
      { property: 'gate exp is finite', invariant: 'finite', backend: 'cpu' },
      { property: 'gate subject throws', error: 'subject' },
      { property: 'gate naive log1p within 8 bits', invariant: 'log1p within 8 bits' },
    ]);
    const g = evaluateGate(results, known);
    expect(g.verdicts).toEqual(['passed', 'known', 'known', 'expected', 'passed', 'known']);
    expect(g.exitCode).toBe(0);
    expect([g.passed, g.failed]).toEqual([2, 0]);
    // drop one entry: that finding is new again
    const partial = baseline(known.entries.slice(1));
    const g2 = evaluateGate(results, partial);
    expect(g2.newFindings.map((r) => r.name)).toEqual(['gate exp is finite']);
    expect(g2.exitCode).toBe(1);
  });

  it('matches on property, invariant (or error stage) and backend, not on the counterexample', () => {
    const exp = byName('exp is finite');
    expect(verdictOf(exp, baseline([{ property: 'gate exp is finite', invariant: 'finite', seed: 999, path: '9:9', message: 'other text' }]))).toBe('known');
    expect(verdictOf(exp, baseline([{ property: 'gate exp is finite', invariant: 'noNaN' }]))).toBe('new');
    expect(verdictOf(exp, baseline([{ property: 'gate exp is finite', invariant: 'finite', backend: 'wasm' }]))).toBe('new');
    expect(verdictOf(exp, baseline([{ property: 'Gate exp is finite', invariant: 'finite' }]))).toBe('new');
    expect(verdictOf(exp, baseline([{ property: 'gate exp is finite', error: 'subject' }]))).toBe('new');
    const thrown = byName('throws');
    expect(verdictOf(thrown, baseline([{ property: 'gate subject throws', error: 'subject' }]))).toBe('known');
    expect(verdictOf(thrown, baseline([{ property: 'gate subject throws', error: 'gradient' }]))).toBe('new');
  });

  it('calls an entry fixed only when its saved case passes when replayed; --strict makes it fail', () => {
    const b = baseline([
      { property: 'gate abs is finite', invariant: 'finite', line: 5, case: caseX(1) },
      { property: 'gate exp is finite', invariant: 'finite', line: 6 },
      { property: 'gate subject throws', error: 'subject', line: 7 },
      { property: 'gate naive log1p within 8 bits', invariant: 'log1p within 8 bits', line: 8 },
    ]);
    const replays = replayBaseline(b, results, FIXTURE_PROPERTIES);
    expect(replays.get(b.entries[0]!)).toEqual({ kind: 'passes' });
    const g = evaluateGate(results, b, { replays });
    expect(g.fixed.map((e) => [e.entry.property, e.by])).toEqual([['gate abs is finite', 'case']]);
    expect(g.entries.map((e) => e.state)).toEqual(['fixed', 'known', 'known', 'known']);
    expect(g.exitCode).toBe(0);
    expect([g.passed, g.failed]).toEqual([2, 0]);
    // without replaying it, a passing search decides nothing
    expect(evaluateGate(results, b).entries[0]).toMatchObject({ state: 'inconclusive', reason: 'its saved case was not replayed' });
    const strict = evaluateGate(results, b, { strict: true, replays });
    expect(strict.exitCode).toBe(1);
    expect(strict.failing.map((r) => r.name)).toEqual(['gate abs is finite']);
    expect([strict.passed, strict.failed]).toEqual([1, 1]);
  });

  it('a short search that misses a finding leaves it known when its saved case still fails; a case that fails another way is inconclusive', () => {
    // `gate exp is finite` passed a short search (1 run at this seed); its saved case exp(89) still overflows
    const missed = { ...byName('exp is finite'), status: 'passed', runs: 1 } as PropertyResult;
    delete (missed as { failure?: unknown }).failure;
    const b = baseline([
      { property: 'gate exp is finite', invariant: 'finite', case: caseX(89) },
      { property: 'gate abs is finite', invariant: 'finite', case: { y: 1 } }, // a case the subject cannot run on
      { property: 'gate abs is finite', invariant: 'noNaN', case: caseX(1) }, // an invariant the property does not have
      { property: 'gate exp is finite', error: 'subject' }, // no case at all
    ]);
    const replays = replayBaseline(b, [missed, byName('abs is finite')], FIXTURE_PROPERTIES);
    const g = evaluateGate([missed, byName('abs is finite')], b, { replays, strict: true });
    expect(g.entries.map((e) => [e.state, e.by ?? e.reason])).toEqual([
      ['known', 'case'],
      ['inconclusive', expect.stringMatching(/^its saved case now fails another way \(error \(subject\): /)],
      ['fixed', "the property has no invariant 'noNaN' any more"],
      ['inconclusive', expect.stringMatching(/^the entry has no saved case to replay/)],
    ]);
    expect(g.verdicts).toEqual(['passed', 'passed']);
    expect(g.exitCode).toBe(1); // --strict: the obsolete entry is still listed
    // replayEntry on its own: the real kernels decide
    expect(replayEntry(failing, { property: failing.name, invariant: 'finite', case: caseX(89) })).toEqual({ kind: 'fails' });
    expect(replayEntry(failing, { property: failing.name, invariant: 'finite', case: caseX(88) })).toEqual({ kind: 'passes' });
    expect(replayEntry(passing, { property: passing.name, error: 'leak', case: caseX(1) })).toEqual({ kind: 'passes' });
  });

  it('does not call an entry fixed when its property did not run, failed another way, was cut short or has another status', () => {
    const exp = byName('exp is finite');
    const abs = byName('abs is finite');
    const b = baseline([
      { property: 'not in this run', invariant: 'finite' },
      { property: 'gate exp is finite', invariant: 'finite', backend: 'wasm' },
      { property: 'gate exp is finite', invariant: 'noNaN' },
      { property: 'gate abs is finite', invariant: 'finite' },
      { property: 'gate op unsupported', invariant: 'finite' },
    ]);
    const cut: PropertyResult = { ...abs, interrupted: true };
    const g = evaluateGate([exp, cut, unsupportedResult()], b, { strict: true });
    expect(g.entries.map((e) => e.state)).toEqual(['not-run', 'not-run', 'inconclusive', 'inconclusive', 'inconclusive']);
    expect(g.fixed).toEqual([]);
    // exp fails 'finite', which is not listed for cpu: new
    expect(g.verdicts).toEqual(['new', 'passed', 'other']);
  });

  it('handles statuses it does not know: not a finding, not passed', () => {
    const g = evaluateGate([...results, unsupportedResult()], baseline([]));
    expect(g.verdicts.at(-1)).toBe('other');
    expect([g.passed, g.failed]).toEqual([2, 3]);
    const only = evaluateGate([unsupportedResult()]);
    expect(only.exitCode).toBe(0);
    expect([only.passed, only.failed]).toEqual([0, 0]);
  });

  it('updates a baseline: adds new findings with their case, removes fixed ones (replayed), keeps entries it could not check and their notes', () => {
    const old = baseline([
      { property: 'gate abs is finite', invariant: 'finite', line: 5, case: caseX(1), note: 'was a bug once' },
      { property: 'gate exp is finite', invariant: 'finite', note: 'upstream tfjs#1', line: 6 },
      { property: 'renamed or filtered out', error: 'subject', line: 7 },
    ]);
    const u = updateBaseline(results, old, replayBaseline(old, results, FIXTURE_PROPERTIES));
    expect(u.removed).toEqual([
      { entry: { property: 'gate abs is finite', invariant: 'finite', case: caseX(1), note: 'was a bug once' }, reason: 'its saved case passes now' },
    ]);
    expect(u.added.map((e) => [e.property, e.invariant ?? e.error, e.backend])).toEqual([
      ['gate subject throws', 'subject', 'cpu'],
      ['gate naive log1p within 8 bits', 'log1p within 8 bits', 'cpu'],
    ]);
    expect(u.kept).toBe(2);
    // the known entry keeps its note and gets this run's minimal case (it had none)
    const exp = byName('exp is finite');
    expect(u.entries.find((e) => e.property === 'gate exp is finite')).toEqual({
      property: 'gate exp is finite',
      invariant: 'finite',
      note: 'upstream tfjs#1',
      message: 'output is +Infinity',
      seed: exp.seed,
      path: exp.path,
      case: JSON.parse(JSON.stringify(resultToJson(exp).counterexample)),
    });
    expect(u.recorded.map((e) => e.property)).toEqual(['gate exp is finite']);
    // an entry with a case that still fails keeps it (no churn)
    const again = updateBaseline(results, parseBaseline(formatBaseline(u.entries), 'b.json'));
    expect(again.recorded).toEqual([]);
    expect(u.entries.some((e) => 'line' in e)).toBe(false);
    // the written baseline makes every finding of the run known
    const regate = evaluateGate(results, parseBaseline(formatBaseline(u.entries), 'b.json'));
    expect(regate.exitCode).toBe(0);
    expect(regate.newFindings).toEqual([]);
    const added = entryFor(byName('exp is finite'));
    expect(added).toMatchObject({ property: 'gate exp is finite', invariant: 'finite', backend: 'cpu', message: 'output is +Infinity' });
    expect(added.case).toEqual(JSON.parse(JSON.stringify(resultToJson(byName('exp is finite')).counterexample)));
    expect(added.path).toMatch(/^\d+(:\d+)*$/);
  });
});
