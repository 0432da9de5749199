/**
 * A tiny seeded generator for test shapes and data (mulberry32). Tests in this package must not depend on @ft/core
 * (the backend imports tfjs only), so this stands in for core's `createRng`; like it, it is deterministic per seed.
 */
export interface TestRng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T;
  /** Float32Array of `n` uniforms in [lo, hi). */
  uniform(n: number, lo?: number, hi?: number): Float32Array;
  /** Float32Array of `n` standard normals scaled by `std`. */
  normal(n: number, std?: number): Float32Array;
}

/**
 * Creates a seeded generator.
 * @param seed 32-bit seed.
 */
export function testRng(seed: number): TestRng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    uniform: (n, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next()),
    normal: (n, std = 1) =>
      Float32Array.from({ length: n }, () => {
        const u = Math.max(next(), 1e-12);
        return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
      }),
  };
}
