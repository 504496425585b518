/** Public entry of the chaos optimizer (pure core: no I/O, no clock, seeded randomness only). */
export {
  type AcquisitionKind,
  type AcquisitionParams,
  acquisitionValues,
  erf,
  erfc,
  expectedImprovement,
  fitPowerTransform,
  normalCdf,
  normalPdf,
  normalQuantile,
  normalScores,
  probabilityOfImprovement,
  upperConfidenceBound,
  yeoJohnson,
} from './acquisition.js';
export { InfeasibleSpaceError, SpaceExhaustedError } from './errors.js';
export { type ForestOptions, type Matrix, type Prediction, RandomForest, toMatrix } from './forest.js';
export { GaussianProcess, type GpOptions, minimizeBox } from './gp.js';
export {
  type InitialDesign,
  initialPoints,
  latinHypercube,
  randomDesign,
  SOBOL_MAX_DIMENSIONS,
  Sobol,
  sobolDesign,
  unitDesign,
} from './initial.js';
export {
  type ExplainOptions,
  type Explanation,
  type Observation,
  Optimizer,
  type OptimizerConfig,
  type OptimizerOptions,
  type OptimizerState,
  type ProposalSource,
  type TrustRegionState,
} from './optimizer.js';
export { mixSeed, Prng, type PrngState } from './prng.js';
export { DEFAULT_MAX_ATTEMPTS, EncodedSpace, INACTIVE, validateSpace } from './space.js';
export * from './types.js';
