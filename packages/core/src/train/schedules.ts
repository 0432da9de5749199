/**
 * Learning-rate (and loss-weight) schedules: pure functions `(step) => value` of the global 0-based optimizer step
 * t. Being pure, a schedule's position is just the step, which checkpoints store. `fit` calls the schedule before
 * every step and sets `optimizer.lr` to the result.
 *
 * Length-relative specs (end of file): a {@link ScheduleSpec} knows its shape in fractions of training and builds a
 * `Schedule` once the total number of optimizer steps T is known (`piecewiseDecay`, `cyclicLr`, `oneCycleLr`,
 * `constantLr`, `fixedSchedule`), so one spec serves runs of any length. Each is built from a step schedule above;
 * none re-implements one.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkNonNegative, checkPositiveInt } from '../validate.js';

/** A schedule: global 0-based step t ↦ learning rate (or loss weight). */
export type Schedule = (step: number) => number;

function check(cond: boolean, msg: string): void {
  if (!cond) throw new InvalidArgumentError(msg);
}
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** η(t) = lr. */
export function constant(lr: number): Schedule {
  check(finite(lr) && lr >= 0, `constant: lr must be >= 0, got ${lr}`);
  return () => lr;
}

/**
 * Multi-step decay (PyTorch `MultiStepLR`): η(t) = lr · γ^k, k = number of milestones ≤ t.
 * @param opts `{lr, milestones (steps, ascending), gamma = 0.1}`.
 */
export function multiStep(opts: { lr: number; milestones: number[]; gamma?: number }): Schedule {
  const { lr, milestones } = opts;
  const gamma = opts.gamma ?? 0.1;
  check(finite(lr) && lr >= 0, `multiStep: lr must be >= 0, got ${lr}`);
  check(finite(gamma) && gamma >= 0, `multiStep: gamma must be >= 0, got ${gamma}`);
  check(
    Array.isArray(milestones) && milestones.every((m, i) => finite(m) && (i === 0 || m > milestones[i - 1])),
    `multiStep: milestones must be strictly increasing numbers, got [${milestones}]`,
  );
  return (t) => {
    let k = 0;
    for (const m of milestones) if (t >= m) k++;
    return lr * gamma ** k;
  };
}

/**
 * Step decay (PyTorch `StepLR`): η(t) = lr · γ^⌊t / stepSize⌋.
 * @param opts `{lr, stepSize, gamma = 0.1}`.
 */
export function stepDecay(opts: { lr: number; stepSize: number; gamma?: number }): Schedule {
  const { lr, stepSize } = opts;
  const gamma = opts.gamma ?? 0.1;
  check(finite(lr) && lr >= 0, `stepDecay: lr must be >= 0, got ${lr}`);
  check(finite(stepSize) && stepSize > 0, `stepDecay: stepSize must be > 0, got ${stepSize}`);
  check(finite(gamma) && gamma >= 0, `stepDecay: gamma must be >= 0, got ${gamma}`);
  return (t) => lr * gamma ** Math.floor(t / stepSize);
}

/**
 * Cosine decay with a cycle count, as in the FixMatch / SSL-transfer code (`get_cosine_schedule_with_warmup`):
 * η(t) = minLr + (lr − minLr) · max(0, cos(π · cycles · t / T)).
 * `cycles = 0.5` decays to minLr at t = T (a quarter cosine period); `cycles = 7/16` (FixMatch) ends at
 * ≈0.2·lr, `cycles = 7.9/16` (SSL transfer, Abuduweili et al. 2021) at ≈0.02·lr. For t beyond the first zero of
 * the cosine the value stays at minLr. For PyTorch's `CosineAnnealingLR` shape use `cosineAnnealing`.
 * @param opts `{lr, T (total steps), cycles = 0.5, minLr = 0}`.
 */
export function cosine(opts: { lr: number; T: number; cycles?: number; minLr?: number }): Schedule {
  const { lr, T } = opts;
  const cycles = opts.cycles ?? 0.5;
  const minLr = opts.minLr ?? 0;
  check(finite(lr) && lr >= 0, `cosine: lr must be >= 0, got ${lr}`);
  check(finite(T) && T > 0, `cosine: T must be > 0, got ${T}`);
  check(finite(cycles) && cycles > 0, `cosine: cycles must be > 0, got ${cycles}`);
  check(finite(minLr) && minLr >= 0, `cosine: minLr must be >= 0, got ${minLr}`);
  return (t) => minLr + (lr - minLr) * Math.max(0, Math.cos(Math.min(Math.PI / 2, (Math.PI * cycles * t) / T)));
}

/**
 * Cosine annealing (Loshchilov & Hutter, ICLR 2017, SGDR without restarts; PyTorch `CosineAnnealingLR` closed
 * form): η(t) = minLr + (lr − minLr) · (1 + cos(π · min(t, T) / T)) / 2.
 * @param opts `{lr, T, minLr = 0}`.
 */
export function cosineAnnealing(opts: { lr: number; T: number; minLr?: number }): Schedule {
  const { lr, T } = opts;
  const minLr = opts.minLr ?? 0;
  check(finite(lr) && lr >= 0, `cosineAnnealing: lr must be >= 0, got ${lr}`);
  check(finite(T) && T > 0, `cosineAnnealing: T must be > 0, got ${T}`);
  check(finite(minLr) && minLr >= 0, `cosineAnnealing: minLr must be >= 0, got ${minLr}`);
  return (t) => minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(t, T)) / T))) / 2;
}

/**
 * Linear warm-up wrapper (Goyal et al. 2017, "Accurate, large minibatch SGD"): for t < W the value rises linearly
 * from `startFactor · base(W)` towards base(W), reaching it at t = W; from t = W on it is base(t). The base schedule
 * is not shifted, so the total length is unchanged and the curve is continuous at W.
 * η(t) = base(W) · (s + (1 − s) · t / W) for t < W, base(t) otherwise.
 * @param base the schedule after warm-up.
 * @param opts `{warmupSteps W, startFactor s = 0}` (s = 0 gives η(0) = 0, as HuggingFace/FixMatch warm-up).
 */
export function linearWarmup(base: Schedule, opts: { warmupSteps: number; startFactor?: number }): Schedule {
  const W = opts.warmupSteps;
  const s = opts.startFactor ?? 0;
  check(typeof base === 'function', 'linearWarmup: base must be a schedule function');
  check(finite(W) && W >= 0, `linearWarmup: warmupSteps must be >= 0, got ${W}`);
  check(finite(s) && s >= 0 && s <= 1, `linearWarmup: startFactor must be in [0, 1], got ${s}`);
  if (W === 0) return base;
  return (t) => (t < W ? base(W) * (s + ((1 - s) * t) / W) : base(t));
}

/**
 * Piecewise-linear interpolation through `points` = [[step, lr], ...] (NumPy `interp` semantics: constant before the
 * first and after the last point). This is the locuslab/fast_adversarial schedule form.
 * @param points at least one point, steps strictly increasing.
 */
export function piecewiseLinear(points: Array<[number, number]>): Schedule {
  check(Array.isArray(points) && points.length > 0, 'piecewiseLinear: points must be a non-empty [[step, lr], ...]');
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    check(
      Array.isArray(p) && p.length === 2 && finite(p[0]) && finite(p[1]),
      `piecewiseLinear: points[${i}] must be [step, lr], got ${JSON.stringify(p)}`,
    );
    check(i === 0 || p[0] > points[i - 1][0], `piecewiseLinear: steps must be strictly increasing at points[${i}]`);
  }
  const pts = points.map(([a, b]) => [a, b] as [number, number]);
  return (t) => {
    if (t <= pts[0][0]) return pts[0][1];
    const last = pts[pts.length - 1];
    if (t >= last[0]) return last[1];
    let i = 1;
    while (pts[i][0] < t) i++;
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    return y0 + ((y1 - y0) * (t - x0)) / (x1 - x0);
  };
}

/**
 * One-cycle / super-convergence schedule (Smith & Topin 2018), linear form of locuslab/fast_adversarial:
 * `interp(t, [0, peakAt·T, T], [startLr, peakLr, endLr])`, endLr after T.
 * @param opts `{peakLr, T, peakAt = 0.4, startLr = 0, endLr = 0}`.
 */
export function oneCycle(opts: {
  peakLr: number;
  T: number;
  peakAt?: number;
  startLr?: number;
  endLr?: number;
}): Schedule {
  const { peakLr, T } = opts;
  const peakAt = opts.peakAt ?? 0.4;
  check(finite(peakLr) && peakLr >= 0, `oneCycle: peakLr must be >= 0, got ${peakLr}`);
  check(finite(T) && T > 0, `oneCycle: T must be > 0, got ${T}`);
  check(finite(peakAt) && peakAt > 0 && peakAt < 1, `oneCycle: peakAt must be in (0, 1), got ${peakAt}`);
  return piecewiseLinear([
    [0, opts.startLr ?? 0],
    [peakAt * T, peakLr],
    [T, opts.endLr ?? 0],
  ]);
}

/**
 * Triangular cyclical learning rate (Smith, WACV 2017, CLR "triangular"):
 * c = ⌊1 + t/(2h)⌋, x = |t/h − 2c + 1|, η(t) = baseLr + (peakLr − baseLr) · max(0, 1 − x), h = half-cycle.
 * Give `stepSize` (= h) for repeating cycles, or `T` for one triangle over T steps (h = T/2, then baseLr after T),
 * which is Wong et al.'s "cyclic" schedule (ICLR 2020, fast adversarial training).
 * @param opts `{peakLr, baseLr = 0, stepSize? | T?}`.
 */
export function cyclicTriangular(opts: { peakLr: number; baseLr?: number; stepSize?: number; T?: number }): Schedule {
  const { peakLr, T } = opts;
  const baseLr = opts.baseLr ?? 0;
  check(finite(peakLr) && peakLr >= 0, `cyclicTriangular: peakLr must be >= 0, got ${peakLr}`);
  check(finite(baseLr) && baseLr >= 0, `cyclicTriangular: baseLr must be >= 0, got ${baseLr}`);
  check(
    (opts.stepSize != null) !== (T != null),
    'cyclicTriangular: give exactly one of stepSize (half-cycle) or T (single cycle)',
  );
  const h = opts.stepSize ?? (T as number) / 2;
  check(finite(h) && h > 0, `cyclicTriangular: stepSize/T must be > 0, got ${opts.stepSize ?? T}`);
  return (t) => {
    if (T != null && t >= T) return baseLr;
    const c = Math.floor(1 + t / (2 * h));
    const x = Math.abs(t / h - 2 * c + 1);
    return baseLr + (peakLr - baseLr) * Math.max(0, 1 - x);
  };
}

/**
 * Exponential decay: η(t) = lr · γ^(t / decaySteps) (PyTorch `ExponentialLR` for decaySteps = 1), or
 * lr · γ^⌊t / decaySteps⌋ with `staircase`.
 * @param opts `{lr, gamma, decaySteps = 1, staircase = false}`.
 */
export function exponential(opts: { lr: number; gamma: number; decaySteps?: number; staircase?: boolean }): Schedule {
  const { lr, gamma } = opts;
  const k = opts.decaySteps ?? 1;
  check(finite(lr) && lr >= 0, `exponential: lr must be >= 0, got ${lr}`);
  check(finite(gamma) && gamma > 0, `exponential: gamma must be > 0, got ${gamma}`);
  check(finite(k) && k > 0, `exponential: decaySteps must be > 0, got ${k}`);
  return opts.staircase ? (t) => lr * gamma ** Math.floor(t / k) : (t) => lr * gamma ** (t / k);
}

/**
 * Linear ramp for loss weights (e.g. the unlabelled-loss weight warm-up of SSL methods):
 * w(t) = from + (to − from) · min(1, t / iters); w = to for iters = 0.
 * @param iters ramp length in steps.
 * @param opts `{from = 0, to = 1}`.
 */
export function linearRamp(iters: number, opts: { from?: number; to?: number } = {}): Schedule {
  const from = opts.from ?? 0;
  const to = opts.to ?? 1;
  check(finite(iters) && iters >= 0, `linearRamp: iters must be >= 0, got ${iters}`);
  check(finite(from) && finite(to), `linearRamp: from/to must be finite, got ${from}, ${to}`);
  if (iters === 0) return () => to;
  return (t) => from + (to - from) * Math.min(1, Math.max(0, t) / iters);
}

// ---- length-relative specs ----

/** A schedule shape defined relative to the training length; `build(T)` gives the per-step schedule. */
export interface ScheduleSpec {
  /** Short name for tables, e.g. `'cyclic'` or `'piecewise(÷10 at 50%, 75%)'`. */
  readonly name: string;
  /** The schedule for T optimizer steps (t = 0..T−1). */
  build(totalSteps: number): Schedule;
}

/** Options of {@link piecewiseDecay}. */
export interface PiecewiseDecayOptions {
  /** Initial (peak) learning rate η_max. */
  peakLr: number;
  /** Milestones as increasing fractions of training in (0, 1). [[0.5, 0.75]] */
  milestones?: readonly number[];
  /** Factor applied at each milestone. [0.1] */
  gamma?: number;
}

/**
 * Piecewise constant decay (Madry et al., ICLR 2018; Rice, Wong, Kolter, ICML 2020): η_max, ÷10 at 50 % and ÷100
 * at 75 % of training ({@link multiStep} with milestones ⌊0.5T⌋, ⌊0.75T⌋; milestones that coincide on very short
 * runs are merged, each at least step 1).
 * @param opts `{peakLr, milestones = [0.5, 0.75] (fractions), gamma = 0.1}`.
 * @throws InvalidArgumentError for a negative peakLr or milestones that are not increasing fractions in (0, 1).
 */
export function piecewiseDecay(opts: PiecewiseDecayOptions): ScheduleSpec {
  const where = 'piecewiseDecay';
  const peak = checkNonNegative(opts.peakLr, 'peakLr', where);
  const fr = opts.milestones ?? [0.5, 0.75];
  if (!fr.every((f, i) => f > 0 && f < 1 && (i === 0 || f > fr[i - 1]))) {
    throw new InvalidArgumentError(`${where}: milestones must be increasing fractions in (0, 1), got [${fr}]`);
  }
  const gamma = opts.gamma ?? 0.1;
  return {
    name: `piecewise(÷${Math.round(1 / gamma)} at ${fr.map((f) => `${Math.round(f * 100)}%`).join(', ')})`,
    build(T: number): Schedule {
      checkPositiveInt(T, 'totalSteps', where);
      const ms = fr.map((f) => Math.max(1, Math.floor(f * T)));
      const uniq = ms.filter((m, i) => i === 0 || m > ms[i - 1]);
      return multiStep({ lr: peak, milestones: uniq, gamma });
    },
  };
}

/**
 * Wong et al.'s cyclic schedule (ICLR 2020, "Fast is better than free"): one triangle, 0 → η_max at T/2 → 0 at T
 * ({@link cyclicTriangular} with T).
 * @param opts `{peakLr}`.
 */
export function cyclicLr(opts: { peakLr: number }): ScheduleSpec {
  const peak = checkNonNegative(opts.peakLr, 'peakLr', 'cyclicLr');
  return {
    name: 'cyclic',
    build: (T: number) => cyclicTriangular({ peakLr: peak, T: checkPositiveInt(T, 'totalSteps', 'cyclicLr') }),
  };
}

/**
 * One-cycle / super-convergence (Smith & Topin 2018; the `superconverge` schedule of locuslab/robust_overfitting):
 * linear 0 → η_max at `peakAt`·T, then linear → 0 at T ({@link oneCycle} with T).
 * @param opts `{peakLr, peakAt = 0.4}`.
 */
export function oneCycleLr(opts: { peakLr: number; peakAt?: number }): ScheduleSpec {
  const peak = checkNonNegative(opts.peakLr, 'peakLr', 'oneCycleLr');
  const peakAt = opts.peakAt ?? 0.4;
  if (!(peakAt > 0 && peakAt < 1)) {
    throw new InvalidArgumentError(`oneCycleLr: peakAt must be in (0, 1), got ${peakAt}`);
  }
  return {
    name: `one-cycle(peak at ${Math.round(peakAt * 100)}%)`,
    build: (T: number) => oneCycle({ peakLr: peak, T: checkPositiveInt(T, 'totalSteps', 'oneCycleLr'), peakAt }),
  };
}

/** Constant learning rate as a spec ({@link constant}; `build(T)` checks T). */
export function constantLr(lr: number): ScheduleSpec {
  const v = checkNonNegative(lr, 'lr', 'constantLr');
  return {
    name: 'constant',
    build: (T: number) => {
      checkPositiveInt(T, 'totalSteps', 'constantLr');
      return constant(v);
    },
  };
}

/** A plain per-step schedule wrapped as a spec (ignores T). */
export function fixedSchedule(schedule: Schedule, name = 'custom'): ScheduleSpec {
  if (typeof schedule !== 'function') throw new InvalidArgumentError('fixedSchedule: schedule must be a function');
  return { name, build: () => schedule };
}

/**
 * The learning rate at `points` evenly spaced steps of a T-step run, for plots: `[{x: t/T, y: lr}]`.
 * @param spec the schedule; @param T total steps; @param points samples (default min(T, 200)).
 */
export function scheduleCurve(spec: ScheduleSpec, T: number, points = Math.min(T, 200)): { x: number; y: number }[] {
  const s = spec.build(T);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < points; i++) {
    const t = Math.round((i * (T - 1)) / Math.max(1, points - 1));
    out.push({ x: t / T, y: s(t) });
  }
  return out;
}
