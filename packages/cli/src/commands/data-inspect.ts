import { defineCommand, inspectDataset, loadDatasetSpec } from '@ft/core';

/** `ft data inspect <dataset>`: size, shape, per-class counts and pixel statistics of a dataset split. */
export const dataInspectCommand = defineCommand({
  group: 'data',
  name: 'inspect',
  description: 'Summarise a dataset split (size, shape, class counts, pixel mean/std)',
  positionals: [
    { name: 'dataset', description: 'fashion-mnist | mnist | folder:<dir> | mvtec:<root>/<category>', required: true },
  ],
  examples: ['ft data inspect fashion-mnist', 'ft data inspect folder:photos/ --split test --json'],
  options: { split: { type: 'string', description: 'Split to inspect', choices: ['train', 'test'], default: 'train' } },
  async run(ctx) {
    const ds = await loadDatasetSpec(ctx.positionals[0], { split: ctx.args.split as 'train' | 'test' });
    const summary = inspectDataset(ds);
    // printed once, by the CLI (a table without --json, the JSON object with it)
    return { dataset: ctx.positionals[0], split: ctx.args.split, ...summary } as unknown as Record<string, unknown>;
  },
});
