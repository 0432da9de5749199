import { describe, expect, it } from 'vitest';
import { AbortedError, InterruptedError } from '../errors.js';
import { yieldAndCheck, yieldToEventLoop } from './yield.js';

describe('yieldToEventLoop / yieldAndCheck', () => {
  it('lets macrotasks (signal handlers, timers) run before the loop continues; a microtask await does not', async () => {
    let fired = false;
    setImmediate(() => {
      fired = true;
    });
    await Promise.resolve();
    expect(fired).toBe(false);
    await yieldToEventLoop();
    expect(fired).toBe(true);
  });

  it('passes when the signal is not aborted, and sees an abort fired from a macrotask', async () => {
    const c = new AbortController();
    await expect(yieldAndCheck(c.signal)).resolves.toBeUndefined();
    await expect(yieldAndCheck(undefined)).resolves.toBeUndefined();
    setImmediate(() => c.abort(new InterruptedError('interrupted by SIGINT')));
    await expect(yieldAndCheck(c.signal)).rejects.toMatchObject({ code: 'INTERRUPTED' });
  });

  it('turns an untyped abort reason (plain controller.abort()) into AbortedError with the reason as cause', async () => {
    const c = new AbortController();
    c.abort();
    const err = await yieldAndCheck(c.signal, 'evaluate').catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.message).toBe('evaluate aborted');
    expect((err.cause as Error).name).toBe('AbortError');
  });
});
