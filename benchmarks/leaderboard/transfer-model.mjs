// The model a leaderboard entry trains when it fine-tunes a classifier: a copy of the source with a new head (core
// `prepareTransferModel`), or a fresh ResNet-8 for 'scratch'; the source itself is never touched.
import { cloneModel, prepareTransferModel } from '@ft/core';

/**
 * `{ model, dispose }` for `method` ('full', 'linear-probe' or 'scratch'): `dispose` frees the model and the copy's
 * old head (the model shares the copy's other layers, so neither model.dispose() alone nor disposing both is right).
 */
export async function transferModel(ctx, method) {
  const copy = method === 'scratch' ? null : await cloneModel(ctx.source);
  const model = prepareTransferModel(copy, {
    method,
    numClasses: ctx.data.train.numClasses,
    arch: 'resnet8',
    inputShape: ctx.data.train.shape,
    seed: ctx.seed,
  });
  const dispose = () => {
    const kept = new Set(model.layers);
    model.dispose();
    for (const layer of copy?.layers ?? []) if (!kept.has(layer)) layer.dispose();
  };
  return { model, dispose };
}
