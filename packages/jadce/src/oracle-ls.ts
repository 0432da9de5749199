/**
 * Oracle-support least squares: the channel estimate when the true active set is known, X̂_A = (S_Aᴴ S_A)⁻¹ S_Aᴴ Y
 * (or the LMMSE variant). The lower bound on NMSE that every JADCE method is compared with (spec baseline list).
 */
import { estimateChannels } from './channel-estimation.js';
import { DEFAULT_THRESHOLD, type JadceProblem, type SolverResult } from './solver.js';

/** Options of `oracleLs`. */
export interface OracleLsOptions {
  /** True activity [N] (0/1). */
  active: ArrayLike<number>;
  /** `'ls'` (default) or `'mmse'` (uses the problem's σ² and β). */
  method?: 'ls' | 'mmse';
}

/** Oracle-support LS / MMSE estimate (see file header). The score is the true activity. */
export function oracleLs(p: JadceProblem, o: OracleLsOptions): SolverResult {
  const X = estimateChannels(p.Y, p.S, o.active, { method: o.method ?? 'ls', beta: p.beta, sigma2: p.sigma2 });
  const active = Uint8Array.from(o.active, (v) => (v ? 1 : 0));
  return {
    X,
    score: Float64Array.from(active),
    scoreKind: 'probability',
    active: active.map((v) => (v >= DEFAULT_THRESHOLD.probability ? 1 : 0)),
    iterations: 1,
    converged: true,
  };
}
