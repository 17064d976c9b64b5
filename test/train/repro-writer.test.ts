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
    const repro = reproScript({ property: nanInData, result, writers: [trainingReproWriter] });
    expect(repro.selfContained).toBe(true);
    const config = findTrainingConfig(result.counterexample)!;
    expect(repro.text).toBe(trainingReproScript(config, { title: nanInData.name }));
    expect(repro.text).not.toContain('train-repro');
    expect(repro.text).toContain("from '@tensorflow/tfjs'");
  });
});
