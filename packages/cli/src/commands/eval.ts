import { assertModelFitsData, defineCommand, evaluateClassifier, loadDatasetSpec, loadModelRef } from '@ft/core';
import { disposeModels, pct } from './shared.js';

/** `ft eval`: accuracy, loss and per-class accuracy of a saved classifier on a dataset split. */
export const evalCommand = defineCommand({
  name: 'eval',
  description: 'Evaluate a saved classifier on a dataset split',
  examples: [
    'ft eval --model models/fmnist-full --dataset fashion-mnist',
    'ft eval --model zoo:mnist-resnet8 --dataset mnist --json',
  ],
  options: {
    model: { type: 'string', description: 'zoo:<name>, a directory, model.json or URL', required: true },
    dataset: { type: 'string', description: 'fashion-mnist | mnist | folder:<dir>', default: 'fashion-mnist' },
    split: { type: 'string', description: 'Split', choices: ['train', 'test'], default: 'test' },
  },
  async run(ctx) {
    const ds = await loadDatasetSpec(String(ctx.args.dataset), { split: ctx.args.split as 'train' | 'test' });
    const model = await loadModelRef(String(ctx.args.model));
    let ev: Awaited<ReturnType<typeof evaluateClassifier>>;
    try {
      assertModelFitsData(model, ds.shape, `${ctx.args.dataset} (${ctx.args.split})`);
      ev = await evaluateClassifier(model, ds, { signal: ctx.signal });
    } finally {
      disposeModels(model);
    }
    return {
      model: String(ctx.args.model),
      dataset: String(ctx.args.dataset),
      split: String(ctx.args.split),
      n: ev.n,
      accuracy: ev.accuracy,
      accuracyPct: pct(ev.accuracy),
      loss: ev.loss,
      perClassAccuracy: ev.perClassAccuracy,
      backend: ctx.backend.name,
    };
  },
});
