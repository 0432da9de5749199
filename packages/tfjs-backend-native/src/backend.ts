/**
 * The `ft-native` tfjs backend: tfjs-backend-cpu's `MathBackendCPU` (same storage, so every JS cpu kernel runs on
 * it unchanged) plus an output-buffer pool for the native kernels and access to the oneDNN addon.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { BufferPool, type BufferPoolOptions } from './buffer-pool.js';
import { isBf16 } from './precision.js';

type DataId = object;
type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

/** A bf16 copy of (a view of) a pooled buffer: where in the buffer, the bits, and the pooled array holding them. */
interface Bf16Copy {
  offset: number;
  length: number;
  bits: Uint16Array;
  store: Float32Array;
}

/** A bf16 operand for a native kernel; call `done` once the kernel has run. */
export interface Bf16Operand {
  bits: Uint16Array;
  done: () => void;
}

const noop = () => {};

/** A deferred float32 output: its inputs (kept alive in the pool) and how to compute it. */
interface Pending {
  n: number;
  deps: Float32Array[];
  compute: (out: Float32Array) => void;
  /** How to compute it in bf16 instead, for a reader of bf16 (see {@link NativeBackend.bf16Bits}). */
  computeBf16?: (bits: Uint16Array) => void;
  /** Its values in bf16 once computed so; `compute` then widens them. */
  bits?: Uint16Array;
}

/**
 * `MathBackendCPU` with a buffer pool whose reference counts follow the storage: `write` and `move` retain the
 * stored values' ArrayBuffer, deleting a dataId releases it, and `readSync` (hence `dataSync()`/`data()`) returns a
 * copy of pooled values so callers never see a buffer that is later recycled.
 */
export class NativeBackend extends MathBackendCPU {
  /** The loaded addon. */
  readonly native: NativeAddon;
  /** Output buffers of the native kernels. */
  readonly pool: BufferPool;
  /** Storage entries whose values are not computed yet (see {@link lazyOut}). */
  private readonly pending = new WeakMap<object, Pending>();
  private lazyComputed = 0;
  private lazySkipped = 0;
  /** Outputs of an op with a ReLU fused in (BatchNorm + ReLU, Add + ReLU): already rectified. */
  private readonly rectified = new WeakSet<object>();
  /** bf16 copies of pooled tensor values, by ArrayBuffer (see {@link bf16}). */
  private readonly bf16Copies = new WeakMap<ArrayBufferLike, Bf16Copy[]>();
  private readonly bf16Counts = { converted: 0, reused: 0, fused: 0, outputs: 0, widened: 0 };

  /**
   * @param native the loaded addon.
   * @param poolOptions buffer pool options (default: 1024 buffers per size).
   */
  constructor(native: NativeAddon, poolOptions: BufferPoolOptions = {}) {
    super();
    this.native = native;
    this.pool = new BufferPool(poolOptions);
    // MathBackendCPU warns "install tfjs-node" on first write; that advice does not apply here.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    this.pool.onContentsEnd = (buffer) => this.dropBf16(buffer);
  }

  /**
   * The values of a float32 tensor as bf16 (round to nearest even) for the bf16 kernels. Conversions of pooled
   * buffers — the outputs of native kernels, i.e. nearly every activation, gradient and updated weight — are cached
   * until the buffer stops holding those values (its last tensor is disposed, or the pool hands it out again), so
   * an activation converted for a convolution's forward is reused by its backward-weights, and an output gradient
   * by both backward passes. tfjs never writes a tensor's values after creating it, and pooled buffers are written
   * only by the kernel that allocates them, so a cached copy cannot go stale. Other arrays (user data) are converted
   * on every call into a pooled temporary.
   */
  bf16(values: Float32Array): Bf16Operand {
    const cacheable = this.pool.isPooled(values);
    const hit = this.cachedBf16(values);
    if (hit) {
      this.bf16Counts.reused++;
      return { bits: hit, done: noop };
    }
    const { bits, store } = this.allocBf16(values.length);
    this.native.toBf16(values, bits);
    this.bf16Counts.converted++;
    if (!cacheable) return { bits, done: () => this.pool.free(store) };
    this.cacheBf16(values, bits, store);
    return { bits, done: noop };
  }

  /** The cached bf16 copy of pooled `values` (see {@link bf16}), or null; never converts. */
  cachedBf16(values: Float32Array): Uint16Array | null {
    if (!this.pool.isPooled(values)) return null;
    const hit = this.bf16Copies
      .get(values.buffer)
      ?.find((c) => c.offset === values.byteOffset && c.length === values.length);
    return hit ? hit.bits : null;
  }

  /** A pooled array for `n` bf16 values: the bits, and the pooled Float32Array that holds them. */
  private allocBf16(n: number): { bits: Uint16Array; store: Float32Array } {
    const store = this.pool.alloc(Math.ceil(n / 2));
    return { bits: new Uint16Array(store.buffer, store.byteOffset, n), store };
  }

  /** {@link allocBf16}, then `fill` writes the bits; if it throws, the array goes back to the pool. */
  private filledBf16(n: number, fill: (bits: Uint16Array) => void): { bits: Uint16Array; store: Float32Array } {
    const out = this.allocBf16(n);
    try {
      fill(out.bits);
    } catch (e) {
      this.pool.free(out.store);
      throw e;
    }
    return out;
  }

  /** Records `bits` as the bf16 copy of the pooled `values` (dropped with the buffer's contents, see dropBf16). */
  private cacheBf16(values: Float32Array, bits: Uint16Array, store: Float32Array): void {
    const copy = { offset: values.byteOffset, length: values.length, bits, store };
    const list = this.bf16Copies.get(values.buffer);
    if (list) list.push(copy);
    else this.bf16Copies.set(values.buffer, [copy]);
  }

  /**
   * Runs `fill`, the native kernel that writes the pooled float32 output `values` it has just allocated. In bf16
   * mode `fill` also gets a bf16 array to write in the same pass, which is then cached as `values`' bf16 copy: a
   * convolution reading `values` later finds it in the {@link bf16} cache instead of converting. Outside bf16 mode
   * (or for an unpooled array) `fill` gets null and writes float32 only. If `fill` throws, the copy is released.
   * @param values the kernel's pooled float32 output.
   * @param fill runs the kernel; `bits` is the bf16 output to write alongside, or null.
   */
  fillWithBf16Copy(values: Float32Array, fill: (bits: Uint16Array | null) => void): void {
    if (!isBf16() || !this.pool.isPooled(values)) {
      fill(null);
      return;
    }
    const { bits, store } = this.filledBf16(values.length, fill);
    this.cacheBf16(values, bits, store);
    this.bf16Counts.fused++;
  }

  /**
   * For a kernel that reads bf16 (BatchNorm): the bf16 values of a deferred output that can be computed in bf16 (a
   * convolution's output or input gradient in bf16 mode, see {@link lazyOut}), else null (read it with {@link f32}).
   * Its first reader decides: if no kernel has read it yet, it is computed in bf16 now, and from then on its values
   * are those bf16 values for every reader — kernels reading bf16 get the bits, a float32 reader (and `dataSync`)
   * gets them widened to float32 once (exactly); if a float32 reader came first, it stays float32 and this returns
   * null. Call it before {@link f32}.
   */
  bf16Bits(t: TensorInfo): Uint16Array | null {
    const entry = this.data.has(t.dataId) ? (this.data.get(t.dataId) as object) : undefined;
    const p = entry ? this.pending.get(entry) : undefined;
    if (!p) return null;
    if (p.bits) return p.bits;
    const computeBf16 = p.computeBf16;
    if (!computeBf16) return null;
    const { bits, store } = this.filledBf16(p.n, computeBf16);
    // Now a bf16 output: the inputs are released, a float32 reader gets the bits widened.
    for (const d of p.deps) this.pool.release(d);
    this.pool.retain(store);
    p.deps = [store];
    p.compute = (out) => {
      this.native.fromBf16(bits, out);
      this.bf16Counts.widened++;
    };
    p.computeBf16 = undefined;
    p.bits = bits;
    this.bf16Counts.outputs++;
    this.lazyComputed++;
    return bits;
  }

  /** What a kernel that reads bf16 inputs reads: the tensor's bf16 bits ({@link bf16Bits}), else its float32 values. */
  f32OrBf16(t: TensorInfo): Float32Array | Uint16Array | null {
    return this.bf16Bits(t) ?? this.f32(t);
  }

  /**
   * bf16 operands of the convolutions and matmuls: converted by {@link bf16}, reused from its cache (a hit), and
   * written by a producing kernel in the same pass as its float32 output ({@link fillWithBf16Copy}); outputs
   * computed in bf16 for a BatchNorm ({@link bf16Bits}), and how many of them another kernel then widened.
   */
  bf16Stats(): { converted: number; reused: number; fused: number; outputs: number; widened: number } {
    return { ...this.bf16Counts };
  }

  private dropBf16(buffer: ArrayBufferLike): void {
    const list = this.bf16Copies.get(buffer);
    if (!list) return;
    this.bf16Copies.delete(buffer);
    for (const c of list) this.pool.free(c.store);
  }

  /** An uninitialised float32 output buffer of `n` elements from the pool. */
  alloc(n: number): Float32Array {
    return this.pool.alloc(n);
  }

  /** The Float32Array behind a float32 tensor, or null (another dtype or storage). */
  f32(t: TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const v = this.data.get(t.dataId)?.values;
    return v instanceof Float32Array ? v : null;
  }

  /** Wraps a pooled (or any) Float32Array as a new float32 tensor without copying. */
  out(shape: number[], values: Float32Array): TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }

  /**
   * A float32 output computed on first access of its values. tfjs computes some results nobody reads — notably the
   * input gradient of a network's first convolution, which tfjs-core's fused conv2d gradient always evaluates but
   * no trainable variable needs (PyTorch skips it) — and in bf16 mode the first reader decides the precision of a
   * convolution's result (see {@link bf16Bits}). Such an output is registered with a `values` getter: any kernel,
   * `readSync` or `dataSync` that reads it runs `compute` then; disposing it unread skips the work. Its inputs'
   * pooled buffers are retained until then, so disposing the input tensors in between is safe.
   * @param shape output shape.
   * @param deps input arrays `compute` reads (kept alive).
   * @param compute fills the (uninitialised, pooled) output completely.
   * @param computeBf16 bf16 mode: computes the output in bf16 instead when its first reader reads bf16
   *   ({@link bf16Bits}); the output is then those bf16 values for every later reader too.
   */
  lazyOut(
    shape: number[],
    deps: Float32Array[],
    compute: (out: Float32Array) => void,
    computeBf16?: (bits: Uint16Array) => void,
  ): TensorInfo {
    const dataId = super.write(new Float32Array(0) as never, shape, 'float32');
    const n = shape.reduce((p, d) => p * d, 1);
    for (const d of deps) this.pool.retain(d);
    const entry = { dtype: 'float32' as DataType, refCount: 1 } as {
      dtype: DataType;
      refCount: number;
      values?: unknown;
    };
    const backend = this;
    const settle = (v: unknown) =>
      Object.defineProperty(entry, 'values', { value: v, writable: true, enumerable: true, configurable: true });
    Object.defineProperty(entry, 'values', {
      enumerable: true,
      configurable: true,
      get() {
        const p = backend.pending.get(entry);
        if (!p) return undefined;
        backend.pending.delete(entry);
        const out = backend.pool.alloc(p.n);
        try {
          p.compute(out);
        } catch (e) {
          out.fill(Number.NaN);
          settle(out);
          backend.pool.retain(out);
          throw e;
        } finally {
          for (const d of p.deps) backend.pool.release(d);
        }
        backend.lazyComputed++;
        settle(out);
        backend.pool.retain(out);
        return out;
      },
      set(v: unknown) {
        const p = backend.pending.get(entry);
        if (p) {
          backend.pending.delete(entry);
          for (const d of p.deps) backend.pool.release(d);
        }
        settle(v);
      },
    });
    this.pending.set(entry, { n, deps, compute, computeBf16 });
    this.data.set(dataId, entry as never);
    return { dataId, shape, dtype: 'float32' };
  }

  /**
   * Marks a tensor as the output of an op with a ReLU fused in (BatchNorm + ReLU, Add + ReLU). A ReLU of it is then
   * the identity (same values), and the ReLU's gradient passes dy through, since the fused op's own gradient
   * applies the ReLU mask.
   */
  markRectified(t: TensorInfo): void {
    this.rectified.add(t.dataId);
  }

  /** Whether `t` is the output of an op with a ReLU fused in (see {@link markRectified}). */
  isRectified(t: TensorInfo): boolean {
    return this.rectified.has(t.dataId);
  }

  /** How many deferred outputs were computed (read) and skipped (disposed unread). */
  lazyStats(): { computed: number; skipped: number } {
    return { computed: this.lazyComputed, skipped: this.lazySkipped };
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const id = super.write(values as never, shape, dtype);
    this.pool.retain(values);
    return id;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    const entry = this.data.has(dataId) ? (this.data.get(dataId) as object) : undefined;
    const prev = entry && !this.pending.has(entry) ? (entry as { values?: unknown }).values : undefined;
    super.move(dataId, values as never, shape, dtype, refCount);
    this.pool.retain(values);
    if (prev !== undefined) this.pool.release(prev);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const entry = this.data.get(dataId) as object;
    const pending = this.pending.get(entry);
    // Never trigger a deferred computation just to dispose it.
    const values = pending ? undefined : (entry as { values?: unknown }).values;
    const res = super.disposeData(dataId, force);
    if (!this.data.has(dataId)) {
      if (pending) {
        this.pending.delete(entry);
        for (const d of pending.deps) this.pool.release(d);
        this.lazySkipped++;
      } else {
        this.pool.release(values);
      }
    }
    return res;
  }

  override readSync(dataId: DataId): BackendValues {
    const v = super.readSync(dataId) as BackendValues;
    // Pooled buffers are recycled after dispose: hand out a copy, never the live array.
    return this.pool.isPooled(v) ? (v as Float32Array).slice() : v;
  }

  override dispose(): void {
    this.pool.trim();
    super.dispose();
  }
}
