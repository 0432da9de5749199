/**
 * Cooperative yielding for long training and evaluation loops.
 *
 * On the `cpu` and `ft-native` backends `await tensor.data()` resolves in a microtask, so a loop of `await`ed
 * steps never reaches the macrotask queue: timers, I/O callbacks and process signal handlers (SIGINT) would run
 * only when the loop ends or writes a file. Calling `yieldToEventLoop()` between steps lets them run, so an
 * `AbortSignal` aborted from a signal handler is seen after the current step.
 */

/**
 * Resolves on the macrotask queue (`setImmediate`), letting pending timers, I/O callbacks and signal handlers run.
 * Costs a few microseconds; loops call it once per step / batch before checking their `AbortSignal`.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

/**
 * `yieldToEventLoop()`, then `signal?.throwIfAborted()`: the check point of loops that throw the signal's reason
 * (evaluation, attacks, feature extraction).
 */
export async function yieldAndCheck(signal?: AbortSignal): Promise<void> {
  await yieldToEventLoop();
  signal?.throwIfAborted();
}
