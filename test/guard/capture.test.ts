/**
 * The capture file format: what a written capture holds, exact round trips (NaN, ±Infinity, -0,
 * subnormals; inline and in the sidecar), atomic writes, and one clear reason for every way a
 * capture can be broken. docs/guard.md documents every field written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tensorValue } from '../../src/core/tensor-value.ts';
import { CAPTURE_FORMAT, INLINE_LIMIT, readCapture, sidecarOf, writeCapture, type Capture } from '../../src/guard/capture.ts';
import { caseTensors } from '../../src/guard/case.ts';
import { nanGuard } from '../../src/guard/guard.ts';
import { naiveSigmoidLoss } from './scenarios.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-guard-capture-'));
let real: Capture;
let realFile: string;

beforeAll(async () => {
  const s = naiveSigmoidLoss();
  const guard = nanGuard(s.model, { dir, log: false });
  await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
  realFile = guard.captureFile!;
  real = readCapture(realFile);
  guard.detach();
  s.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECIAL = [Number.NaN, Infinity, -Infinity, -0, 0, 1e-45, -3.4028234663852886e38, 1.5];

/** The real capture with a 100-element input holding every special value (it goes to the sidecar). */
function withLargeInput(): Capture {
  const big = tensorValue(
    [10, 10],
    Array.from({ length: 100 }, (_, i) => SPECIAL[i % SPECIAL.length]!),
  );
  return { ...real, case: { ...real.case, inputs: [big] } };
}

function sameTensors(a: Capture, b: Capture): void {
  const ta = caseTensors(a.case);
  const tb = caseTensors(b.case);
  expect(tb.map((t) => t.path)).toEqual(ta.map((t) => t.path));
  ta.forEach((t, i) => {
    const u = tb[i]!.value;
    expect(u.shape, t.path).toEqual(t.value.shape);
    expect(u.dtype).toBe(t.value.dtype);
    expect(
      Array.from(u.data).every((v, j) => Object.is(v, t.value.data[j])),
      t.path,
    ).toBe(true);
  });
}

describe('capture files', () => {
  it('hold the detection, the environment, the step and every tensor; small tensors inline, large ones in the sidecar', () => {
    const json = JSON.parse(readFileSync(realFile, 'utf8'));
    expect(json).toMatchObject({
      nanhunt: 'capture',
      format: CAPTURE_FORMAT,
      environment: { backend: 'cpu', tfjs: '4.22.0' },
      step: 31,
      epoch: 8,
      batchInEpoch: 3,
      kind: 'fit',
      symptom: { what: 'loss', value: 'NaN' },
      detected: { step: 31, what: 'loss', value: 'NaN' },
    });
    expect(json.topology.class_name).toBe('Sequential');
    expect(json.batch.inputs[0]).toMatchObject({ shape: [16, 2], dtype: 'float32' });
    expect(json.batch.inputs[0].values).toHaveLength(32); // <= 64 elements: inline
    expect(json.sidecar).toBeUndefined();

    const file = path.join(dir, 'big.capture.json');
    writeCapture(file, withLargeInput());
    const big = JSON.parse(readFileSync(file, 'utf8'));
    expect(big.batch.inputs[0]).toEqual({ shape: [10, 10], dtype: 'float32', offset: 0 });
    expect(big.sidecar).toMatchObject({ file: 'big.capture.bin', bytes: 400 });
    expect(big.sidecar.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(INLINE_LIMIT).toBe(64);
    // written atomically: nothing but the pair is left
    expect(readdirSync(dir).filter((f) => f.startsWith('big') || f.startsWith('.big'))).toEqual(['big.capture.bin', 'big.capture.json']);
  });

  it('round-trip exactly: NaN, ±Infinity, -0 and subnormals, inline and in the sidecar', () => {
    sameTensors(real, readCapture(realFile));
    const c = withLargeInput();
    const file = path.join(dir, 'roundtrip.capture.json');
    writeCapture(file, c);
    const back = readCapture(file);
    sameTensors(c, back);
    expect(back.info).toEqual(c.info);
    expect(back.case.loss).toEqual(c.case.loss);
    expect(back.case.optimizer.config).toEqual(c.case.optimizer.config);
    expect(back.case.optimizer.state.numbers).toEqual(c.case.optimizer.state.numbers);
    expect(back.case.topology).toEqual(c.case.topology);
  });

  it('a broken capture is one clear reason', () => {
    const file = path.join(dir, 'broken.capture.json');
    const write = () => writeCapture(file, withLargeInput());
    const reason = (f: string = file) => {
      try {
        readCapture(f);
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'read';
    };
    write();
    expect(reason()).toBe('read');
    truncateSync(sidecarOf(file), 100);
    expect(reason()).toBe('CaptureFileError: its sidecar broken.capture.bin has 100 bytes, the capture says 400');
    write();
    const bin = readFileSync(sidecarOf(file));
    bin[7] = bin[7]! ^ 1;
    writeFileSync(sidecarOf(file), bin);
    expect(reason()).toBe('CaptureFileError: its sidecar broken.capture.bin does not match the capture (SHA-256 differs)');
    rmSync(sidecarOf(file));
    expect(reason()).toBe('CaptureFileError: its sidecar broken.capture.bin is missing (copy it along with the .json)');
    write();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length / 2));
    expect(reason()).toMatch(/^CaptureFileError: not valid JSON \(.*\): truncated or corrupt$/);
    writeFileSync(file, text.replace('"format": 1', '"format": 2'));
    expect(reason()).toBe('CaptureFileError: written by a newer nanhunt (format 2; this one reads format 1)');
    writeFileSync(file, text.replace('"nanhunt": "capture"', '"nanhunt": "failure"'));
    expect(reason()).toBe('CaptureFileError: not a nanhunt capture file (no "nanhunt": "capture" field)');
    const json = JSON.parse(text);
    json.batch.targets[0].values.pop();
    writeFileSync(file, JSON.stringify(json));
    expect(reason()).toBe('CaptureFileError: malformed capture: batch.targets[0] has 15 values for shape [16, 1]');
    expect(reason(dir)).toBe('CaptureFileError: is a directory, not a capture file');
  });

  it('docs/guard.md documents every field a capture file has', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/guard.md'), 'utf8');
    const fields = new Set<string>();
    for (const f of [realFile, path.join(dir, 'roundtrip.capture.json')]) {
      const json = JSON.parse(readFileSync(f, 'utf8'));
      for (const k of Object.keys(json)) fields.add(k);
      for (const k of Object.keys(json.batch)) fields.add(`batch.${k}`);
      for (const k of Object.keys(json.optimizer)) fields.add(`optimizer.${k}`);
      for (const k of Object.keys(json.optimizer.state)) fields.add(`optimizer.state.${k}`);
    }
    const missing = [...fields].filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
