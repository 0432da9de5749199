import { describe, expect, it } from 'vitest';
import { bgRowPosterior } from './bg-posterior.js';
import { type EmBgAmpOptions, type EmBgAmpResult, emBgAmp } from './em-bg-amp.js';
import { ccolNorms2, cfrob2, cmat, cmatmul, cmatmulAH } from './host-complex.js';
import { checkProblem, DEFAULT_THRESHOLD, diff2, type JadceProblem, thresholdScores } from './solver.js';
import { maxAbsDiffC, noiselessBatch, regressionProblems, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('emBgAmp: NMSE < -60 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => emBgAmp(p));
    expect(r.nmse).toBeLessThan(-60);
    expect(r.aer).toBe(0);
  });
});

// The EM-BG-AMP of @ft/jadce 0.1.0 (one `bgRowPosterior` call per entry), kept verbatim as the reference.
const logit = (p: number) => Math.log(p / (1 - p));

function referenceEmBgAmp(p: JadceProblem, o: EmBgAmpOptions = {}): EmBgAmpResult {
  const maxIter = o.maxIter ?? 100;
  const tol = o.tol ?? 1e-6;
  const damping = o.damping ?? 0.5;
  const { L, N, M } = checkProblem(p, 'referenceEmBgAmp', { requireWide: true });
  const { Y, S } = p;
  let lambda = Math.min(0.99, Math.max(1e-4, o.lambda0 ?? p.eps ?? 0.1));
  const sNorm = ccolNorms2(S).reduce((a, b) => a + b, 0);
  let phi = Math.max((cfrob2(Y) / M - L * p.sigma2) / (lambda * sNorm), 1e-6 * (cfrob2(Y) / (M * sNorm) + 1e-30));
  let X = cmat(N, M);
  const Z = cmat(L, M);
  Z.re.set(Y.re);
  Z.im.set(Y.im);
  const c = new Float64Array(M);
  const tau = new Float64Array(M);
  const pi = new Float64Array(N * M);
  const R = cmat(N, M);
  const SX = cmat(L, M);
  let it = 0;
  let converged = false;
  for (it = 1; it <= maxIter; it++) {
    tau.fill(0);
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        const k = l * M + m;
        tau[m] += (Z.re[k] * Z.re[k] + Z.im[k] * Z.im[k]) / L;
      }
    }
    for (let m = 0; m < M; m++) tau[m] = Math.max(tau[m], 1e-300);
    cmatmulAH(S, Z, R);
    for (let i = 0; i < R.re.length; i++) {
      R.re[i] += X.re[i];
      R.im[i] += X.im[i];
    }
    const Xn = cmat(N, M);
    const vCol = new Float64Array(M);
    let piSum = 0;
    let phiNum = 0;
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        const k = n * M + m;
        const r2 = R.re[k] * R.re[k] + R.im[k] * R.im[k];
        const post = bgRowPosterior(r2, 1, lambda, phi, tau[m]);
        pi[k] = post.pi;
        vCol[m] += post.v;
        const g = post.pi * post.gain;
        Xn.re[k] = g * R.re[k];
        Xn.im[k] = g * R.im[k];
        piSum += post.pi;
        phiNum += post.pi * (post.gain * post.gain * r2 + post.gain * tau[m]);
      }
    }
    // EM updates of the prior (pooled over antennas)
    lambda = Math.min(0.999, Math.max(1e-6, piSum / (N * M)));
    if (piSum > 1e-12) phi = Math.max(phiNum / piSum, 1e-12);
    const Xold = X;
    for (let m = 0; m < M; m++) {
      const cNew = vCol[m] / N / tau[m];
      c[m] = damping > 0 ? (1 - damping) * cNew + damping * c[m] : cNew;
    }
    if (damping > 0) {
      for (let i = 0; i < Xn.re.length; i++) {
        Xn.re[i] = (1 - damping) * Xn.re[i] + damping * X.re[i];
        Xn.im[i] = (1 - damping) * Xn.im[i] + damping * X.im[i];
      }
    }
    X = Xn;
    cmatmul(S, X, SX);
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        const k = l * M + m;
        const on = (N / L) * c[m];
        Z.re[k] = Y.re[k] - SX.re[k] + on * Z.re[k];
        Z.im[k] = Y.im[k] - SX.im[k] + on * Z.im[k];
      }
    }
    const xn = cfrob2(X);
    if (it > 1 && diff2(X, Xold) <= tol * tol * xn) {
      converged = true;
      break;
    }
  }
  const score = new Float64Array(N);
  const lp = logit(lambda);
  for (let n = 0; n < N; n++) {
    let s = lp;
    for (let m = 0; m < M; m++) {
      const q = Math.min(Math.max(pi[n * M + m], 1e-300), 1 - 1e-16);
      s += logit(q) - lp;
    }
    score[n] = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  }
  return {
    X,
    score,
    scoreKind: 'probability',
    active: thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.probability),
    iterations: Math.min(it, maxIter),
    converged,
    lambda,
    phi,
  };
}

describe('emBgAmp (hoisted posterior terms) against the 0.1.0 implementation', () => {
  it('returns bit-identical estimates, scores, priors and iteration counts (N 100, L 6/12/20, M 8/32, 0/10 dB)', () => {
    const problems = regressionProblems('em-bg-amp-hoisted');
    expect(problems).toHaveLength(24);
    for (const p of problems) {
      const fast = emBgAmp(p, { lambda0: 0.05, maxIter: 40 });
      const ref = referenceEmBgAmp(p, { lambda0: 0.05, maxIter: 40 });
      expect(maxAbsDiffC(fast.X, ref.X)).toBe(0);
      expect(Array.from(fast.score)).toEqual(Array.from(ref.score));
      expect([fast.iterations, fast.lambda, fast.phi]).toEqual([ref.iterations, ref.lambda, ref.phi]);
    }
  });
});
