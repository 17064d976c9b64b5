/**
 * `nanhunt/catalog`: write catalog entries the way nanhunt's own catalog (properties/) is written —
 * OpInfo entries carrying their exact reference, tolerance and derivative, expanded into
 * properties — and the mathematical checks the entries use.
 */
export {
  opInfo,
  entryProperties,
  catalogProperties,
  gradientPromise,
  tfCall,
  CATALOG_RUNS,
  FAMILIES,
  type OpInfo,
  type OpReference,
  type GradientInfo,
  type Family,
  type TfFunctionName,
  type TfUnaryName,
} from './op-info.ts';
export { inRange, rowsSumToOne, bound, rowMax, scalesLinearly, equalsInput, movesAgainstGradient } from './checks.ts';
export { catalogMarkdown } from './docs.ts';
export { findingsMarkdown, updateFindings, compactInput, type ReportDocument, type ReportedProperty } from './findings.ts';
export {
  catalogCoverage,
  coverageReport,
  measureCoverage,
  formatCoverage,
  EXCLUSION_CATEGORIES,
  type CoverageData,
  type CoverageReport,
  type CoverageRow,
  type Exclusion,
  type ExclusionCategory,
} from './coverage.ts';
