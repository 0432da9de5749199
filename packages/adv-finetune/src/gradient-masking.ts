/**
 * Sanity checks against gradient masking / obfuscated gradients (Athalye, Carlini, Wagner, ICML 2018, "Obfuscated
 * Gradients Give a False Sense of Security", §3.1 and Table "characteristic behaviours"; Carlini et al. 2019, "On
 * Evaluating Adversarial Robustness", §5): a defence evaluated with a working gradient attack must show
 *   1. robust accuracy at ε = 0 equal to clean accuracy;
 *   2. robust accuracy non-increasing as ε grows (and as PGD steps grow);
 *   3. robust accuracy ≈ 0 at a very large ε (ε = 1 in L∞ lets the attacker draw any image);
 *   4. iterative attacks at least as strong as single-step ones: PGD accuracy ≤ FGSM accuracy ≤ clean accuracy.
 * A failed check does not prove masking, but a robustness number with a failed check should not be trusted.
 * All checks use the same examples (the first `n`), BN in inference mode, and PGD with a random start.
 */
import { createRng, InvalidArgumentError, type Rng, type Trainable } from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';
import type { BaseAttackOptions } from './attack.js';
import { attackAccuracy, type RobustnessData } from './attack-accuracy.js';
import { FGSM } from './fgsm.js';
import type { PassCounter } from './pass-counter.js';
import { PGD } from './pgd.js';

/** Options of {@link gradientMaskingChecks} (defaults in brackets). */
export interface GradientMaskingOptions {
  /** The threat model's L∞ budget. */
  eps: number;
  /** ε grid for the monotonicity check. [0, ε/2, ε, 2ε] */
  epsGrid?: readonly number[];
  /** "Very large" ε. [1] */
  largeEps?: number;
  /** Highest accuracy accepted at the large ε. [0.05] */
  largeEpsMaxAccuracy?: number;
  /** PGD steps (α = 2.5·ε/steps, Madry's rule, so the whole ball is reachable). [20] */
  steps?: number;
  /** Slack for the monotonicity and PGD ≤ FGSM checks (as an accuracy). [max(0.01, 1/n)] */
  tolerance?: number;
  /** Number of examples (the first n). [min(200, size)] */
  n?: number;
  batchSize?: number;
  rng?: Rng;
  counter?: PassCounter;
  signal?: AbortSignal;
  /** Options passed to every attack (e.g. `output`). */
  attackOptions?: BaseAttackOptions;
}

/** One check's outcome. */
export interface SanityCheck {
  name: string;
  passed: boolean;
  detail: string;
}

/** Result of {@link gradientMaskingChecks}. */
export interface GradientMaskingReport {
  /** True when every check passed. */
  passed: boolean;
  checks: SanityCheck[];
  /** PGD accuracy against ε (the grid, then the large ε). */
  curve: { eps: number; accuracy: number }[];
  clean: number;
  fgsm: number;
  pgd: number;
  /** PGD accuracy with a quarter of the steps (steps check). */
  pgdFewSteps: number;
  n: number;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/**
 * Runs the gradient-masking sanity checks listed in the file header on the first `n` examples of `data`.
 * @returns every check with a human-readable detail, the ε curve and the accuracies used.
 */
export async function gradientMaskingChecks(
  model: Trainable,
  data: RobustnessData,
  opts: GradientMaskingOptions,
): Promise<GradientMaskingReport> {
  const eps = checkNonNegative(opts.eps, 'eps', 'gradientMaskingChecks', { positive: true });
  const grid = [...(opts.epsGrid ?? [0, eps / 2, eps, 2 * eps])];
  grid.forEach((e, i) => {
    checkNonNegative(e, `epsGrid[${i}]`, 'gradientMaskingChecks');
    if (i > 0 && e <= grid[i - 1]) throw new InvalidArgumentError('gradientMaskingChecks: epsGrid must increase');
  });
  const largeEps = checkNonNegative(opts.largeEps ?? 1, 'largeEps', 'gradientMaskingChecks', { positive: true });
  const maxAcc = opts.largeEpsMaxAccuracy ?? 0.05;
  const steps = checkPositiveInt(opts.steps ?? 20, 'steps', 'gradientMaskingChecks');
  const rng = opts.rng ?? createRng(0);
  const base = {
    batchSize: opts.batchSize ?? 256,
    limit: opts.n ?? 200,
    ...(opts.counter ? { counter: opts.counter } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const ao = opts.attackOptions ?? {};
  const pgd = (e: number, k = steps) => new PGD(model, { ...ao, eps: e, alpha: (2.5 * e) / k, steps: k });

  const curve: { eps: number; accuracy: number }[] = [];
  const allEps = [...grid, largeEps];
  const byEps = await attackAccuracy(model, data, {
    ...base,
    attacks: allEps.map((e) => pgd(e)),
    rng: rng.fork('eps-curve'),
  });
  Object.values(byEps.perAttack).forEach((acc, i) => {
    curve.push({ eps: allEps[i], accuracy: acc });
  });
  const n = byEps.n;
  const tol = opts.tolerance ?? Math.max(0.01, 1 / n);
  const clean = byEps.clean;
  const rest = await attackAccuracy(model, data, {
    ...base,
    attacks: [new FGSM(model, { ...ao, eps }), pgd(eps), pgd(eps, Math.max(1, Math.floor(steps / 4)))],
    rng: rng.fork('fgsm-pgd'),
  });
  const [fgsm, pgdAcc, pgdFew] = Object.values(rest.perAttack);

  const checks: SanityCheck[] = [];
  const zero = curve.find((c) => c.eps === 0);
  if (zero) {
    checks.push({
      name: 'ε = 0 gives clean accuracy',
      passed: Math.abs(zero.accuracy - clean) < 1e-12,
      detail: `PGD at ε = 0: ${pct(zero.accuracy)}, clean ${pct(clean)}`,
    });
  }
  const gridCurve = curve.slice(0, grid.length);
  const rises = gridCurve.filter((c, i) => i > 0 && c.accuracy > gridCurve[i - 1].accuracy + tol);
  checks.push({
    name: 'robust accuracy non-increasing in ε',
    passed: rises.length === 0,
    detail: gridCurve.map((c) => `ε=${+c.eps.toPrecision(3)}: ${pct(c.accuracy)}`).join(', '),
  });
  const large = curve[curve.length - 1].accuracy;
  checks.push({
    name: `accuracy ≈ 0 at ε = ${largeEps}`,
    passed: large <= maxAcc,
    detail: `PGD-${steps} at ε = ${largeEps}: ${pct(large)} (threshold ${pct(maxAcc)})`,
  });
  checks.push({
    name: 'PGD accuracy ≤ FGSM accuracy',
    passed: pgdAcc <= fgsm + tol,
    detail: `PGD-${steps} ${pct(pgdAcc)}, FGSM ${pct(fgsm)} (ε = ${eps})`,
  });
  checks.push({
    name: 'FGSM accuracy ≤ clean accuracy',
    passed: fgsm <= clean,
    detail: `FGSM ${pct(fgsm)}, clean ${pct(clean)}`,
  });
  checks.push({
    name: 'robust accuracy non-increasing in PGD steps',
    passed: pgdAcc <= pgdFew + tol,
    detail: `PGD-${Math.max(1, Math.floor(steps / 4))} ${pct(pgdFew)}, PGD-${steps} ${pct(pgdAcc)}`,
  });
  return {
    passed: checks.every((c) => c.passed),
    checks,
    curve,
    clean,
    fgsm,
    pgd: pgdAcc,
    pgdFewSteps: pgdFew,
    n,
  };
}
