/**
 * Every table of the shipped catalog (properties/), in README order.
 */
import { unaryTable } from '../../properties/unary.ts';
import { activationTable } from '../../properties/activations.ts';
import { reductionTable } from '../../properties/reductions.ts';
import { linalgTable } from '../../properties/linalg.ts';
import { lossTable } from '../../properties/losses.ts';
import { optimizerTable } from '../../properties/optimizers.ts';
import type { OpInfo } from './op-info.ts';

export const CATALOG_TABLE: readonly OpInfo[] = [
  ...unaryTable,
  ...activationTable,
  ...reductionTable,
  ...linalgTable,
  ...lossTable,
  ...optimizerTable,
];
