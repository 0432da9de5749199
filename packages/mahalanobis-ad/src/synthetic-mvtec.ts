/**
 * A small synthetic dataset in the MVTec AD folder layout (Bergmann et al., "MVTec AD — A Comprehensive Real-World
 * Dataset for Unsupervised Anomaly Detection", CVPR 2019): `<root>/<category>/train/good/*.png`,
 * `<category>/test/{good,<defect>}/*.png` and `<category>/ground_truth/<defect>/<name>_mask.png` (0 / 255).
 *
 * Normal images are procedural textures with random phase and pixel noise; defective test images get one painted
 * defect whose pixels are exactly the mask: `scratch` (a thin bright or dark line), `spot` (a filled ellipse of
 * constant intensity) or `stain` (an ellipse where the texture is washed out towards its mean). Everything is drawn
 * from a seeded core RNG, so the same options write byte-identical files. For tests and the segmentation demo; it
 * is not a substitute for MVTec AD.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, encodePng, InvalidArgumentError, type Rng } from '@ft/core';

/** Texture families (one per category). */
export const SYNTHETIC_TEXTURES = ['stripes', 'grid', 'weave'] as const;
/** Defect types painted on the defective test images. */
export const SYNTHETIC_DEFECTS = ['scratch', 'spot', 'stain'] as const;

/** Options of {@link writeSyntheticMvtec}. */
export interface SyntheticMvtecOptions {
  /** Category names; each must be one of {@link SYNTHETIC_TEXTURES} (the texture it shows). Default `['stripes']`. */
  categories?: readonly string[];
  /** Normal training images per category. Default 40. */
  nTrain?: number;
  /** Test images per category, half normal (rounded down) and half defective. Default 40. */
  nTest?: number;
  /** Image side in pixels. Default 64. */
  size?: number;
  /** 1 (greyscale PNG) or 3 (RGB, a tinted texture). Default 1. */
  channels?: 1 | 3;
  /** Defect types to cycle through. Default all of {@link SYNTHETIC_DEFECTS}. */
  defects?: readonly (typeof SYNTHETIC_DEFECTS)[number][];
  /** Seed. Default 0. */
  seed?: number;
}

/** What {@link writeSyntheticMvtec} wrote. */
export interface SyntheticMvtecResult {
  root: string;
  categories: string[];
  /** Per category: number of train, good test and defective test images. */
  counts: Record<string, { train: number; testGood: number; testDefective: number }>;
}

function writePng(path: string, size: number, pixels: Float32Array, channels: 1 | 3, tint: number[]): void {
  const n = size * size;
  const bytes = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, pixels[i]));
    for (let c = 0; c < channels; c++) {
      const t = channels === 3 ? tint[c] : 1;
      bytes[i * channels + c] = Math.round(255 * Math.min(1, v * t));
    }
  }
  writeFileSync(path, encodePng(bytes, size, size, channels));
}

function writeMask(path: string, size: number, mask: Uint8Array): void {
  const px = new Float32Array(size * size);
  for (let i = 0; i < px.length; i++) px[i] = mask[i];
  writePng(path, size, px, 1, [1, 1, 1]);
}

/** One normal texture image in [0, 1]. */
function texture(kind: string, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size * size);
  const period = size / 8;
  const phase = rng.uniform() * 2 * Math.PI;
  const phase2 = rng.uniform() * 2 * Math.PI;
  const angle = (rng.uniform() - 0.5) * 0.1;
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = ca * x + sa * y;
      const v = -sa * x + ca * y;
      const k = (2 * Math.PI) / period;
      let t: number;
      if (kind === 'stripes') t = 0.5 + 0.3 * Math.sin(k * u + phase);
      else if (kind === 'grid') t = 0.5 + 0.15 * (Math.sin(k * u + phase) + Math.sin(k * v + phase2));
      else t = 0.5 + 0.3 * Math.sin(k * u + phase) * Math.sin(0.5 * k * v + phase2);
      out[y * size + x] = t + 0.03 * rng.normal();
    }
  }
  return out;
}

/** Paints one defect into `img` (in place) and returns its mask (1 on changed pixels). */
function paintDefect(kind: string, img: Float32Array, size: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(size * size);
  const bright = rng.uniform() < 0.5;
  if (kind === 'scratch') {
    const len = size * (0.3 + 0.3 * rng.uniform());
    const a = rng.uniform() * Math.PI;
    const cx = size * (0.25 + 0.5 * rng.uniform());
    const cy = size * (0.25 + 0.5 * rng.uniform());
    const half = Math.max(1, size / 64);
    for (let s = -len / 2; s <= len / 2; s += 0.25) {
      const px = cx + s * Math.cos(a);
      const py = cy + s * Math.sin(a);
      for (let dy = -half; dy <= half; dy++) {
        for (let dx = -half; dx <= half; dx++) {
          const x = Math.round(px + dx);
          const y = Math.round(py + dy);
          if (x >= 0 && x < size && y >= 0 && y < size) mask[y * size + x] = 1;
        }
      }
    }
    for (let i = 0; i < mask.length; i++) if (mask[i]) img[i] = bright ? 0.97 : 0.03;
    return mask;
  }
  const rx = size * (0.06 + 0.08 * rng.uniform());
  const ry = size * (0.06 + 0.08 * rng.uniform());
  const cx = size * (0.2 + 0.6 * rng.uniform());
  const cy = size * (0.2 + 0.6 * rng.uniform());
  const level = bright ? 0.9 : 0.1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue;
      const i = y * size + x;
      mask[i] = 1;
      img[i] = kind === 'spot' ? level + 0.02 * rng.normal() : 0.5 + 0.15 * (img[i] - 0.5) + (bright ? 0.15 : -0.15);
    }
  }
  return mask;
}

/**
 * Writes a synthetic MVTec-format dataset under `dir` (see module docs). Returns the counts per category.
 * @param dir root directory (created; existing files of the same names are overwritten)
 * @param opts `{categories = ['stripes'], nTrain = 40, nTest = 40, size = 64, channels = 1, defects = all, seed = 0}`
 */
export function writeSyntheticMvtec(dir: string, opts: SyntheticMvtecOptions = {}): SyntheticMvtecResult {
  const categories = [...(opts.categories ?? ['stripes'])];
  const nTrain = opts.nTrain ?? 40;
  const nTest = opts.nTest ?? 40;
  const size = opts.size ?? 64;
  const channels = opts.channels ?? 1;
  const defects = [...(opts.defects ?? SYNTHETIC_DEFECTS)];
  for (const c of categories) {
    if (!(SYNTHETIC_TEXTURES as readonly string[]).includes(c)) {
      throw new InvalidArgumentError(
        `writeSyntheticMvtec: unknown category '${c}'; choose from ${SYNTHETIC_TEXTURES.join(', ')}`,
      );
    }
  }
  for (const [k, v] of [
    ['nTrain', nTrain],
    ['nTest', nTest],
  ] as const) {
    if (!Number.isInteger(v) || v < 2)
      throw new InvalidArgumentError(`writeSyntheticMvtec: ${k} must be ≥ 2, got ${v}`);
  }
  if (!Number.isInteger(size) || size < 16) {
    throw new InvalidArgumentError(`writeSyntheticMvtec: size must be an integer ≥ 16, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) throw new InvalidArgumentError(`writeSyntheticMvtec: channels must be 1 or 3`);
  if (defects.length === 0 || defects.some((d) => !(SYNTHETIC_DEFECTS as readonly string[]).includes(d))) {
    throw new InvalidArgumentError(`writeSyntheticMvtec: defects must be a non-empty subset of ${SYNTHETIC_DEFECTS}`);
  }
  const counts: SyntheticMvtecResult['counts'] = {};
  const name = (i: number) => `${String(i).padStart(3, '0')}.png`;
  for (const cat of categories) {
    const rng = createRng(opts.seed ?? 0).fork(`synthetic-mvtec-${cat}`);
    const tint =
      channels === 3 ? [0.8 + 0.2 * rng.uniform(), 0.8 + 0.2 * rng.uniform(), 0.8 + 0.2 * rng.uniform()] : [1, 1, 1];
    const root = join(dir, cat);
    mkdirSync(join(root, 'train', 'good'), { recursive: true });
    mkdirSync(join(root, 'test', 'good'), { recursive: true });
    for (let i = 0; i < nTrain; i++)
      writePng(join(root, 'train/good', name(i)), size, texture(cat, size, rng), channels, tint);
    const nGood = Math.floor(nTest / 2);
    for (let i = 0; i < nGood; i++)
      writePng(join(root, 'test/good', name(i)), size, texture(cat, size, rng), channels, tint);
    const perDefect = new Map<string, number>();
    for (let i = 0; i < nTest - nGood; i++) {
      const kind = defects[i % defects.length];
      const k = perDefect.get(kind) ?? 0;
      perDefect.set(kind, k + 1);
      const img = texture(cat, size, rng);
      const mask = paintDefect(kind, img, size, rng);
      mkdirSync(join(root, 'test', kind), { recursive: true });
      mkdirSync(join(root, 'ground_truth', kind), { recursive: true });
      writePng(join(root, 'test', kind, name(k)), size, img, channels, tint);
      writeMask(join(root, 'ground_truth', kind, `${String(k).padStart(3, '0')}_mask.png`), size, mask);
    }
    counts[cat] = { train: nTrain, testGood: nGood, testDefective: nTest - nGood };
  }
  return { root: dir, categories, counts };
}
