/**
 * Dawn (npm `webgpu`) loading and adapter selection. Nothing here runs at import time: `acquireGpu()` loads Dawn,
 * picks an adapter and creates a device, or returns a one-line reason.
 *
 * Selection: a hardware adapter with `powerPreference: 'high-performance'` (Vulkan, Metal or D3D12, whichever Dawn
 * finds); `FT_WEBGPU_ADAPTER` (or `adapter`) passes Dawn's `adapter=<name>` flag, which picks the adapter whose name
 * matches; `FT_WEBGPU_BACKEND` (or `backend`) passes `backend=<vulkan|opengl|...>`. Only when software adapters are
 * allowed (`FT_WEBGPU_SOFTWARE=1` or `software: true`) and no hardware adapter exists does it try Dawn's OpenGL
 * backend in compatibility mode with `EGL_PLATFORM=surfaceless`, which runs on Mesa llvmpipe without a display: the
 * correctness path CI uses. Software adapters are never chosen silently.
 */
import { createRequire } from 'node:module';
import { WebGpuUnavailableError } from './errors.js';

/** Adapter selection options (each falls back to its environment variable). */
export interface AdapterOptions {
  /** Allow a software adapter (llvmpipe etc.) when no hardware one exists (default: `FT_WEBGPU_SOFTWARE=1`). */
  software?: boolean;
  /** Adapter name for Dawn's `adapter=` flag (default: `FT_WEBGPU_ADAPTER`). */
  adapter?: string;
  /** Dawn backend, e.g. `vulkan`, `opengl`, `opengles` (default: `FT_WEBGPU_BACKEND`, else Dawn's choice). */
  backend?: string;
  /** Power preference passed to `requestAdapter` (default `'high-performance'`). */
  powerPreference?: 'high-performance' | 'low-power';
  /** Extra Dawn flags for `create()` (e.g. `enable-dawn-features=...`); `FT_WEBGPU_DAWN_FLAGS` is comma-free `;`-separated. */
  dawnFlags?: string[];
}

/** The adapter that was selected. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn backend flag used (`'default'` when Dawn chose). */
  backend: string;
  /** `'compatibility'` on the software OpenGL path, else `'core'`. */
  featureLevel: 'core' | 'compatibility';
  /** True for llvmpipe / lavapipe / SwiftShader or an adapter that reports `isFallbackAdapter`. */
  software: boolean;
  features: string[];
}

/** A live device and what it runs on. */
export interface AcquiredGpu {
  gpu: DawnGpu;
  adapter: DawnAdapter;
  device: DawnDevice;
  info: AdapterDescription;
}

/** The parts of Dawn's GPUDevice this package touches (kept structural so the .d.ts needs no WebGPU types). */
export interface DawnDevice {
  destroy(): void;
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
}
/** The parts of Dawn's GPUAdapter this package touches. */
export interface DawnAdapter {
  readonly info: Readonly<Record<string, unknown>>;
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
  requestDevice(descriptor?: unknown): Promise<DawnDevice>;
}
/** Dawn's `navigator.gpu` object. */
export interface DawnGpu {
  requestAdapter(options?: unknown): Promise<DawnAdapter | null>;
}
type DawnModule = { create(flags: string[]): DawnGpu; globals: Record<string, unknown> };

let dawn: DawnModule | null = null;

/** Version of the installed npm `webgpu` package (Dawn build), or `'unavailable'`. */
export function dawnPackageVersion(): string {
  try {
    return (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unavailable';
  }
}

/** Loads the `webgpu` package once and installs its globals (`GPUBufferUsage`, ...) that tfjs-backend-webgpu uses. */
export async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  let mod: DawnModule;
  try {
    mod = (await import('webgpu')) as unknown as DawnModule;
  } catch (e) {
    throw new WebGpuUnavailableError(
      'DAWN_LOAD_FAILED',
      `the webgpu package (Dawn) failed to load on ${process.platform}-${process.arch}: ${firstLine(e)}`,
    );
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  dawn = mod;
  return mod;
}

const SOFTWARE_RE = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0] ?? '';
}

/** Resolves options against the environment. */
export function resolveAdapterOptions(
  opts: AdapterOptions = {},
): Required<Omit<AdapterOptions, 'adapter' | 'backend'>> & Pick<AdapterOptions, 'adapter' | 'backend'> {
  const sw = env('FT_WEBGPU_SOFTWARE');
  if (sw !== undefined && !['0', '1', 'true', 'false'].includes(sw)) {
    throw new WebGpuUnavailableError('INVALID_ARGUMENT', `FT_WEBGPU_SOFTWARE must be 0 or 1, got '${sw}'`);
  }
  const pp = opts.powerPreference ?? 'high-performance';
  if (pp !== 'high-performance' && pp !== 'low-power') {
    throw new WebGpuUnavailableError('INVALID_ARGUMENT', `powerPreference must be 'high-performance' or 'low-power'`);
  }
  return {
    software: opts.software ?? (sw === '1' || sw === 'true'),
    adapter: opts.adapter ?? env('FT_WEBGPU_ADAPTER'),
    backend: opts.backend ?? env('FT_WEBGPU_BACKEND'),
    powerPreference: pp,
    dawnFlags: opts.dawnFlags ?? (env('FT_WEBGPU_DAWN_FLAGS')?.split(';').filter(Boolean) || []),
  };
}

function describe(adapter: DawnAdapter, backend: string, featureLevel: 'core' | 'compatibility'): AdapterDescription {
  const i = adapter.info;
  const str = (k: string): string => (typeof i[k] === 'string' ? (i[k] as string) : '');
  const text = `${str('vendor')} ${str('architecture')} ${str('device')} ${str('description')}`;
  return {
    vendor: str('vendor'),
    architecture: str('architecture'),
    device: str('device'),
    description: str('description'),
    backend,
    featureLevel,
    software: i.isFallbackAdapter === true || SOFTWARE_RE.test(text),
    features: [...adapter.features].map(String).sort(),
  };
}

/** The limits and features tfjs-backend-webgpu asks for (the adapter's own maxima). */
function deviceDescriptor(adapter: DawnAdapter): Record<string, unknown> {
  const l = adapter.limits;
  const requiredFeatures: string[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  return {
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  };
}

/**
 * Loads Dawn, selects an adapter (see the module comment) and creates a device.
 * @throws {WebGpuUnavailableError} with a one-line message when there is no usable adapter.
 */
export async function acquireGpu(opts: AdapterOptions = {}): Promise<AcquiredGpu> {
  const o = resolveAdapterOptions(opts);
  const { create } = await loadDawn();
  const base = [...o.dawnFlags];
  if (o.adapter) base.push(`adapter=${o.adapter}`);
  const tries: { flags: string[]; backend: string; featureLevel: 'core' | 'compatibility' }[] = [
    {
      flags: o.backend ? [...base, `backend=${o.backend}`] : base,
      backend: o.backend ?? 'default',
      featureLevel: 'core',
    },
  ];
  if (o.software) {
    // Dawn's GL backend on Mesa needs a display-less EGL platform; only set when software adapters are allowed.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const b = o.backend ?? 'opengl';
    tries.push({ flags: [...base, `backend=${b}`], backend: b, featureLevel: 'compatibility' });
  }
  let softwareSeen: AdapterDescription | null = null;
  for (const t of tries) {
    let gpu: DawnGpu;
    let adapter: DawnAdapter | null = null;
    try {
      gpu = create(t.flags);
      adapter = await gpu.requestAdapter({
        powerPreference: o.powerPreference,
        ...(t.featureLevel === 'compatibility' ? { featureLevel: 'compatibility' } : {}),
      });
    } catch (e) {
      if (o.adapter && /adapter/i.test(firstLine(e))) {
        throw new WebGpuUnavailableError(
          'NO_ADAPTER',
          `no WebGPU adapter matches FT_WEBGPU_ADAPTER='${o.adapter}': ${firstLine(e)}`,
        );
      }
      continue;
    }
    if (!adapter) continue;
    const info = describe(adapter, t.backend, t.featureLevel);
    if (info.software && !o.software) {
      softwareSeen = info;
      continue;
    }
    let device: DawnDevice;
    try {
      device = await adapter.requestDevice(deviceDescriptor(adapter));
    } catch (e) {
      throw new WebGpuUnavailableError(
        'DEVICE_FAILED',
        `WebGPU adapter '${info.device}' refused a device: ${firstLine(e)}`,
      );
    }
    return { gpu, adapter, device, info };
  }
  if (softwareSeen) {
    throw new WebGpuUnavailableError(
      'SOFTWARE_ONLY',
      `only a software WebGPU adapter was found (${softwareSeen.device || softwareSeen.description}); set FT_WEBGPU_SOFTWARE=1 to use it (correctness only, not speed)`,
    );
  }
  const which = o.adapter ? ` matching FT_WEBGPU_ADAPTER='${o.adapter}'` : '';
  throw new WebGpuUnavailableError(
    'NO_ADAPTER',
    `no WebGPU adapter${which}: Dawn ${dawnPackageVersion()} found no ${o.backend ?? 'Vulkan/Metal/D3D12'} GPU (install the GPU's Vulkan driver and libvulkan1${o.software ? '' : ', or set FT_WEBGPU_SOFTWARE=1 for the software OpenGL path'})`,
  );
}
