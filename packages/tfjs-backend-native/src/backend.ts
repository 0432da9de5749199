/**
 * The `ft-native` tfjs backend: tfjs-backend-cpu's `MathBackendCPU` (same storage, so every JS cpu kernel runs on
 * it unchanged) plus an output-buffer pool for the native kernels and access to the oneDNN addon.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { BufferPool, type BufferPoolOptions } from './buffer-pool.js';

type DataId = object;
type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

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

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const id = super.write(values as never, shape, dtype);
    this.pool.retain(values);
    return id;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    const prev = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    super.move(dataId, values as never, shape, dtype, refCount);
    this.pool.retain(values);
    if (prev !== undefined) this.pool.release(prev);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const values = this.data.get(dataId).values;
    const res = super.disposeData(dataId, force);
    if (!this.data.has(dataId)) this.pool.release(values);
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
