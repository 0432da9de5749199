/**
 * Lazy, guarded loading of the oneDNN N-API addon (`build/Release/ft_native.node`).
 *
 * Importing this package never loads the addon and never throws: the first call to {@link loadAddon} (made by
 * `registerNativeBackend()`, `isNativeAvailable()` or `nativeInfo()`) tries `require()` once and remembers either
 * the module or the reason it failed (file missing because the native build was skipped or failed, missing
 * `libdnnl.so.2`, ABI mismatch, `FT_NATIVE_DISABLE=1`, ...).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Convolution primitive cache statistics, and the bf16 backward-weights stall guard's counts (README, bf16). */
export interface ConvCacheInfo {
  entries: number;
  hits: number;
  misses: number;
  /** AMX bf16 backward-weights calls that took ≥ 400 ms and ≥ 20× their layer's fastest call. */
  stalls: number;
  /** The longest of those calls, in ms (0 if none). */
  stallMaxMs: number;
  /** Backward-weights calls run on oneDNN's implementation without AMX during the back-off after a stall. */
  stallFallbacks: number;
}

/** Raw information reported by the addon. */
export interface AddonInfo {
  /** oneDNN runtime version, e.g. `2.6.3`. */
  onednn: string;
  /** oneDNN headers the addon was compiled against. */
  onednnHeaders: string;
  /** Instruction set oneDNN dispatches to at run time (e.g. `avx512_core`). */
  isa: string;
  /** OpenMP threads used by oneDNN and the addon's loops. */
  threads: number;
  /** Processors OpenMP sees. */
  ompProcs: number;
  /** Convolution primitive cache. */
  convCache: ConvCacheInfo;
  /** One line per cached convolution primitive: geometry and the oneDNN implementation chosen. */
  convImpls: string[];
}

/** The functions exported by the addon (see native/*.cc for argument order). */
export interface NativeAddon {
  info(): AddonInfo;
  setThreads(n: number): void;
  getThreads(): number;
  clearCaches(): void;
  convForward(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    params: Int32Array,
    act: number,
    alpha: number,
  ): void;
  convBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, params: Int32Array): void;
  convBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, params: Int32Array): void;
  /** bf16 mode (native/conv.cc): x is bf16 (Uint16Array of bit patterns), weights, bias and y float32. */
  /** y as a Uint16Array receives the output in bf16 (the input of a BatchNorm). */
  convForwardBf16(
    x: Uint16Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array | Uint16Array,
    params: Int32Array,
    act: number,
    alpha: number,
  ): void;
  /** dx as a Uint16Array receives the input gradient in bf16 (the dy of a BatchNorm's backward). */
  convBackwardDataBf16(dy: Uint16Array, w: Float32Array, dx: Float32Array | Uint16Array, params: Int32Array): void;
  convBackwardWeightsBf16(x: Uint16Array, dy: Uint16Array, dw: Float32Array, params: Int32Array): void;
  /**
   * Turns the stall guard on with these thresholds (tests: 0, 0 makes every AMX backward-weights call a stall);
   * stallMs < 0 restores the defaults (400, 20; on unless FT_NATIVE_STALL_GUARD=0).
   */
  convStallGuard(stallMs: number, ratio: number): void;
  /** bf16 mode (native/matmul.cc): same arguments as {@link matmul} with bf16 a and b. */
  matmulBf16(
    a: Uint16Array,
    b: Uint16Array,
    out: Float32Array,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    bias: Float32Array | null,
    act: number,
    alpha: number,
  ): void;
  /** float32 -> bf16 bit patterns, round to nearest even (native/bf16.cc). */
  toBf16(src: Float32Array, dst: Uint16Array): void;
  /** bf16 bit patterns -> float32, exact (native/bf16.cc). */
  fromBf16(src: Uint16Array, dst: Float32Array): void;
  /** Native bf16 support: CPUID (AVX512_BF16 / AMX-BF16) and oneDNN's effective ISA. */
  bf16Support(): { cpu: boolean; onednn: boolean };
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    bias: Float32Array | null,
    act: number,
    alpha: number,
  ): void;
  binary(
    op: number,
    a: Float32Array,
    aShape: Int32Array,
    b: Float32Array,
    bShape: Int32Array,
    out: Float32Array,
    outShape: Int32Array,
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  fill(out: Float32Array, value: number): void;
  /** out = max(0, a + b) on same-length arrays; with outBf16 (bf16 mode), also bf16(out) in the same pass. */
  addReluSameShape(a: Float32Array, b: Float32Array, out: Float32Array, outBf16: Uint16Array | null): void;
  sgdUpdate(value: Float32Array, grad: Float32Array, out: Float32Array, c: number): void;
  momentumUpdate(
    value: Float32Array,
    acc: Float32Array,
    grad: Float32Array,
    outValue: Float32Array,
    outAcc: Float32Array,
    m: number,
    c: number,
    nesterov: number,
  ): void;
  adamUpdate(
    value: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    outValue: Float32Array,
    outM: Float32Array,
    outV: Float32Array,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    eps: number,
    negLr: number,
  ): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  argMax(x: Float32Array, out: Int32Array, outer: number, red: number, inner: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  transpose(x: Float32Array | Int32Array, shape: Int32Array, perm: Int32Array, out: Float32Array | Int32Array): void;
  tile(x: Float32Array | Int32Array, shape: Int32Array, reps: Int32Array, out: Float32Array | Int32Array): void;
  maxPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, params: Int32Array): void;
  avgPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  /** x may be bf16 bits (a bf16 convolution's output) when the parameters are per-channel. */
  bnInfer(
    x: Float32Array | Uint16Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    eps: number,
    relu?: number,
    outBf16?: Uint16Array | null,
  ): void;
  /** x may be bf16 bits (a bf16 convolution's output). */
  bnTrain(
    x: Float32Array | Uint16Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
    channels: number,
    relu?: number,
    yBf16?: Uint16Array | null,
  ): void;
  /** dy and x may be bf16 bits (a bf16 convolution's input gradient and output). */
  bnGrad(
    dy: Float32Array | Uint16Array,
    x: Float32Array | Uint16Array,
    gamma: Float32Array | null,
    mean: Float32Array,
    variance: Float32Array,
    eps: number,
    channels: number,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
    reluOutput?: Float32Array | Uint16Array | null,
    dxBf16?: Uint16Array | null,
  ): void;
}

/** Result of loading the addon. */
export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

let cached: AddonLoad | undefined;

/** Package root: both `src/` (tests) and `dist/` (published) sit one level below it. */
function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/** Where the addon is looked for: `FT_NATIVE_ADDON`, then `build/Release`, then `build/Debug`. */
export function addonCandidates(): string[] {
  const root = packageRoot();
  const list = [
    path.join(root, 'build', 'Release', 'ft_native.node'),
    path.join(root, 'build', 'Debug', 'ft_native.node'),
  ];
  const env = process.env.FT_NATIVE_ADDON;
  return env ? [path.resolve(env), ...list] : list;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n')[0] ?? msg;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** libgomp spin iterations before a waiting thread sleeps, unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set. */
const DEFAULT_SPINCOUNT = 3000;

/**
 * Loads the addon once and caches the outcome; never throws.
 * @returns `{ok: true, addon, path}` or `{ok: false, reason}` with a one-line reason.
 */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env.FT_NATIVE_DISABLE === '1') {
    cached = { ok: false, reason: 'disabled by FT_NATIVE_DISABLE=1' };
    return cached;
  }
  const candidates = addonCandidates();
  const file = candidates.find((p) => existsSync(p));
  if (!file) {
    cached = {
      ok: false,
      reason:
        'native addon not built (build/Release/ft_native.node is missing): install g++ make python3 libdnnl-dev, then run the build:native script of @ft/tfjs-backend-native',
    };
    return cached;
  }
  // libgomp reads its settings once, when the addon's dlopen loads it. Default to a short bounded spin
  // (GOMP_SPINCOUNT=3000, a fraction of a millisecond): long enough that the team is still awake for the next kernel
  // of a step, short enough that a thread whose partner was preempted soon sleeps. Measured on the 2-core Sapphire
  // Rapids VM, ResNet-20, batch 128, images/s (medians of 3 processes per setting, README "Threads"):
  //   idle: fp32 train 518 passive, 562 at 3000, 579 at 10000; bf16 train 689 / 833 / 805;
  //         fp32 inference 1,974 / 2,095 / 2,287; bf16 inference 3,259 / 4,276 / 4,237;
  //   next to a 2-thread training: fp32 train 302 / 295 / 276; fp32 inference 1,354 / 1,265 / 1,146;
  //         bf16 inference 2,786 / 2,474 / 2,087 (50000: fp32 train 201, inference 770).
  // Any OMP_WAIT_POLICY or GOMP_SPINCOUNT set before loading wins. The variable is restored afterwards so that
  // child processes do not inherit it.
  const setPolicy = process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined;
  if (setPolicy) process.env.GOMP_SPINCOUNT = String(DEFAULT_SPINCOUNT);
  waitPolicy =
    process.env.OMP_WAIT_POLICY !== undefined
      ? `OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY}`
      : `GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT}`;
  try {
    const req = createRequire(import.meta.url);
    const addon = req(file) as NativeAddon;
    if (typeof addon.convForward !== 'function' || typeof addon.info !== 'function') {
      throw new Error(`${file} is not the @ft/tfjs-backend-native addon (missing exports)`);
    }
    addon.info();
    cached = { ok: true, addon, path: file };
  } catch (e) {
    cached = { ok: false, reason: `failed to load ${file}: ${firstLine(e)}` };
  } finally {
    if (setPolicy) delete process.env.GOMP_SPINCOUNT;
  }
  return cached;
}

let waitPolicy = 'default';

/** The OpenMP wait setting the addon was loaded with (`GOMP_SPINCOUNT=3000` unless the environment said otherwise). */
export function ompWaitPolicy(): string {
  return waitPolicy;
}

/** Forgets the cached load result (tests only). */
export function resetAddonForTests(): void {
  cached = undefined;
}
