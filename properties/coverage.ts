/**
 * The catalog's coverage exclusions: every kernel the cpu backend registers that no catalog entry
 * covers, with why (src/catalog/coverage.ts measures what the entries cover; `npx nanhunt catalog`
 * prints the table). The test (test/catalog/coverage.test.ts) fails when a kernel is neither
 * covered nor listed here, and when an exclusion goes stale because an entry covers it now:
 * then delete the line.
 *
 * `pending` marks numeric kernels whose entry is still to be written (none now); the other
 * categories are kernels with no numerics to check (creation, shapes, dtypes, strings, booleans,
 * randomness, indices) or not checked yet (complex64, sparse and ragged structures, box
 * selection).
 */
import type { CoverageData } from '../src/catalog/coverage.ts';

export const COVERAGE: CoverageData = {
  kernels: {
    BitwiseAnd: { category: 'boolean', reason: 'bitwise AND of int32 tensors' },
    BroadcastArgs: { category: 'shape', reason: 'computes a broadcast shape' },
    Complex: { category: 'complex', reason: 'builds a complex64 tensor' },
    ComplexAbs: { category: 'complex', reason: 'magnitude of complex64 values' },
    Draw: { category: 'browser', reason: 'draws a tensor on a canvas' },
    FFT: { category: 'complex', reason: 'complex64 Fourier transform' },
    IFFT: { category: 'complex', reason: 'complex64 inverse Fourier transform' },
    Imag: { category: 'complex', reason: 'imaginary part of complex64 values' },
    LinSpace: { category: 'creation', reason: 'evenly spaced values from a start, stop and count' },
    Multinomial: { category: 'random', reason: 'draws samples from categorical distributions' },
    NonMaxSuppressionV3: { category: 'image', reason: 'selects boxes by overlap (returns indices)' },
    NonMaxSuppressionV4: { category: 'image', reason: 'selects boxes by overlap (returns indices)' },
    NonMaxSuppressionV5: { category: 'image', reason: 'selects boxes by overlap (returns indices and scores)' },
    OnesLike: { category: 'creation', reason: 'a tensor of ones' },
    RaggedGather: { category: 'sparse', reason: 'ragged tensors' },
    RaggedRange: { category: 'sparse', reason: 'ragged tensors' },
    RaggedTensorToTensor: { category: 'sparse', reason: 'ragged tensors' },
    Range: { category: 'creation', reason: 'a sequence from a start, stop and step' },
    Real: { category: 'complex', reason: 'real part of complex64 values' },
    SearchSorted: { category: 'index', reason: 'insertion indices into sorted sequences' },
    SparseFillEmptyRows: { category: 'sparse', reason: 'sparse index structures' },
    SparseReshape: { category: 'sparse', reason: 'sparse index structures' },
    SparseToDense: { category: 'sparse', reason: 'sparse index structures' },
    StaticRegexReplace: { category: 'string', reason: 'regular expressions on strings' },
    StringNGrams: { category: 'string', reason: 'n-grams of strings' },
    StringSplit: { category: 'string', reason: 'splits strings' },
    StringToHashBucketFast: { category: 'string', reason: 'hashes strings' },
    TopK: { category: 'index', reason: 'the k largest values (copies) and their indices' },
    Unique: { category: 'index', reason: 'distinct values and their indices' },
  },
  gradients: {
    ArgMax: { category: 'zero gradient', reason: 'its gradient is zero or undefined everywhere' },
    ArgMin: { category: 'zero gradient', reason: 'its gradient is zero or undefined everywhere' },
    OneHot: { category: 'zero gradient', reason: 'its gradient is zero or undefined everywhere' },
    FloorDiv: { category: 'zero gradient', reason: 'floorDiv is piecewise constant: its gradient is zero where defined' },
    IsFinite: { category: 'zero gradient', reason: 'a boolean result has no gradient' },
    IsInf: { category: 'zero gradient', reason: 'a boolean result has no gradient' },
    IsNan: { category: 'zero gradient', reason: 'a boolean result has no gradient' }, // the gradient of conv2dTranspose
  },
  functions: {},
  compositions: {
    'fused.matMul bias relu': 'a composition users write: fused.matMul bias relu',
    'fused.conv2d': 'a composition users write: fused.conv2d',
    'fused.depthwiseConv2d same': 'a composition users write: fused.depthwiseConv2d same',
    resizeBilinear: 'a composition users write: resizeBilinear',
    'resizeBilinear alignCorners': 'a composition users write: resizeBilinear alignCorners',
    'resizeBilinear halfPixelCenters': 'a composition users write: resizeBilinear halfPixelCenters',
    resizeNearestNeighbor: 'a composition users write: resizeNearestNeighbor',
    'resizeNearestNeighbor alignCorners': 'a composition users write: resizeNearestNeighbor alignCorners',
    'resizeNearestNeighbor halfPixelCenters': 'a composition users write: resizeNearestNeighbor halfPixelCenters',
    'layerNorm composition': 'a composition users write: layerNorm composition',
    'where(0 >= x, 0, log(x))': 'a composition users write: where(0 >= x, 0, log(x))',
    'where(0 >= x, 0, sqrt(x))': 'a composition users write: where(0 >= x, 0, sqrt(x))',
    'where(x >= 20, x, log1p(exp(x)))': 'a composition users write: where(x >= 20, x, log1p(exp(x)))',
    'where(x > 0, x, 0)': 'a composition users write: where(x > 0, x, 0)',
    'maximum(x, x)': 'a composition users write: maximum(x, x)',
    'minimum(x, x)': 'a composition users write: minimum(x, x)',
    'maximum(x, row)': 'a composition users write: maximum(x, row)',
    'minimum(x, row)': 'a composition users write: minimum(x, row)',
    'squaredDifference(x, row)': 'a composition users write: squaredDifference(x, row)',
    'sparse.sparseSegmentSum': 'tf.sparse.sparseSegmentSum (the tf.sparse namespace)',
    'sparse.sparseSegmentMean': 'tf.sparse.sparseSegmentMean (the tf.sparse namespace)',
    'image.flipLeftRight': 'tf.image.flipLeftRight (the tf.image namespace)',
    'image.cropAndResize bilinear': 'tf.image.cropAndResize (the tf.image namespace)',
    'image.cropAndResize nearest': 'tf.image.cropAndResize (the tf.image namespace)',
    'image.rotateWithOffset': 'tf.image.rotateWithOffset (the tf.image namespace)',
    'image.transform bilinear': 'tf.image.transform (the tf.image namespace)',
    'image.transform nearest': 'tf.image.transform (the tf.image namespace)',
  },
};
