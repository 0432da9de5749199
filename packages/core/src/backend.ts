/**
 * Backend selection for @ft. tfjs has several Node backends with very different training speed:
 * `tensorflow` (tfjs-node / tfjs-node-gpu, libtensorflow), `ft-webgpu` (@ft/tfjs-backend-webgpu: tfjs-webgpu on
 * Dawn, chosen automatically only on a hardware GPU), `ft-native` (@ft/tfjs-backend-native, oneDNN kernels over the
 * JS cpu backend) and the pure-JS `cpu` backend, which trains convnets about 1,000× slower than PyTorch (its
 * Conv2DBackpropFilter is naive). `wasm` lacks Conv2DBackpropFilter and is never chosen for training.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, InvalidArgumentError } from './errors.js';

/** Backends @ft knows how to select. */
export type BackendName = 'tensorflow' | 'ft-webgpu' | 'ft-native' | 'cpu' | 'wasm';

/**
 * Default preference order: fastest first. `ft-webgpu` is taken only when a hardware GPU adapter is found (never a
 * software rasteriser, unless asked for by name with `FT_WEBGPU_SOFTWARE=1`).
 */
export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'ft-webgpu', 'ft-native', 'cpu'];

/** One attempt made by `initBackend`. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was skipped or failed. */
  reason?: string;
}

/** What `initBackend` chose, and why. Every benchmark result records it. */
export interface BackendInfo {
  /** tfjs backend name now active (`tf.getBackend()`). */
  name: BackendName;
  /** npm package that provides it. */
  package: string;
  /** True only if a GPU device is actually in use. */
  gpu: boolean;
  /** Threads the backend computes with. */
  threads: number;
  /** Versions of tfjs and of the backend package. */
  versions: Record<string, string>;
  /** Why a preferred backend was not chosen (first failure), if any. */
  fallbackReason?: string;
  /** Every backend tried, in order. */
  attempts: BackendAttempt[];
  /** Backend-specific details (e.g. oneDNN version, ISA). */
  details?: Record<string, unknown>;
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /** Backends to try, in order (default `DEFAULT_BACKEND_ORDER`). `FT_BACKEND` overrides it. */
  prefer?: BackendName[];
  /** Allow `wasm` (inference only; it cannot train convnets). Default false. */
  allowWasm?: boolean;
  /** Where one-line warnings go (default: `console.warn`). */
  log?: { warn(message: string): void };
  /** Ignore the `FT_BACKEND` environment variable (default false). */
  ignoreEnv?: boolean;
  /** Overrides module loading (tests, bundlers): maps a package name to its module. */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * `ft-webgpu` only: accept a software adapter (Mesa llvmpipe through Dawn's OpenGL backend; correctness, not
   * speed). Default: `FT_WEBGPU_SOFTWARE=1`, and only when `ft-webgpu` was asked for by name.
   */
  webgpuSoftware?: boolean;
  /** Overrides the hardware-GPU probe that lets `ft-webgpu` skip loading Dawn on machines without a GPU (tests). */
  hasGpuDevice?: () => boolean;
}

const PACKAGES: Record<BackendName, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  'ft-webgpu': '@ft/tfjs-backend-webgpu',
  'ft-native': '@ft/tfjs-backend-native',
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

/** Every backend name `initBackend` knows. */
export const KNOWN_BACKENDS: readonly BackendName[] = ['tensorflow', 'ft-webgpu', 'ft-native', 'cpu', 'wasm'];

/** Reasons a backend is skipped that are expected on most machines: not worth a warning unless it was asked for. */
const EXPECTED_REASONS = new Set(['not installed', 'no GPU device']);

/**
 * Whether this machine may have a hardware GPU that Dawn can use, without loading Dawn: on Linux a DRM render node
 * (`/dev/dri/renderD*`), an NVIDIA device (`/dev/nvidia0`) or WSL's `/dev/dxg`; macOS and Windows always may.
 */
export function mayHaveGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  if (existsSync('/dev/nvidia0') || existsSync('/dev/dxg')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

let current: BackendInfo | undefined;

/** The one-line warning `initBackend` prints when it lands on a slow backend without being asked to. */
export const SLOW_BACKEND_WARNING =
  '[ft] using the pure-JS cpu backend: training convnets is about 1,000x slower. Install @ft/tfjs-backend-native ' +
  '(oneDNN; see its README) or @tensorflow/tfjs-node, or set FT_BACKEND=cpu to choose cpu deliberately.';

/** The slow-backend warning is printed once per process. */
let warnedSlow = false;

/** Imports an optional package from this module's location, then from the working directory. */
async function importOptional(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (first) {
    try {
      const req = createRequire(path.join(process.cwd(), 'noop.js'));
      const resolved = req.resolve(specifier);
      return await import(resolved);
    } catch {
      throw first;
    }
  }
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split('\n')[0];
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg)) return 'not installed';
  return first.length > 200 ? `${first.slice(0, 197)}...` : first;
}

/**
 * Parses a comma-separated backend list (`FT_BACKEND`, the CLI's `--backend`), checking every name: a typo must
 * not fall back silently to the slow `cpu` backend.
 * @param source where the list came from, for the message.
 * @throws InvalidArgumentError naming the unknown backend and the valid ones.
 */
export function parseBackendList(value: string, source = 'FT_BACKEND'): BackendName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!KNOWN_BACKENDS.includes(n as BackendName)) {
      throw new InvalidArgumentError(`${source}: unknown backend "${n}"; valid backends: ${KNOWN_BACKENDS.join(', ')}`);
    }
  }
  return names as BackendName[];
}

async function tryTensorflow(
  load: (s: string) => Promise<unknown>,
): Promise<{ pkg: string; gpu: boolean; version: string }> {
  const errors: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      const mod = (await load(pkg)) as { version?: Record<string, string> };
      if (!tf.findBackend('tensorflow'))
        throw new Error(
          `${pkg} loaded but registered no "tensorflow" backend in this tfjs-core instance (two tfjs-core copies?)`,
        );
      await tf.setBackend('tensorflow');
      await tf.ready();
      let gpu = false;
      if (pkg.endsWith('-gpu')) {
        // tfjs-node-gpu built for CUDA 11.2 silently runs on CPU under CUDA 12: ask the binding.
        const b = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
        gpu = Boolean(b.binding?.isUsingGpuDevice?.());
      }
      const version = mod.version?.['tfjs-node'] ?? 'unknown';
      return { pkg, gpu, version };
    } catch (e) {
      errors.push(`${pkg}: ${shortReason(e)}`);
    }
  }
  if (errors.every((e) => e.endsWith(': not installed'))) throw new BackendUnavailableError('not installed');
  throw new BackendUnavailableError(errors.join('; '));
}

/** The parts of @ft/tfjs-backend-webgpu that `initBackend` uses. */
interface WebGpuModule {
  registerWebGpuBackend?: (opts?: { software?: boolean }) => Promise<
    | {
        ok: true;
        name: string;
        info: { version?: string; dawn?: string; tfjsWebgpu?: string; hardware?: boolean; adapter?: unknown };
      }
    | { ok: false; reason: string; code?: string }
  >;
  disposeWebGpu?: () => void;
}

/** The loaded @ft/tfjs-backend-webgpu, kept so that {@link releaseBackend} can release its device. */
let webgpuModule: WebGpuModule | undefined;

async function tryWebGpu(
  load: (s: string) => Promise<unknown>,
  explicit: boolean,
  opts: InitBackendOptions,
): Promise<{ gpu: boolean; version: string; details: Record<string, unknown> }> {
  // Without a GPU device file there is no hardware adapter: skip before loading Dawn (a native addon) at all.
  if (!explicit && !(opts.hasGpuDevice ?? mayHaveGpuDevice)()) throw new BackendUnavailableError('no GPU device');
  const mod = (await load(PACKAGES['ft-webgpu'])) as WebGpuModule;
  if (typeof mod.registerWebGpuBackend !== 'function') throw new Error('package has no registerWebGpuBackend()');
  // Software adapters only when ft-webgpu was asked for by name (a CPU rasteriser is never faster than ft-native).
  const software = explicit ? opts.webgpuSoftware : false;
  const r = await mod.registerWebGpuBackend(software === undefined ? {} : { software });
  if (!r.ok) {
    // Not asked for by name: no adapter, or only a software one, is the normal case of a machine without a GPU.
    const noGpu = r.code === 'NO_ADAPTER' || r.code === 'SOFTWARE_ONLY';
    throw new BackendUnavailableError(!explicit && noGpu ? 'no GPU device' : r.reason);
  }
  webgpuModule = mod;
  await tf.setBackend('ft-webgpu');
  await tf.ready();
  const { adapter, dawn, tfjsWebgpu, hardware } = r.info;
  return {
    gpu: hardware === true,
    version: String(r.info.version ?? 'unknown'),
    details: { adapter, dawn, tfjsWebgpu, hardware },
  };
}

/**
 * Releases what the selected backend holds outside tfjs' tensors: on `ft-webgpu`, the GPU device (Dawn keeps a
 * process alive while a device exists). Call it when a program is done with tfjs; the `ft` CLI calls it after every
 * command. A no-op on the other backends.
 */
export function releaseBackend(): void {
  if (!webgpuModule) return;
  const mod = webgpuModule;
  webgpuModule = undefined;
  if (current?.name === 'ft-webgpu') current = undefined;
  mod.disposeWebGpu?.();
}

/**
 * Selects the fastest available tfjs backend: `tensorflow` (tfjs-node-gpu, then tfjs-node) → `ft-webgpu`
 * (@ft/tfjs-backend-webgpu, on a hardware GPU adapter only) → `ft-native` (@ft/tfjs-backend-native) → `cpu`. A
 * backend that fails to load falls through with a one-line warning naming the reason (none for an optional package
 * that is not installed, or for no GPU); `cpu` always works. `FT_BACKEND=name[,name]` (or the CLI's `--backend`)
 * overrides the order. Landing on the slow `cpu` backend without having asked for it prints
 * {@link SLOW_BACKEND_WARNING} once. After `ft-webgpu` was chosen, call {@link releaseBackend} when done.
 *
 * @param opts.prefer order to try (default `['tensorflow', 'ft-webgpu', 'ft-native', 'cpu']`)
 * @param opts.allowWasm permit `wasm` (inference only)
 * @returns what was chosen, with every attempt and the reason for each fallback.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const log = opts.log ?? consoleLog;
  const load = opts.importModule ?? importOptional;
  const env = opts.ignoreEnv ? undefined : process.env.FT_BACKEND;
  const order = env
    ? parseBackendList(env)
    : opts.prefer
      ? parseBackendList(opts.prefer.join(','), 'initBackend prefer')
      : [...DEFAULT_BACKEND_ORDER];
  if (order.length === 0) throw new InvalidArgumentError('initBackend: the backend preference list is empty');
  const explicit = Boolean(env || opts.prefer);
  const attempts: BackendAttempt[] = [];
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core };

  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        const r = await tryTensorflow(load);
        versions['tfjs-node'] = r.version;
        attempts.push({ name, ok: true });
        return finish({ name, package: r.pkg, gpu: r.gpu, threads: os.cpus().length, versions, attempts });
      }
      if (name === 'ft-webgpu') {
        const r = await tryWebGpu(load, explicit, opts);
        versions['tfjs-backend-webgpu'] = r.version;
        attempts.push({ name, ok: true });
        return finish({
          name,
          package: PACKAGES['ft-webgpu'],
          gpu: r.gpu,
          threads: os.cpus().length,
          versions,
          attempts,
          details: r.details,
        });
      }
      if (name === 'ft-native') {
        const mod = (await load(PACKAGES['ft-native'])) as {
          registerNativeBackend?: () => { ok: boolean; reason?: string };
          nativeInfo?: () => Record<string, unknown>;
          version?: string;
        };
        if (typeof mod.registerNativeBackend !== 'function') throw new Error('package has no registerNativeBackend()');
        const reg = mod.registerNativeBackend();
        if (!reg.ok) throw new Error(reg.reason ?? 'native addon unavailable');
        await tf.setBackend('ft-native');
        await tf.ready();
        const details = mod.nativeInfo?.() ?? {};
        versions['tfjs-backend-native'] = String(mod.version ?? details.version ?? 'unknown');
        attempts.push({ name, ok: true });
        const threads = typeof details.threads === 'number' ? details.threads : os.cpus().length;
        return finish({ name, package: PACKAGES['ft-native'], gpu: false, threads, versions, attempts, details });
      }
      if (name === 'wasm') {
        if (!opts.allowWasm)
          throw new Error('wasm cannot train convnets (no Conv2DBackpropFilter); pass allowWasm for inference');
        await load(PACKAGES.wasm);
        await tf.setBackend('wasm');
        await tf.ready();
        attempts.push({ name, ok: true });
        return finish({ name, package: PACKAGES.wasm, gpu: false, threads: 1, versions, attempts });
      }
      await tf.setBackend('cpu');
      await tf.ready();
      attempts.push({ name: 'cpu', ok: true });
      return finish({ name: 'cpu', package: PACKAGES.cpu, gpu: false, threads: 1, versions, attempts });
    } catch (e) {
      const reason = shortReason(e);
      attempts.push({ name, ok: false, reason });
      // Not-installed optional backends are expected; only warn when the user asked for it or it is broken.
      if (explicit || !EXPECTED_REASONS.has(reason))
        log.warn(`[ft] backend ${name} unavailable (${reason}); falling back`);
    }
  }
  throw new BackendUnavailableError(
    `No requested backend could be loaded: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`,
  );

  function finish(info: Omit<BackendInfo, 'fallbackReason'>): BackendInfo {
    const slow = isSlowBackend(info as BackendInfo);
    // An optional faster backend that is simply not installed is no fallback worth reporting when a fast backend
    // was chosen as intended; it is when the run ends up slow, or the user asked for that backend.
    const failed = info.attempts.find((a) => !a.ok && (explicit || slow || !EXPECTED_REASONS.has(a.reason ?? '')));
    current = { ...info, ...(failed ? { fallbackReason: `${failed.name}: ${failed.reason}` } : {}) };
    if (slow && !explicit && !warnedSlow) {
      warnedSlow = true;
      log.warn(SLOW_BACKEND_WARNING);
    }
    return current;
  }
}

const consoleLog = { warn: (m: string) => console.warn(m) };

/** The info of the last `initBackend` call, or a description of the active backend if none was made. */
export function backendInfo(): BackendInfo {
  if (current && current.name === tf.getBackend()) return current;
  const name = (tf.getBackend() ?? 'cpu') as BackendName;
  return {
    name,
    package: PACKAGES[name] ?? 'unknown',
    gpu: false,
    threads: name === 'cpu' ? 1 : os.cpus().length,
    versions: { 'tfjs-core': tf.version_core },
    attempts: [],
  };
}

/** True when training convnets will be very slow (pure-JS `cpu`), so callers should shrink sizes and say so. */
export function isSlowBackend(info: BackendInfo = backendInfo()): boolean {
  return info.name === 'cpu' || info.name === 'wasm';
}
