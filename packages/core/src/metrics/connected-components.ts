/**
 * Connected-component labelling of a binary 2-D mask (iterative flood fill, raster order), as used by AUPRO to
 * split ground-truth masks into defect regions. 8-connectivity is the default because anomalib labels regions with
 * OpenCV `cv2.connectedComponents` (default connectivity 8) on CPU and with kornia's 3×3 max-pool propagation
 * (also 8-connected) on GPU, and the MVTec AD evaluation code uses `scipy.ndimage.label` with a 3×3 structure of
 * ones (8-connected) as well.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';

/** Options of {@link labelConnectedComponents}. */
export interface ConnectedComponentsOptions {
  /** 8 (default: edges and corners touch) or 4 (edges only). */
  connectivity?: 4 | 8;
}

/** Result of {@link labelConnectedComponents}. */
export interface ConnectedComponents {
  /** Per pixel (row-major): 0 = background, 1..count = component id in raster order of first pixel. */
  labels: Int32Array;
  /** Number of components. */
  count: number;
  /** sizes[c − 1] = number of pixels of component c. */
  sizes: number[];
}

/**
 * Labels the connected components of the foreground (`mask[i] ≠ 0`) of a row-major `height × width` mask.
 * @param mask row-major pixels; non-zero = foreground.
 * @param options.connectivity 8 (default) or 4.
 */
export function labelConnectedComponents(
  mask: ArrayLike<number>,
  height: number,
  width: number,
  options: ConnectedComponentsOptions = {},
): ConnectedComponents {
  const connectivity = options.connectivity ?? 8;
  if (connectivity !== 4 && connectivity !== 8) {
    throw new InvalidArgumentError(`connectivity must be 4 or 8, got ${connectivity}`, { parameter: 'connectivity' });
  }
  if (mask.length !== height * width) {
    throw new ShapeError(`mask has length ${mask.length} but height × width = ${height} × ${width}`, {
      parameter: 'mask',
    });
  }
  const offsets: Array<[number, number]> =
    connectivity === 8
      ? [
          [-1, -1],
          [-1, 0],
          [-1, 1],
          [0, -1],
          [0, 1],
          [1, -1],
          [1, 0],
          [1, 1],
        ]
      : [
          [-1, 0],
          [0, -1],
          [0, 1],
          [1, 0],
        ];
  const labels = new Int32Array(height * width);
  const stack = new Int32Array(height * width);
  const sizes: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    count++;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = count;
    while (top > 0) {
      const p = stack[--top];
      size++;
      const r = (p / width) | 0;
      const c = p - r * width;
      for (const [dr, dc] of offsets) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr < 0 || rr >= height || cc < 0 || cc >= width) continue;
        const q = rr * width + cc;
        if (mask[q] !== 0 && labels[q] === 0) {
          labels[q] = count;
          stack[top++] = q;
        }
      }
    }
    sizes.push(size);
  }
  return { labels, count, sizes };
}
