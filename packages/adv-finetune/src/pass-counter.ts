/**
 * `PassCounter`: compute accounting in forward+backward passes over single examples, the unit in which Jeddi et
 * al. (arXiv 2012.13628) state AFT's "8–10× less compute" and in which one PGD-K adversarial-training epoch costs
 * (K+1) natural epochs (K attack steps + 1 weight update per example).
 *
 * One pass = one example through one forward and one backward pass (w.r.t. the input for an attack step, w.r.t. the
 * weights for an update). Forward-only passes (choosing among restarts, computing TRADES' clean target, clean
 * accuracy) are counted apart, in `forwardOnly`, and are not part of the totals.
 *
 * Categories:
 * - `natural`: weight updates on clean examples (natural pre-training);
 * - `adversarialAttack`: attack steps that craft training examples;
 * - `adversarialUpdate`: weight updates in adversarial training (TRADES counts 2 per example: clean + adversarial);
 * - `evalAttack`: attack steps spent on evaluation (validation/test robustness), not training compute.
 *
 * `adversarial` = adversarialAttack + adversarialUpdate (the AT-only cost); `total` = natural + adversarial (the
 * training cost including pre-training). Both are reported because the paper does not say whether pre-training
 * is counted.
 */
import { InvalidArgumentError } from '@ft/core';
import { checkNonNegative } from '@ft/core/internal';

/** The categories a pass is booked under. */
export type PassKind = 'natural' | 'adversarialAttack' | 'adversarialUpdate' | 'evalAttack' | 'forwardOnly';

/** A plain-object copy of a counter's values. */
export interface PassCounts {
  natural: number;
  adversarialAttack: number;
  adversarialUpdate: number;
  evalAttack: number;
  forwardOnly: number;
  /** adversarialAttack + adversarialUpdate. */
  adversarial: number;
  /** natural + adversarial (training passes). */
  total: number;
}

const KINDS: readonly PassKind[] = ['natural', 'adversarialAttack', 'adversarialUpdate', 'evalAttack', 'forwardOnly'];

/** Counts forward+backward passes per category (see the file header for the unit and the categories). */
export class PassCounter {
  natural = 0;
  adversarialAttack = 0;
  adversarialUpdate = 0;
  evalAttack = 0;
  forwardOnly = 0;

  /**
   * Adds `examples × passesPerExample` passes to `kind`.
   * @param kind category.
   * @param examples number of examples (≥ 0).
   * @param passesPerExample passes each example took (default 1).
   */
  add(kind: PassKind, examples: number, passesPerExample = 1): void {
    if (!KINDS.includes(kind)) throw new InvalidArgumentError(`PassCounter.add: unknown kind '${String(kind)}'`);
    this[kind] += checkNonNegative(examples * passesPerExample, 'passes', 'PassCounter.add');
  }

  /** adversarialAttack + adversarialUpdate. */
  get adversarial(): number {
    return this.adversarialAttack + this.adversarialUpdate;
  }

  /** natural + adversarial. */
  get total(): number {
    return this.natural + this.adversarial;
  }

  /** Current values as a plain object (with the derived `adversarial` and `total`). */
  snapshot(): PassCounts {
    return {
      natural: this.natural,
      adversarialAttack: this.adversarialAttack,
      adversarialUpdate: this.adversarialUpdate,
      evalAttack: this.evalAttack,
      forwardOnly: this.forwardOnly,
      adversarial: this.adversarial,
      total: this.total,
    };
  }

  /** Restores values from `snapshot()` (used for checkpoint/resume). */
  restore(s: Partial<PassCounts>): void {
    for (const k of KINDS) this[k] = Number(s[k] ?? 0);
  }

  /** Sets every category to 0. */
  reset(): void {
    for (const k of KINDS) this[k] = 0;
  }
}
