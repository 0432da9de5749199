/**
 * The warm-up of a throughput child before its timed repetitions (run.mjs's worker; torch_bench.py has the same
 * loop): at least a few calls, and at least `--warmup-s` seconds, so that the timed repetitions see the steady state;
 * its default, its flag, and how the pages word it. No imports, so that the worker children stay light.
 */

/**
 * Seconds each throughput child (run.mjs's ft-native worker, torch_bench.py) trains, then infers, before timing. A
 * fresh process runs its first seconds 10–30 % slower (V8 or PyTorch still warming up beside the two compute
 * threads; measured on ResNet-20, batch 128: ft-native bf16 730–790 images/s in the first 3-step repetition,
 * 950–1,030 from about the fifth; fp32 580 → 630–650), so the default measures the steady state.
 */
export const DEFAULT_WARMUP_S = 3;

/**
 * A benchmark child's warm-up before its timed repetitions, in words (run.mjs and torch_bench.py `--warmup-s`;
 * results from before that flag had 2 training steps and 1 inference step).
 * @param {number | undefined} seconds the `--warmup-s` of the run.
 */
export function warmupText(seconds) {
  if (!seconds) return 'a warm-up of 2 training steps and 1 inference step';
  return `a warm-up of at least ${seconds} s of training and ${seconds} s of inference (the first seconds of a process run 10–30 % slower)`;
}

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
