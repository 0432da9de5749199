/**
 * Cooperative yielding for long training and evaluation loops.
 *
 * On the `cpu` and `ft-native` backends `await tensor.data()` resolves in a microtask, so a loop of `await`ed
 * steps never reaches the macrotask queue: timers, I/O callbacks and process signal handlers (SIGINT) would run
 * only when the loop ends or writes a file. Calling `yieldToEventLoop()` between steps lets them run, so an
 * `AbortSignal` aborted from a signal handler is seen after the current step.
 */
import { AbortedError, isFtError } from '../errors.js';

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
 * `yieldToEventLoop()`, then, when `signal` is aborted, throws: the signal's reason if it is a typed error
 * (`isFtError`, e.g. the CLI's `InterruptedError`), otherwise an `AbortedError` whose `cause` is the
 * reason (a plain `controller.abort()` gives a `DOMException`, which callers could not branch on by `code`).
 * The check point of loops that stop by throwing (evaluation, attacks, feature extraction).
 */
export async function yieldAndCheck(signal?: AbortSignal, what = 'operation'): Promise<void> {
  await yieldToEventLoop();
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  if (isFtError(reason)) throw reason;
  throw new AbortedError(`${what} aborted`, undefined, { cause: reason });
}
