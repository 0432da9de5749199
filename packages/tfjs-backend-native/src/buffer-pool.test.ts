import { describe, expect, it } from 'vitest';
import { BufferPool, defaultMaxBytesHeld } from './buffer-pool.js';

describe('BufferPool', () => {
  it('recycles a buffer only after the last view of its ArrayBuffer is released', () => {
    const pool = new BufferPool({ minElements: 1 });
    const a = pool.alloc(100);
    pool.retain(a); // the tensor that owns it
    const view = a.subarray(10, 20);
    pool.retain(view); // a Slice of it under another dataId
    pool.release(a);
    expect(pool.getStats().buffersHeld).toBe(0);
    expect(pool.alloc(100)).not.toBe(a); // still referenced by the view
    pool.release(view);
    expect(pool.getStats().buffersHeld).toBe(1);
    expect(pool.alloc(100)).toBe(a);
    expect(pool.getStats()).toMatchObject({ hits: 1, misses: 2, recycled: 1 });
  });

  it('never recycles arrays it did not allocate, nor small ones', () => {
    const pool = new BufferPool({ minElements: 64 });
    const user = new Float32Array(100);
    pool.retain(user);
    pool.release(user);
    expect(pool.isPooled(user)).toBe(false);
    expect(pool.getStats().buffersHeld).toBe(0);
    const small = pool.alloc(10);
    expect(pool.isPooled(small)).toBe(false);
  });

  it('keys free lists by element count and caps them', () => {
    const pool = new BufferPool({ minElements: 1, capPerSize: 2 });
    const bufs = [pool.alloc(8), pool.alloc(8), pool.alloc(8), pool.alloc(16)];
    for (const b of bufs) pool.free(b);
    const s = pool.getStats();
    expect(s.buffersHeld).toBe(3);
    expect(s.dropped).toBe(1);
    expect(s.bytesHeld).toBe(2 * 8 * 4 + 16 * 4);
    expect(pool.alloc(16).length).toBe(16);
    expect(pool.alloc(8).length).toBe(8);
  });

  it('free() ignores buffers still referenced; trim() drops every free buffer', () => {
    const pool = new BufferPool({ minElements: 1 });
    const a = pool.alloc(32);
    pool.retain(a);
    pool.free(a);
    expect(pool.getStats().buffersHeld).toBe(0);
    expect(pool.getStats()).toMatchObject({ buffersLive: 1, bytesLive: 128 });
    pool.release(a);
    expect(pool.getStats()).toMatchObject({ buffersHeld: 1, buffersLive: 0, bytesLive: 0 });
    expect(pool.trim()).toBe(128);
    expect(pool.getStats()).toMatchObject({ buffersHeld: 0, bytesHeld: 0 });
    expect(pool.alloc(32)).not.toBe(a);
  });

  it('holds at most maxBytesHeld bytes in free lists, dropping the rest', () => {
    const pool = new BufferPool({ minElements: 1, maxBytesHeld: 1000 }); // room for two 400-byte buffers
    const bufs = [pool.alloc(100), pool.alloc(100), pool.alloc(100)];
    for (const b of bufs) pool.retain(b);
    for (const b of bufs) pool.release(b);
    expect(pool.getStats()).toMatchObject({ buffersHeld: 2, bytesHeld: 800, dropped: 1, buffersLive: 0 });
    expect(pool.isPooled(bufs[2])).toBe(false); // forgotten: never handed out again
  });

  it('defaults the byte budget to a quarter of memory, at most 4 GiB', () => {
    expect(defaultMaxBytesHeld(8 * 2 ** 30)).toBe(2 * 2 ** 30);
    expect(defaultMaxBytesHeld(64 * 2 ** 30)).toBe(4 * 2 ** 30);
  });
});
