/**
 * Float64 host linear algebra for @ft (tfjs has no Cholesky, solve, inverse, eig or SVD: tfjs#8173, #110, #1516,
 * #467). Every function here reads tensors with `dataSync()` and is a **constant for autodiff** (no gradient).
 */
export {
  type CholeskyFactor,
  type CholeskyOptions,
  cholesky,
  choleskyFactor,
  choleskySolve,
  inverseFromCholesky,
  logdet,
  logdetFromCholesky,
  lowerTriangularInverse,
  solveTriangular,
  spdInverse,
  spdSolve,
  type TriangularOptions,
} from './cholesky.js';
export {
  CovarianceAccumulator,
  type CovarianceAccumulatorJSON,
  type CovarianceAccumulatorOptions,
  type CovarianceStats,
  type RowsInput,
} from './covariance.js';
export { det, type LUFactor, luFactor, luSolve, solve } from './lu.js';
export {
  cloneMatrix,
  eye,
  frobeniusNorm,
  isMatrix,
  type Matrix,
  type MatrixInput,
  matmulMatrix,
  matrix,
  matrixToArray,
  matrixToTensor,
  symmetrize,
  toMatrix,
  toSquareMatrix,
  transposeMatrix,
} from './matrix.js';
export {
  type CovarianceEstimate,
  type CovarianceSource,
  empiricalCovariance,
  ledoitWolf,
  oas,
} from './shrinkage.js';
export * as stats from './stats.js';
export { type SvdOptions, type SvdResult, svdSmall } from './svd.js';
export { pinvh, type SymEigOptions, type SymEigResult, symEig } from './sym-eig.js';
