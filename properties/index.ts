/**
 * nanhunt's shipped catalog: one list. `npx nanhunt check` runs `catalog`; the docs script
 * renders `OP_TABLE`; the tests read both.
 *
 * - `OP_TABLE`: the OpInfo entries (ops, activations, reductions, linear algebra and layers,
 *   losses, optimizer steps), each expanded into a value property and, where it has one, a
 *   gradient property;
 * - shipped examples of real bugs, whose failures are expected;
 * - training runs that go NaN, each beside a twin that does not.
 */
import { catalogProperties, type OpInfo } from '../src/catalog/op-info.ts';
import { isProperty, type Property } from '../src/index.ts';
import { unaryTable } from './unary.ts';
import { activationTable } from './activations.ts';
import { binaryTable } from './binary.ts';
import { compositionTable } from './compositions.ts';
import { reductionTable } from './reductions.ts';
import { linalgTable } from './linalg.ts';
import { layerTable } from './layers.ts';
import { imageTable } from './images.ts';
import { shapeTable } from './shapes.ts';
import { lossTable } from './losses.ts';
import { optimizerTable } from './optimizers.ts';
import * as examples from './examples.ts';
import * as training from './training.ts';

/** Every OpInfo entry of the catalog, in the order of the catalog table (docs/catalog.md). */
export const OP_TABLE: readonly OpInfo[] = [
  ...unaryTable,
  ...binaryTable,
  ...compositionTable,
  ...activationTable,
  ...reductionTable,
  ...linalgTable,
  ...layerTable,
  ...imageTable,
  ...shapeTable,
  ...lossTable,
  ...optimizerTable,
];

/** Every property of the catalog: the entries' properties, the examples of bugs, the training runs. */
export const catalog: readonly Property[] = [
  ...catalogProperties(OP_TABLE),
  ...Object.values<unknown>(examples).filter(isProperty),
  ...Object.values<unknown>(training).filter(isProperty),
];
