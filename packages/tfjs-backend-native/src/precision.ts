/**
 * Opt-in reduced precision for `ft-native`, in the manner of PyTorch's CPU autocast: with precision `'bf16'`,
 * convolutions (forward, backward-data, backward-weights; groups = 1) and matmuls (BatchMatMul, _FusedMatMul, hence
 * also the gradient matmuls) read their operands as bfloat16 and accumulate and write float32. Tensors stay
 * float32 at the tfjs level, so weights (the "master" copy), optimizer state, BatchNorm statistics and every other
 * kernel stay fp32. `'fp32'` is the default and leaves every result bit-for-bit unchanged.
 *
 * bf16 needs a CPU with native bf16 dot products (AVX512_BF16 or AMX-BF16; oneDNN would emulate them elsewhere,
 * slower than fp32), so asking for it on another CPU is an error ({@link Bf16UnsupportedError}), never a silent
 * fp32 run. The check is a replaceable probe ({@link setBf16ProbeForTests}) so that the path is tested everywhere.
 */
import { loadAddon } from './addon.js';

/** Precisions of the convolutions and matmuls of `ft-native`. */
export type NativePrecision = 'fp32' | 'bf16';

/** Every accepted precision. */
export const NATIVE_PRECISIONS: readonly NativePrecision[] = ['fp32', 'bf16'];

/**
 * An unknown precision value. Its `code` is `'INVALID_ARGUMENT'`, the code of @ft/core's `InvalidArgumentError`
 * (this package depends on tfjs only, so it mirrors the code instead of importing the class).
 */
export class InvalidPrecisionError extends Error {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPrecisionError';
  }
}

/**
 * bf16 was asked for on a CPU (or oneDNN build, or `DNNL_MAX_CPU_ISA` setting) without native bf16 support, or
 * without the addon. Its `code` is `'BACKEND_UNAVAILABLE'`, as @ft/core's `BackendUnavailableError`.
 */
export class Bf16UnsupportedError extends Error {
  readonly code = 'BACKEND_UNAVAILABLE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'Bf16UnsupportedError';
  }
}

/** Whether bf16 can run natively here, and if not why. */
export interface Bf16Support {
  supported: boolean;
  /** One line saying what is missing, when unsupported. */
  reason?: string;
}

/** The default probe: the addon's CPUID check and oneDNN's effective ISA. */
export function detectBf16(): Bf16Support {
  const load = loadAddon();
  if (!load.ok) return { supported: false, reason: `the native addon is unavailable (${load.reason})` };
  const s = load.addon.bf16Support();
  if (!s.cpu) {
    const isa = load.addon.info().isa;
    return {
      supported: false,
      reason: `this CPU has no AVX512_BF16 or AMX-BF16 instructions (oneDNN ISA ${isa}); use precision 'fp32'`,
    };
  }
  if (!s.onednn) {
    const isa = load.addon.info().isa;
    return {
      supported: false,
      reason: `oneDNN does not dispatch to its bf16 kernels here (effective ISA ${isa}; is DNNL_MAX_CPU_ISA set?); use precision 'fp32'`,
    };
  }
  return { supported: true };
}

let probe: () => Bf16Support = detectBf16;
let current: NativePrecision = 'fp32';

/**
 * Replaces the bf16 capability probe (tests: simulate a CPU without bf16); `null` restores {@link detectBf16}.
 * Not exported from the package entry point.
 */
export function setBf16ProbeForTests(p: (() => Bf16Support) | null): void {
  probe = p ?? detectBf16;
}

/**
 * Checks a precision value.
 * @param value what was passed (an option, `FT_NATIVE_PRECISION`, ...).
 * @param source where it came from, for the message.
 * @throws InvalidPrecisionError when it is not `'fp32'` or `'bf16'`.
 */
export function parsePrecision(value: unknown, source = 'precision'): NativePrecision {
  if (value === 'fp32' || value === 'bf16') return value;
  throw new InvalidPrecisionError(
    `${source}: unknown precision ${JSON.stringify(value)}; valid precisions: ${NATIVE_PRECISIONS.join(', ')}`,
  );
}

/**
 * Sets the precision of `ft-native`'s convolutions and matmuls for every later kernel call (process-wide).
 * `'fp32'` (the default) is always accepted; `'bf16'` only where the CPU runs bf16 natively.
 * @param p `'fp32'` or `'bf16'`.
 * @throws InvalidPrecisionError for another value; Bf16UnsupportedError for bf16 on a CPU without bf16.
 */
export function setPrecision(p: NativePrecision): void {
  const value = parsePrecision(p);
  if (value === 'bf16') {
    const s = probe();
    if (!s.supported) throw new Bf16UnsupportedError(`bf16 precision is unavailable: ${s.reason ?? 'unsupported'}`);
  }
  current = value;
}

/** The current precision of `ft-native`'s convolutions and matmuls (`'fp32'` unless set). */
export function getPrecision(): NativePrecision {
  return current;
}

/** Kernels: true when the convolutions / matmuls should take their bf16 path. */
export function isBf16(): boolean {
  return current === 'bf16';
}
