/** Image files on disk for the data/ tests (not exported from the package). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGBA buffer where pixel (y, x) = fn(y, x) → [r, g, b]. */
export function rgba(w: number, h: number, fn: (y: number, x: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out.set([...fn(y, x), 255], (y * w + x) * 4);
  }
  return out;
}

/** Writes an RGBA buffer as a PNG of the given colour type (0 grey, 2 RGB, 6 RGBA), creating folders. */
export function writePng(path: string, w: number, h: number, data: Uint8Array, colorType: 0 | 2 | 6 = 2): void {
  mkdirSync(dirname(path), { recursive: true });
  const p = new PNG({ width: w, height: h });
  p.data = Buffer.from(data);
  writeFileSync(path, PNG.sync.write(p, { colorType }));
}

/** Writes an RGBA buffer as a quality-95 JPEG, creating folders. */
export function writeJpeg(path: string, w: number, h: number, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, jpeg.encode({ width: w, height: h, data }, 95).data);
}
