/**
 * Output-buffer pool for native kernels: size-keyed free lists of Float32Arrays, reference-counted per
 * ArrayBuffer.
 *
 * Why: allocating a fresh 8 MB Float32Array and touching it the first time costs 1.8–3.4 ms (page faults and
 * zeroing) against ~0.01 ms for a reused one; without a pool that cost dominates the native elementwise kernels
 * (perf.md, tier T3: 1.3–2× on ResNets; a cap of 16 buffers per size left a third of the gain).
 *
 * Hazards handled here (perf.md "Pool hazards"):
 * - tfjs-backend-cpu's `Slice` (and `Real`, `Imag`, ...) returns a *view* of its input's buffer under a new
 *   dataId, so the pool counts references per ArrayBuffer (every dataId whose values live in it), not per dataId:
 *   a buffer returns to its free list only when the last view is disposed.
 * - Only arrays the pool itself allocated are ever recycled; arrays passed in by users (`tf.tensor(myArray)`)
 *   are never touched.
 * - Pooled memory is UNINITIALISED: every native kernel writes its whole output.
 * - The backend's `readSync` / `dataSync()` return a copy of pooled values (the live array would be overwritten
 *   after the tensor is disposed and its buffer reused).
 */

import { totalmem } from 'node:os';

/** Pool statistics. */
export interface PoolStats {
  /** Allocations served from a free list. */
  hits: number;
  /** Allocations that created a new buffer. */
  misses: number;
  /** Buffers returned to a free list. */
  recycled: number;
  /** Buffers dropped because their free list (or the pool's byte budget) was full. */
  dropped: number;
  /** Bytes held in free lists (not in use by any tensor). */
  bytesHeld: number;
  /** Buffers held in free lists. */
  buffersHeld: number;
  /** Pool-allocated buffers currently referenced by tensors. */
  buffersLive: number;
  /** Bytes of pool-allocated buffers currently referenced by tensors. */
  bytesLive: number;
}

/** Options of {@link BufferPool}. */
export interface BufferPoolOptions {
  /** Most free buffers kept per element count (default 1024; 16 loses a third of the speed-up, perf.md T3). */
  capPerSize?: number;
  /** Arrays shorter than this are not pooled (default 64 elements: small arrays are cheap to allocate). */
  minElements?: number;
  /**
   * Most bytes kept in free lists in total (default: a quarter of the machine's memory, at most 4 GiB); a buffer
   * released beyond it is dropped for the garbage collector. Bounds the pool after a run with many tensor sizes
   * (e.g. an evaluation at another batch size) without affecting a steady training loop.
   */
  maxBytesHeld?: number;
}

/** Default {@link BufferPoolOptions.maxBytesHeld}: a quarter of total memory, capped at 4 GiB. */
export function defaultMaxBytesHeld(totalMemBytes: number): number {
  return Math.min(4 * 2 ** 30, Math.floor(totalMemBytes / 4));
}

interface Entry {
  /** The whole buffer as a Float32Array (what is handed out again). */
  full: Float32Array;
  /** Number of dataIds whose values are a view of this buffer. */
  refs: number;
  /** True while it sits in a free list. */
  free: boolean;
}

/** A pool of Float32Array output buffers, reference-counted per ArrayBuffer. */
export class BufferPool {
  private readonly capPerSize: number;
  private readonly minElements: number;
  private readonly maxBytesHeld: number;
  private readonly freeLists = new Map<number, Float32Array[]>();
  // Weak: a buffer allocated but never adopted by a tensor (a kernel that threw) is simply garbage-collected.
  private readonly entries = new WeakMap<ArrayBufferLike, Entry>();
  private readonly stats = { hits: 0, misses: 0, recycled: 0, dropped: 0, bytesHeld: 0, buffersHeld: 0 };
  private live = 0;
  private liveBytes = 0;
  /**
   * Called with a pool-allocated ArrayBuffer when its contents stop being a tensor's values: its last reference
   * was released, or it is handed out again. The backend drops its bf16 copy then (see `NativeBackend.bf16`).
   */
  onContentsEnd: ((buffer: ArrayBufferLike) => void) | null = null;

  constructor(opts: BufferPoolOptions = {}) {
    this.capPerSize = opts.capPerSize ?? 1024;
    this.minElements = opts.minElements ?? 64;
    this.maxBytesHeld = opts.maxBytesHeld ?? defaultMaxBytesHeld(totalmem());
  }

  /**
   * A Float32Array of exactly `n` elements with UNSPECIFIED contents (a recycled buffer when one is free).
   * @param n element count.
   */
  alloc(n: number): Float32Array {
    if (n < this.minElements) return new Float32Array(n);
    const list = this.freeLists.get(n);
    const arr = list?.pop();
    if (arr) {
      const e = this.entries.get(arr.buffer);
      if (e) e.free = false;
      this.onContentsEnd?.(arr.buffer);
      this.stats.hits++;
      this.stats.bytesHeld -= arr.byteLength;
      this.stats.buffersHeld--;
      return arr;
    }
    this.stats.misses++;
    const fresh = new Float32Array(n);
    this.entries.set(fresh.buffer, { full: fresh, refs: 0, free: false });
    return fresh;
  }

  /** True when `values` is (a view of) a pool-allocated buffer. */
  isPooled(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.entries.has((values as ArrayBufferView).buffer);
  }

  /**
   * Records that one more dataId holds (a view of) `values`. Called by the backend's `write`/`move`.
   * @param values the stored values; ignored unless pool-allocated.
   */
  retain(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const e = this.entries.get(values.buffer);
    if (!e) return;
    if (e.refs === 0) {
      this.live++;
      this.liveBytes += e.full.byteLength;
    }
    e.refs++;
  }

  /**
   * Records that a dataId holding (a view of) `values` was deleted; the buffer goes back to its free list when no
   * dataId references it any more.
   * @param values the values of the deleted dataId.
   */
  release(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const e = this.entries.get(values.buffer);
    if (!e || e.refs <= 0) return;
    e.refs--;
    if (e.refs === 0) {
      this.onContentsEnd?.(values.buffer);
      this.live--;
      this.liveBytes -= e.full.byteLength;
      this.putBack(e);
    }
  }

  /**
   * Returns a buffer that no tensor ever adopted (a kernel's temporary) to the pool.
   * @param arr an array obtained from {@link alloc} and not passed to `makeTensorInfo`.
   */
  free(arr: Float32Array): void {
    const e = this.entries.get(arr.buffer);
    if (e === undefined || e.refs !== 0 || e.free) return;
    this.putBack(e);
  }

  private putBack(e: Entry): void {
    const n = e.full.length;
    let list = this.freeLists.get(n);
    if (!list) {
      list = [];
      this.freeLists.set(n, list);
    }
    if (list.length >= this.capPerSize || this.stats.bytesHeld + e.full.byteLength > this.maxBytesHeld) {
      this.stats.dropped++;
      this.entries.delete(e.full.buffer);
      return;
    }
    e.free = true;
    list.push(e.full);
    this.stats.recycled++;
    this.stats.bytesHeld += e.full.byteLength;
    this.stats.buffersHeld++;
  }

  /**
   * Drops every free buffer (they become garbage); buffers in use are unaffected.
   * @returns bytes released to the garbage collector.
   */
  trim(): number {
    const released = this.stats.bytesHeld;
    for (const list of this.freeLists.values()) {
      for (const arr of list) this.entries.delete(arr.buffer);
    }
    this.freeLists.clear();
    this.stats.bytesHeld = 0;
    this.stats.buffersHeld = 0;
    return released;
  }

  /** Current counters. */
  getStats(): PoolStats {
    return { ...this.stats, buffersLive: this.live, bytesLive: this.liveBytes };
  }
}
