/**
 * Seeded, serialisable pseudo-random numbers (xoshiro128**, 128-bit state), used for every shuffle, split,
 * augmentation and weight init in @ft so that the same seed gives the same numbers. The library never calls
 * `Math.random`.
 */
import { InvalidArgumentError } from './errors.js';

/** Serialisable RNG state, stored in checkpoints. */
export interface RngState {
  s: [number, number, number, number];
  /** Cached second Box-Muller normal, or null. */
  spare: number | null;
  /** The seed string this stream was created from (used by `fork`). */
  seed: string;
}

/** A seeded random number generator. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1) (Box-Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Shuffles `arr` in place (Fisher-Yates) and returns it. */
  shuffle<T>(arr: T[]): T[];
  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array;
  /** One element of `arr`, uniformly. */
  choice<T>(arr: readonly T[]): T;
  /** Gamma(k, 1) (Marsaglia-Tsang). */
  gamma(k: number): number;
  /** Beta(a, b) = X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number;
  /** Standard Gumbel: −log(−log U). */
  gumbel(): number;
  /**
   * An independent stream named `label`, derived from this stream's seed (not its position), so adding a new
   * consumer never shifts the numbers another consumer sees.
   */
  fork(label: string): Rng;
  /** A 31-bit integer seed for `tf.random*({ seed })`, drawn from this stream. */
  seedForTf(): number;
  /** Copy of the current state (for checkpoints). */
  getState(): RngState;
  /** Restores a state from `getState()`. */
  setState(state: RngState): void;
}

/** cyrb128 string hash → four 32-bit words. */
function hash128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  const out: [number, number, number, number] = [
    (h1 ^ h2 ^ h3 ^ h4) >>> 0,
    (h2 ^ h1) >>> 0,
    (h3 ^ h1) >>> 0,
    (h4 ^ h1) >>> 0,
  ];
  if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1;
  return out;
}

class Xoshiro128 implements Rng {
  private s: [number, number, number, number];
  private spare: number | null = null;
  private seed: string;

  constructor(seed: string) {
    this.seed = seed;
    this.s = hash128(seed);
    for (let i = 0; i < 8; i++) this.nextU32(); // decorrelate close seeds
  }

  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  uniform(): number {
    // 53-bit resolution from two draws.
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`rng.int(n): n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  choice<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new InvalidArgumentError('rng.choice: empty array');
    return arr[this.int(arr.length)];
  }

  gamma(k: number): number {
    if (!(k > 0)) throw new InvalidArgumentError(`rng.gamma(k): k must be > 0, got ${k}`);
    if (k < 1) return this.gamma(k + 1) * this.uniform() ** (1 / k);
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x ** 4) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  gumbel(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return -Math.log(-Math.log(u));
  }

  fork(label: string): Rng {
    return new Xoshiro128(`${this.seed}/${label}`);
  }

  seedForTf(): number {
    return this.nextU32() >>> 1;
  }

  getState(): RngState {
    return { s: [...this.s] as [number, number, number, number], spare: this.spare, seed: this.seed };
  }

  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new InvalidArgumentError('rng.setState: state must come from rng.getState()');
    }
    this.s = [...state.s] as [number, number, number, number];
    this.spare = state.spare;
    this.seed = state.seed;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a seeded RNG. The same seed always gives the same sequence on every platform.
 * @param seed a number or a string; numbers and their decimal strings give the same stream.
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new InvalidArgumentError(`createRng: seed must be finite, got ${seed}`);
  }
  return new Xoshiro128(String(seed));
}

/**
 * The seed string that names `rng`'s stream: `String(seed)` for `createRng(seed)`, `<name>/<label>` for
 * `fork(label)`. It does not depend on the stream's position. Passing it as the `seed` of a seeded builder
 * (`buildBackbone`, `replaceHead`, …) gives the numbers that builder gets from the seed the stream was created
 * with, so one `Rng` can carry a run's whole seed: initialisers take its name, other consumers take `fork(label)`.
 */
export function rngSeed(rng: Rng): string {
  return rng.getState().seed;
}

/** Restores an RNG from a saved state. */
export function rngFromState(state: RngState): Rng {
  const rng = new Xoshiro128(state.seed);
  rng.setState(state);
  return rng;
}
