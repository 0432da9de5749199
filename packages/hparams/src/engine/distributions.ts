/**
 * Parameter distributions with Optuna's semantics: a value has an external representation (what the objective
 * sees) and an internal one (a float the samplers work with: the value itself for numbers, the choice index for
 * categoricals). The JSON form ({ name, attributes }) is Optuna's `distribution_to_json`, so a journal storage can
 * store it as Optuna does.
 */
import { InvalidArgumentError } from '@ft/core';

/** A value a categorical parameter can take and a storage can hold (Optuna: None, bool, int, float, str). */
export type CategoricalChoice = null | boolean | number | string;
/** The external value of a parameter. */
export type ParamValue = CategoricalChoice;

/** Thrown when one parameter name is suggested with two incompatible distributions. */
export class DistributionConflictError extends InvalidArgumentError {}

function checkFinite(what: string, x: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new InvalidArgumentError(`${what} must be a finite number, got ${String(x)}`);
}

/** A float parameter in [low, high], optionally log-scaled or on the grid low + k·step (not both). */
export class FloatDistribution {
  readonly kind = 'float' as const;
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number | null;
  constructor(low: number, high: number, opts: { log?: boolean; step?: number | null } = {}) {
    checkFinite('FloatDistribution: low', low);
    checkFinite('FloatDistribution: high', high);
    const log = opts.log ?? false;
    const step = opts.step ?? null;
    if (log && step !== null) throw new InvalidArgumentError('FloatDistribution: step and log cannot be used together');
    if (low > high) throw new InvalidArgumentError(`FloatDistribution: low (${low}) must be <= high (${high})`);
    if (log && low <= 0) throw new InvalidArgumentError(`FloatDistribution: low must be > 0 with log, got ${low}`);
    if (step !== null) {
      checkFinite('FloatDistribution: step', step);
      if (step <= 0) throw new InvalidArgumentError(`FloatDistribution: step must be > 0, got ${step}`);
      high = adjustFloatHigh(low, high, step);
    }
    this.low = low;
    this.high = high;
    this.log = log;
    this.step = step;
  }
  toInternalRepr(value: ParamValue): number {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new InvalidArgumentError(`FloatDistribution: value must be a number, got ${String(value)}`);
    }
    return value;
  }
  toExternalRepr(internal: number): number {
    return internal;
  }
  contains(internal: number): boolean {
    if (!(internal >= this.low && internal <= this.high)) return false;
    if (this.step === null) return true;
    const k = (internal - this.low) / this.step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  single(): boolean {
    if (this.step === null) return this.low === this.high;
    return this.low === this.high || this.high - this.low < this.step;
  }
}

/** Optuna's high adjustment: the largest low + k·step ≤ high (within round-off of a decimal step). */
function adjustFloatHigh(low: number, high: number, step: number): number {
  const r = (high - low) / step;
  const k = Math.round(r);
  if (Math.abs(r - k) <= 1e-9 * Math.max(1, Math.abs(r))) return high;
  return low + Math.floor(r) * step;
}

/** An integer parameter in [low, high] on the grid low + k·step, optionally log-scaled (then step must be 1). */
export class IntDistribution {
  readonly kind = 'int' as const;
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
  constructor(low: number, high: number, opts: { log?: boolean; step?: number } = {}) {
    const log = opts.log ?? false;
    const step = opts.step ?? 1;
    for (const [n, v] of [
      ['low', low],
      ['high', high],
      ['step', step],
    ] as const) {
      if (!Number.isSafeInteger(v))
        throw new InvalidArgumentError(`IntDistribution: ${n} must be an integer, got ${String(v)}`);
    }
    if (log && step !== 1) throw new InvalidArgumentError('IntDistribution: step must be 1 with log');
    if (low > high) throw new InvalidArgumentError(`IntDistribution: low (${low}) must be <= high (${high})`);
    if (log && low < 1) throw new InvalidArgumentError(`IntDistribution: low must be >= 1 with log, got ${low}`);
    if (step <= 0) throw new InvalidArgumentError(`IntDistribution: step must be > 0, got ${step}`);
    this.low = low;
    this.high = low + Math.floor((high - low) / step) * step;
    this.log = log;
    this.step = step;
  }
  toInternalRepr(value: ParamValue): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new InvalidArgumentError(`IntDistribution: value must be an integer, got ${String(value)}`);
    }
    return value;
  }
  toExternalRepr(internal: number): number {
    return Math.round(internal);
  }
  contains(internal: number): boolean {
    if (!Number.isInteger(internal) || internal < this.low || internal > this.high) return false;
    return (internal - this.low) % this.step === 0;
  }
  single(): boolean {
    return this.low === this.high;
  }
}

function isStorableChoice(c: unknown): c is CategoricalChoice {
  return c === null || typeof c === 'boolean' || typeof c === 'number' || typeof c === 'string';
}

/** A categorical parameter; its internal representation is the index of the choice. */
export class CategoricalDistribution {
  readonly kind = 'categorical' as const;
  readonly choices: readonly CategoricalChoice[];
  constructor(choices: readonly CategoricalChoice[]) {
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new InvalidArgumentError('CategoricalDistribution: choices must be a non-empty array');
    }
    for (const c of choices) {
      if (!isStorableChoice(c)) {
        throw new InvalidArgumentError(
          `CategoricalDistribution: choice ${String(c)} (${typeof c}) cannot be stored; use null, boolean, number or string`,
        );
      }
    }
    this.choices = Object.freeze([...choices]);
  }
  toInternalRepr(value: ParamValue): number {
    const i = this.choices.findIndex((c) => Object.is(c, value) || c === value);
    if (i < 0) throw new InvalidArgumentError(`CategoricalDistribution: ${String(value)} is not one of the choices`);
    return i;
  }
  toExternalRepr(internal: number): CategoricalChoice {
    const i = Math.round(internal);
    if (i < 0 || i >= this.choices.length) {
      throw new InvalidArgumentError(`CategoricalDistribution: index ${internal} is out of range`);
    }
    return this.choices[i] as CategoricalChoice;
  }
  contains(internal: number): boolean {
    return Number.isInteger(internal) && internal >= 0 && internal < this.choices.length;
  }
  single(): boolean {
    return this.choices.length === 1;
  }
}

/** Any parameter distribution. */
export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/** Whether two distributions are identical (same kind and attributes). */
export function distributionsEqual(a: Distribution, b: Distribution): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'categorical') {
    const bc = (b as CategoricalDistribution).choices;
    return a.choices.length === bc.length && a.choices.every((c, i) => Object.is(c, bc[i]));
  }
  const o = b as FloatDistribution | IntDistribution;
  return a.low === o.low && a.high === o.high && a.log === o.log && a.step === o.step;
}

/**
 * Optuna's `check_distribution_compatibility`: one parameter name keeps its kind and log flag across trials, and a
 * categorical keeps its choices; numeric bounds and steps may change. Throws {@link DistributionConflictError}.
 */
export function checkDistributionCompatibility(name: string, old: Distribution, next: Distribution): void {
  if (old.kind !== next.kind) {
    throw new DistributionConflictError(
      `parameter '${name}': cannot change its distribution kind from ${old.kind} to ${next.kind}`,
      { name },
    );
  }
  if (old.kind !== 'categorical') {
    if (old.log !== (next as FloatDistribution | IntDistribution).log) {
      throw new DistributionConflictError(`parameter '${name}': cannot change its log setting`, { name });
    }
    return;
  }
  if (!distributionsEqual(old, next)) {
    throw new DistributionConflictError(
      `parameter '${name}': categorical choices cannot change (no dynamic value space)`,
      { name },
    );
  }
}

/** Optuna's JSON form of a distribution (`distribution_to_json`, as an object; the journal nests it as a string). */
export interface DistributionJson {
  name: 'FloatDistribution' | 'IntDistribution' | 'CategoricalDistribution';
  attributes: Record<string, unknown>;
}

/** The JSON object Optuna writes for `d`. */
export function distributionToJson(d: Distribution): DistributionJson {
  if (d.kind === 'float')
    return { name: 'FloatDistribution', attributes: { step: d.step, low: d.low, high: d.high, log: d.log } };
  if (d.kind === 'int')
    return { name: 'IntDistribution', attributes: { log: d.log, step: d.step, low: d.low, high: d.high } };
  return { name: 'CategoricalDistribution', attributes: { choices: [...d.choices] } };
}

/**
 * Reads Optuna's JSON form, including the deprecated names Optuna still reads (UniformDistribution,
 * LogUniformDistribution, DiscreteUniformDistribution, IntUniformDistribution, IntLogUniformDistribution).
 * Throws InvalidArgumentError for an unknown name.
 */
export function distributionFromJson(json: { name: string; attributes: Record<string, unknown> }): Distribution {
  const a = json?.attributes ?? {};
  const num = (k: string): number => a[k] as number;
  switch (json?.name) {
    case 'FloatDistribution':
      return new FloatDistribution(num('low'), num('high'), {
        log: Boolean(a.log),
        step: (a.step as number | null) ?? null,
      });
    case 'IntDistribution':
      return new IntDistribution(num('low'), num('high'), { log: Boolean(a.log), step: (a.step as number) ?? 1 });
    case 'CategoricalDistribution':
      return new CategoricalDistribution(a.choices as CategoricalChoice[]);
    case 'UniformDistribution':
      return new FloatDistribution(num('low'), num('high'));
    case 'LogUniformDistribution':
      return new FloatDistribution(num('low'), num('high'), { log: true });
    case 'DiscreteUniformDistribution':
      return new FloatDistribution(num('low'), num('high'), { step: num('q') });
    case 'IntUniformDistribution':
      return new IntDistribution(num('low'), num('high'), { step: (a.step as number) ?? 1 });
    case 'IntLogUniformDistribution':
      return new IntDistribution(num('low'), num('high'), { log: true });
    default:
      throw new InvalidArgumentError(`unknown distribution '${String(json?.name)}'`, { name: json?.name });
  }
}
