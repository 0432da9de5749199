/**
 * The warm-up of a throughput child before its timed repetitions (run.mjs's worker; torch_bench.py has the same
 * loop): at least a few calls, and at least `--warmup-s` seconds, so that the timed repetitions see the steady state.
 * No imports, so that the worker children stay light.
 */

/**
 * Runs `fn` at least `minCalls` times and until `minSeconds` have passed.
 * @param {() => unknown | Promise<unknown>} fn one training step or inference call.
 * @param {number} minCalls calls to make whatever the time.
 * @param {number} minSeconds seconds to keep calling for (0: just the calls).
 * @param {() => number} [now] clock in ms (tests).
 * @returns {Promise<number>} the number of calls made.
 */
export async function warmUp(fn, minCalls, minSeconds, now = () => performance.now()) {
  const t0 = now();
  let calls = 0;
  while (calls < minCalls || now() - t0 < minSeconds * 1000) {
    await fn();
    calls++;
  }
  return calls;
}

/**
 * The `--warmup-s` flag's value in seconds, or `dflt` when it is absent.
 * @param {unknown} value the flag as parsed (string, number or undefined).
 * @param {number} dflt the default.
 * @returns {number} seconds, ≥ 0.
 */
export function warmupSeconds(value, dflt) {
  const v = Number(value ?? dflt);
  if (!(v >= 0)) throw new Error(`--warmup-s must be a number ≥ 0, got ${value}`);
  return v;
}
