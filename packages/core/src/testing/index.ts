/**
 * `@ft/core/testing`: tiny models and seeded in-memory data for the tests of every @ft package. Not part of the
 * stable API: names here may change in any release. Helpers that several packages need live here (one copy);
 * helpers of one package stay in that package's `test-helpers.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.js';
import type { CommandContext, CommandSpec } from '../commands.js';
import { ArrayImageDataset, type ImageDataset, type ImageShape } from '../data/dataset.js';
import { encodePng } from '../data/image-io.js';
import { createRng } from '../rng.js';

export {
  accuracy,
  arrayData,
  ce,
  denseNet,
  snapshot,
  toyProblem,
} from '../train/test-helpers.js';

/** Flat in-memory images: `n` rows of `d` floats with int labels (the form `arrayData` batches). */
export interface ToyArrays {
  xs: Float32Array;
  labels: Int32Array;
  d: number;
}

/**
 * Seeded toy images, in one of two forms.
 *
 * - `toyImages(n, seed)`: flat 6×6×1 images for training tests; class `i % 2`, class 1 brighter on the left half,
 *   class 0 on the right (`0.3·N(0, 1)` noise). Returns `{xs, labels, d: 36}`.
 * - `toyImages(n, shape, seed, bright = 0)`: an `ArrayImageDataset` of `shape` images for feature / anomaly tests:
 *   a smooth seeded texture `0.4 + 0.2·sin(0.9x + phase)` plus `0.05·N(0, 1)` noise; the first `bright` images get
 *   a +0.6 square (an "anomaly") in the centre and label 1, the rest label 0 (`numClasses` 2).
 */
export function toyImages(n: number, seed: number): ToyArrays;
export function toyImages(n: number, shape: ImageShape, seed: number, bright?: number): ArrayImageDataset;
export function toyImages(
  n: number,
  shapeOrSeed: ImageShape | number,
  seed?: number,
  bright = 0,
): ToyArrays | ArrayImageDataset {
  if (typeof shapeOrSeed === 'number') return toyArrays(n, shapeOrSeed);
  return toyTextures(n, shapeOrSeed, seed ?? 0, bright);
}

function toyArrays(n: number, seed: number): ToyArrays {
  const r = createRng(seed);
  const d = 36;
  const xs = new Float32Array(d * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < d; p++) {
      const left = p % 6 < 3;
      xs[i * d + p] = 0.3 * r.normal() + ((left ? 1 : 0) === labels[i] ? 1 : 0);
    }
  }
  return { xs, labels, d };
}

function toyTextures(n: number, shape: ImageShape, seed: number, bright: number): ArrayImageDataset {
  const [h, w, c] = shape;
  const rng = createRng(seed);
  const per = h * w * c;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const phase = rng.uniform() * 6.283;
    const isBright = i < bright;
    labels[i] = isBright ? 1 : 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          let v = 0.4 + 0.2 * Math.sin(x * 0.9 + phase) + 0.05 * rng.normal();
          if (isBright && Math.abs(y - h / 2) < h / 4 && Math.abs(x - w / 2) < w / 4) v += 0.6;
          images[i * per + (y * w + x) * c + k] = v;
        }
      }
    }
  }
  return new ArrayImageDataset({ images, labels, shape, numClasses: 2 });
}

/** Options of the 8×8 form of {@link tinyConvNet}. */
export interface TinyConvNetOptions {
  /** Output logits. Default 3. */
  classes?: number;
  /** Seed of the initialisers (a stream `tiny-<seed>`). Default 0. */
  seed?: number;
  /** BatchNorm after the conv (then the conv has no bias). Default true. */
  bn?: boolean;
  /** Activation after the conv (and BN). Default `'relu'`. */
  activation?: 'relu' | 'tanh';
}

/**
 * A tiny seeded conv net, in one of two forms.
 *
 * - `tinyConvNet(seed)`: on 6×6×1 inputs, Conv(2 filters, 3×3, valid, no bias) → BatchNorm(momentum 0.8) → ReLU →
 *   Flatten → Dense(2); glorot-uniform kernels seeded with `seed` and `seed + 1` (training tests).
 * - `tinyConvNet(opts?)`: on 8×8×1 inputs, Conv(4 filters, 3×3, same) → BN (`bn`, default true) → `activation` →
 *   MaxPool 2 → Flatten → Dense(`classes`, default 3); glorot-uniform kernels seeded from `createRng('tiny-<seed>')`
 *   (attack and fine-tuning tests).
 */
export function tinyConvNet(seed: number): tfl.Sequential;
export function tinyConvNet(opts?: TinyConvNetOptions): tfl.Sequential;
export function tinyConvNet(seedOrOpts: number | TinyConvNetOptions = {}): tfl.Sequential {
  return typeof seedOrOpts === 'number' ? tinyConvNet6(seedOrOpts) : tinyConvNet8(seedOrOpts);
}

function tinyConvNet6(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 2,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
      tfl.layers.batchNormalization({ momentum: 0.8 }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

function tinyConvNet8(opts: TinyConvNetOptions): tfl.Sequential {
  const seed = opts.seed ?? 0;
  const rng = createRng(`tiny-${seed}`);
  const init = () => tfl.initializers.glorotUniform({ seed: rng.seedForTf() });
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: !(opts.bn ?? true),
      kernelInitializer: init(),
    }),
  );
  if (opts.bn ?? true) m.add(tfl.layers.batchNormalization({}));
  m.add(tfl.layers.activation({ activation: opts.activation ?? 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: opts.classes ?? 3, kernelInitializer: init() }));
  return m;
}

/**
 * Max |a − b| over all elements. Two tensors: computed by tfjs in their dtype (float32), broadcasting as `tf.sub`
 * does. Two arrays of the same length: computed on the host in float64 (0 when empty). NaN anywhere gives NaN.
 * @throws Error when two arrays differ in length, or one argument is a tensor and the other is not.
 */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number;
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number;
export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const ta = a instanceof tf.Tensor;
  if (ta !== b instanceof tf.Tensor) throw new Error('maxAbsDiff: pass two tensors or two arrays');
  if (ta) return tf.tidy(() => tf.max(tf.abs(tf.sub(a as tf.Tensor, b as tf.Tensor))).dataSync()[0]);
  const va = a as ArrayLike<number>;
  const vb = b as ArrayLike<number>;
  if (va.length !== vb.length) throw new Error(`maxAbsDiff: lengths differ (${va.length} vs ${vb.length})`);
  let m = 0;
  for (let i = 0; i < va.length; i++) {
    const d = Math.abs(va[i] - vb[i]);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

/**
 * A `CommandContext` like the one the `ft` CLI builds, for testing a command's `run` without the CLI: the option
 * defaults of `spec` (when given) under `args`, a seeded `rng`, `--json` on, the `cpu` backend, silent log and
 * progress, and a fresh (never aborted) signal.
 */
export function commandContext(
  spec: CommandSpec | null,
  args: CommandContext['args'] = {},
  opts: { seed?: number; log?: (message: string) => void } = {},
): CommandContext {
  const full: CommandContext['args'] = {};
  for (const [k, o] of Object.entries(spec?.options ?? {})) full[k] = o.default;
  Object.assign(full, args);
  const seed = opts.seed ?? 0;
  return {
    args: full,
    positionals: [],
    seed,
    rng: createRng(seed),
    json: true,
    backend: {
      name: 'cpu',
      package: '@tensorflow/tfjs-backend-cpu',
      gpu: false,
      threads: 1,
      versions: {},
      attempts: [],
    },
    log: opts.log ?? (() => {}),
    progress: () => ({ update() {}, done() {} }),
    signal: new AbortController().signal,
  };
}

/**
 * Writes `ds` as an image folder `<root>/c<label>/<i>.png` (8-bit PNGs of values in [0, 1]), for command tests that
 * load `folder:<dir>` datasets.
 */
export function writeImageFolder(root: string, ds: ImageDataset): void {
  const [h, w, c] = ds.shape;
  const buf = new Float32Array(h * w * c);
  for (let i = 0; i < ds.size; i++) {
    ds.copyInto(i, buf, 0);
    const cls = path.join(root, `c${ds.labels[i]}`);
    fs.mkdirSync(cls, { recursive: true });
    const px = Array.from(buf, (v) => Math.max(0, Math.min(255, Math.round(255 * v))));
    fs.writeFileSync(path.join(cls, `${i}.png`), encodePng(px, w, h, c as 1 | 3));
  }
}

/**
 * Registers `ft-webgpu` for a test file, on any WebGPU adapter, the software one included (Dawn's OpenGL backend
 * over Mesa llvmpipe: what CI has), selected through {@link initBackend} as users select it; then switches back to
 * `cpu`, so the test picks the backend of each run with `tf.setBackend`. Returns false after printing one line when
 * no adapter exists (the caller skips its GPU tests), and throws instead under `FT_REQUIRE_SERVICES=1` (CI, where
 * scripts/bootstrap.sh installed Mesa's EGL and GL drivers). The device is released when the test process ends.
 */
export async function registerWebGpuForTests(): Promise<boolean> {
  try {
    await initBackend({ prefer: ['ft-webgpu'], ignoreEnv: true, webgpuSoftware: true, log: { warn() {} } });
    return true;
  } catch (e) {
    const line =
      `ft-webgpu unavailable, WebGPU test skipped (${(e as Error).message.split('\n')[0]}); ` +
      'on Debian: apt-get install libegl-mesa0 libgl1-mesa-dri';
    if (process.env.FT_REQUIRE_SERVICES === '1') throw new Error(`FT_REQUIRE_SERVICES=1 but ${line}`);
    console.warn(line);
    return false;
  } finally {
    await tf.setBackend('cpu');
  }
}

/** |a − b| / max(|b|, 1e-6): the relative difference of a value `a` from a reference `b` (e.g. a GPU loss vs cpu). */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
}
