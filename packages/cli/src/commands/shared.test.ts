import { buildBackbone, type CommandContext, initBackend, type TrainContext } from '@ft/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliCallbacks, disposeModels, pct } from './shared.js';

beforeAll(async () => {
  await initBackend({ prefer: ['cpu'], ignoreEnv: true });
});

describe('cliCallbacks', () => {
  it('without a TTY (or with --json) logs one line per epoch: epoch e/E, loss to 4 decimals, step', () => {
    const lines: string[] = [];
    const ctx = { json: true, log: (m: string) => lines.push(m) } as unknown as CommandContext;
    const [cb] = cliCallbacks(ctx);
    expect(cb.name).toBe('epochLog');
    cb.onEpochEnd?.(1, { loss: 0.123456, lr: 0.1 }, { epochs: 3, step: 8 } as unknown as TrainContext);
    cb.onEpochEnd?.(0, { loss: 2, lr: 0.1 }, { step: 2 } as unknown as TrainContext);
    expect(lines).toEqual(['epoch 2/3: loss 0.1235, step 8', 'epoch 1: loss 2.0000, step 2']);
  });

  it('on a TTY stdout without --json it is a progress bar', () => {
    const tty = process.stdout.isTTY;
    try {
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      const cbs = cliCallbacks({ json: false, log() {} } as unknown as CommandContext);
      expect(cbs).toHaveLength(1);
      expect(cbs[0].name).not.toBe('epochLog');
    } finally {
      Object.defineProperty(process.stdout, 'isTTY', { value: tty, configurable: true });
    }
  });
});

describe('disposeModels', () => {
  it('disposes models, skips null/undefined, and tolerates models sharing already disposed layers', () => {
    const a = buildBackbone('tinyCnn', { inputShape: [8, 8, 1], numClasses: 2 }).model;
    const input = tfl.input({ shape: [8, 8, 1] });
    const shared = tfl.model({ inputs: input, outputs: a.layers[1].apply(input) as tfl.SymbolicTensor });
    disposeModels(a, null, undefined);
    expect(() => disposeModels(shared)).not.toThrow();
    expect(() => disposeModels(a)).not.toThrow();
  });
});

describe('pct', () => {
  it('rounds a fraction to a percentage with 2 decimals', () => {
    expect(pct(0.123456)).toBe(12.35);
    expect(pct(1)).toBe(100);
    expect(pct(0)).toBe(0);
    expect(pct(2 / 3)).toBe(66.67);
  });
});
