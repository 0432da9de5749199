/**
 * A model's input shape checked against the data it is about to see, before any forward pass.
 */
import { ShapeError } from '../errors.js';

/**
 * Throws `ShapeError` (code `SHAPE`) when a model's input shape (without the batch axis) differs from the image shape
 * of the data it is about to see, e.g. a 28×28×1 classifier given 32×32×3 images. Call it before any forward pass,
 * so the user gets the two shapes instead of a layer's internal message.
 */
export function assertModelFitsData(
  model: { name?: string; inputs: readonly { shape: readonly (number | null)[] }[] },
  shape: readonly number[],
  what = 'the dataset',
): void {
  const want = model.inputs[0]?.shape.slice(1) ?? [];
  const fits = want.length === shape.length && want.every((d, i) => d === null || d === shape[i]);
  if (!fits) {
    throw new ShapeError(
      `the model${model.name ? ` '${model.name}'` : ''} takes inputs of shape [${want.map((d) => d ?? '?').join(', ')}], but ${what} has images of shape [${shape.join(', ')}]; use a model trained on images of this size or another dataset`,
      { modelInputShape: want, dataShape: [...shape] },
    );
  }
}
