// Settings of the JADCE benchmark (spec "Small-scale reproduction") and where it writes.
import { dirname, join } from 'node:path';

/** Methods with slow per-realisation solvers: they are tested on `slowCount` realisations. */
export const SLOW = new Set(['fista', 'admm', 'sbl', 'em-bg-amp', 'lista-gs', 'alista-gs']);

/** Grid methods in page order. */
export const GRID_METHODS = [
  'oracle',
  'oracle-mmse',
  'amp-mmv',
  'cov-ml',
  'em-bg-amp',
  'fista',
  'admm',
  'sbl',
  'lista-gs',
  'alista-gs',
  'proposed',
];

/**
 * The run configuration (stored in the records file; a resumed run must match it) and output paths.
 * @param {import('./bench.mjs').BenchmarkOptions} o
 */
export function benchSetup(o) {
  const seed = o.seed ?? 0;
  const quick = o.quick ?? false;
  const out = o.out ?? 'docs/results/jadce.md';
  const svgDir = join(dirname(out), 'jadce');
  const recordsPath = o.records ?? join(svgDir, quick ? 'records-quick.json' : 'records.json');
  const modelDir = o.modelDir ?? join('benchmarks', 'jadce', '.cache', quick ? 'models-quick' : 'models');
  const count = o.count ?? (quick ? 300 : 2000);
  const config = {
    N: 100,
    eps: 0.05,
    Ms: quick ? [32] : [8, 32],
    Ls: quick ? [16, 24] : [12, 16, 20, 24, 32],
    snrs: quick ? [10] : [0, 5, 10, 15, 20],
    Lref: quick ? 16 : 20,
    snrRef: 10,
    count,
    slowCount: Math.min(o.slowCount ?? (quick ? 100 : 200), count),
    valCount: o.valCount ?? (quick ? 150 : 300),
    stepsPerStage: o.stepsPerStage ?? (quick ? 3 : 8),
    samples: o.samples ?? (quick ? 600 : 2000),
    batch: o.batch ?? 32,
    T: 10,
    J: 3,
    seed,
    quick,
    rank: 8,
  };
  return { config, out, svgDir, recordsPath, modelDir };
}
