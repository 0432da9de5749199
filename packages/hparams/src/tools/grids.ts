/**
 * The hyperparameter grids of Li et al., "Rethinking the Hyperparameters for Fine-tuning" (ICLR 2020), as data.
 * Values are the paper's (Sec. 3 and App. A for the main grid, App. D for L2 vs L2-SP).
 */

/** The main fine-tuning grid and training recipe (Sec. 3, App. A). */
export interface LiEtAl2020Grid {
  /** Learning rates η searched. */
  readonly lr: readonly number[];
  /** SGD momenta m searched. */
  readonly momentum: readonly number[];
  /** Weight decays λ searched. */
  readonly weightDecay: readonly number[];
  /** The default configuration the paper compares against: batch 256, η 0.01, m 0.9, λ 1e-4. */
  readonly defaults: {
    readonly batchSize: number;
    readonly lr: number;
    readonly momentum: number;
    readonly weightDecay: number;
  };
  /** Fine-tuning length in epochs, and the epochs where η is multiplied by `decayFactor`. */
  readonly epochs: number;
  readonly decayEpochs: readonly number[];
  readonly decayFactor: number;
  /** Training from scratch: epochs, decay epochs, and the η and λ searched. */
  readonly scratch: {
    readonly epochs: number;
    readonly decayEpochs: readonly number[];
    readonly lr: readonly number[];
    readonly weightDecay: readonly number[];
  };
}

/** The L2 vs L2-SP grid (App. D). */
export interface L2spAppDGrid {
  /** Learning rates η searched. */
  readonly lr: readonly number[];
  /** The L2-SP strength α on the shared layers (also β for the "L2" arm, which uses β = α and θ⁰ = 0). */
  readonly alpha: readonly number[];
  /** β on the new head for L2-SP. */
  readonly betaSp: number;
  /** Batch size, iterations, the iteration of the single ×0.1 decay, and SGD momentum. */
  readonly batchSize: number;
  readonly iterations: number;
  readonly decayAt: number;
  readonly decayFactor: number;
  readonly momentum: number;
  /** The metric the paper reports for this comparison. */
  readonly metric: 'average class error';
}

const freeze = <T>(o: T): T => {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) freeze(v);
    Object.freeze(o);
  }
  return o;
};

/**
 * The paper's grids (deeply frozen):
 * - `liEtAl2020`: η ∈ {0.1, 0.05, 0.01, 0.005, 0.001, 0.0001}, m ∈ {0.9, 0.99, 0.95, 0.8, 0.0},
 *   λ ∈ {0, 1e-4, 5e-4, 1e-3}; defaults batch 256, η 0.01, m 0.9, λ 1e-4; 300 epochs with ×0.1 at 150 and 250;
 *   scratch: 600 epochs with ×0.1 at 400 and 550, η ∈ {0.1, 0.2, 0.5}, λ ∈ {1e-4, 5e-4}.
 * - `l2spAppD`: batch 64, 9,000 iterations, one ×0.1 decay at 6,000, m 0.9, η ∈ {0.02, 0.01, 0.005, 0.001, 0.0001},
 *   α ∈ {0.1, 0.01, 0.001, 0.0001}, β = 0.01 (L2-SP) or β = α (L2); metric: average class error.
 */
export const grids: { readonly liEtAl2020: LiEtAl2020Grid; readonly l2spAppD: L2spAppDGrid } = freeze({
  liEtAl2020: {
    lr: [0.1, 0.05, 0.01, 0.005, 0.001, 0.0001],
    momentum: [0.9, 0.99, 0.95, 0.8, 0.0],
    weightDecay: [0, 1e-4, 5e-4, 1e-3],
    defaults: { batchSize: 256, lr: 0.01, momentum: 0.9, weightDecay: 1e-4 },
    epochs: 300,
    decayEpochs: [150, 250],
    decayFactor: 0.1,
    scratch: { epochs: 600, decayEpochs: [400, 550], lr: [0.1, 0.2, 0.5], weightDecay: [1e-4, 5e-4] },
  },
  l2spAppD: {
    lr: [0.02, 0.01, 0.005, 0.001, 0.0001],
    alpha: [0.1, 0.01, 0.001, 0.0001],
    betaSp: 0.01,
    batchSize: 64,
    iterations: 9000,
    decayAt: 6000,
    decayFactor: 0.1,
    momentum: 0.9,
    metric: 'average class error',
  },
});
