import { trainingReproWriter } from '../../src/train/repro.ts';
import { describe, expect, it } from 'vitest';
import { runProperty } from '../../src/index.ts';
import { reproScript } from '../../src/report/repro.ts';
import { trainingReproScript } from '../../src/train/repro.ts';
import { findTrainingConfig } from '../../src/train/config.ts';
import { nanInData } from '../../properties/training.ts';

describe('repro scripts of training failures written by check', () => {
  it('are the standalone training script of the minimal configuration', () => {
    const result = runProperty(nanInData, { seed: 1 });
    expect(result.status).toBe('failed');
    const repro = reproScript({ property: nanInData, result, writers: [trainingReproWriter], scriptFile: '/tmp/x/nan.mjs' });
    if (!repro.selfContained) throw new Error(repro.reason);
    const config = findTrainingConfig(result.counterexample)!;
    expect(repro.text).toBe(trainingReproScript(config, { title: nanInData.name, file: '/tmp/x/nan.mjs' }));
    expect(repro.text).toContain('Run: node /tmp/x/nan.mjs\n'); // the exact command, not a placeholder
    expect(repro.text).not.toContain('train-repro');
    expect(repro.text).toContain("from '@tensorflow/tfjs'");
  });

  it("say why there is no script when the run uses the user's model factory or loss", () => {
    const result = runProperty(nanInData, { seed: 1 });
    const config = findTrainingConfig(result.counterexample)!;
    for (const [changed, what] of [
      [{ ...config, model: 'myModel' }, "the model factory 'myModel'"],
      [{ ...config, loss: 'custom' }, 'a custom loss'],
    ] as const) {
      const repro = reproScript({ property: nanInData, result: { ...result, counterexample: changed }, writers: [trainingReproWriter] });
      expect(repro).toEqual({ selfContained: false, reason: `the training run uses ${what} defined in your code, which a standalone script cannot contain` });
    }
  });
});
