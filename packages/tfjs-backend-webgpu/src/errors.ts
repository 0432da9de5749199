/** Why `ft-webgpu` could not be registered: a machine-readable code and a one-line message. */
export type WebGpuUnavailableCode =
  /** The `webgpu` package (Dawn) or `@tensorflow/tfjs-backend-webgpu` failed to load. */
  | 'DAWN_LOAD_FAILED'
  /** Dawn found no adapter (no GPU, or no Vulkan/Metal/D3D12 driver). */
  | 'NO_ADAPTER'
  /** Only a software adapter (llvmpipe, lavapipe, SwiftShader) was found and software adapters were not allowed. */
  | 'SOFTWARE_ONLY'
  /** The adapter refused to create a device. */
  | 'DEVICE_FAILED'
  /** An option or environment variable has a bad value. */
  | 'INVALID_ARGUMENT';

/**
 * Thrown by {@link requireWebGpu} (and carried, not thrown, by a failed `registerWebGpuBackend` result) when no usable
 * WebGPU adapter exists. `message` is one line that says why and what to do.
 */
export class WebGpuUnavailableError extends Error {
  /** Machine-readable reason. */
  readonly code: WebGpuUnavailableCode;
  constructor(code: WebGpuUnavailableCode, message: string) {
    super(message);
    this.name = 'WebGpuUnavailableError';
    this.code = code;
  }
}
