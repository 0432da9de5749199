// Records and configurations for the tests of the JADCE benchmark page.

/** One grid record at 10 dB, ε = 0.05 with the given AER, NMSE (dB) and runtime (ms per realisation). */
export function rec(method, M, L, aer, nmseDb, ms) {
  return {
    group: 'grid',
    M,
    L,
    snrDb: 10,
    eps: 0.05,
    method,
    count: 100,
    nmseDb,
    nmseActiveDb: nmseDb,
    pMiss: aer,
    pFa: aer,
    aer,
    auroc: 0.99,
    threshold: 0.5,
    msPerSample: ms,
    iterations: 10,
    blockNmseDb: [nmseDb - 0.1, nmseDb + 0.1],
    blockAer: [aer, aer],
  };
}

/** A small quick-run benchmark configuration for page tests. */
export function pageConfig(overrides = {}) {
  return {
    N: 100,
    eps: 0.05,
    Ms: [32],
    Ls: [12, 16],
    snrs: [10],
    Lref: 16,
    snrRef: 10,
    count: 100,
    slowCount: 50,
    valCount: 50,
    stepsPerStage: 1,
    samples: 10,
    batch: 8,
    T: 2,
    J: 1,
    seed: 0,
    quick: true,
    rank: 8,
    ...overrides,
  };
}

/** Grid records at L ∈ {12, 16}, M = 32 where the proposed network needs the shortest pilots. */
export const pageRecords = () =>
  [12, 16].flatMap((L) => [
    rec('oracle', 32, L, 0, -15, 0.1),
    rec('amp-mmv', 32, L, L === 12 ? 0.02 : 0.001, -12, 20),
    rec('cov-ml', 32, L, L === 12 ? 0.05 : 0.004, -13, 2),
    rec('proposed', 32, L, L === 12 ? 0.005 : 0.0001, -13.2, 5),
  ]);
