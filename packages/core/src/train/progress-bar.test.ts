import { describe, expect, it } from 'vitest';
import type { TrainContext } from './callback.js';
import { formatDuration, type ProgressStream, progressBar } from './progress-bar.js';

function stream(isTTY: boolean): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return { isTTY, columns: 200, out, write: (c: string) => out.push(c) };
}

function ctx(extra: Partial<TrainContext>): TrainContext {
  return {
    model: undefined as unknown as TrainContext['model'],
    optimizer: undefined as unknown as TrainContext['optimizer'],
    step: 0,
    epoch: 0,
    stepInEpoch: 0,
    stopTraining: false,
    lastCheckpoint: null,
    resumed: false,
    history: { epochs: [], steps: 0, stoppedEarly: false },
    log: () => {},
    ...extra,
  };
}

describe('formatDuration', () => {
  it('m:ss below an hour, h:mm:ss above, ? for invalid', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(125)).toBe('2:05');
    expect(formatDuration(3600 + 61)).toBe('1:01:01');
    expect(formatDuration(-1)).toBe('?');
    expect(formatDuration(Number.NaN)).toBe('?');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});

describe('progressBar', () => {
  it('draws epoch, bar, step count, mean loss and lr; a summary line ends each epoch', () => {
    const s = stream(true);
    const pb = progressBar({ stream: s, width: 10, minIntervalMs: 0 });
    const c = ctx({ epochs: 2, stepsPerEpoch: 4 });
    pb.onEpochBegin?.(0, c);
    c.stepInEpoch = 1;
    c.step = 1;
    pb.onStepEnd?.(0, { loss: 1, lr: 0.1, batchSize: 8, epoch: 0, stepInEpoch: 0 }, c);
    c.stepInEpoch = 2;
    c.step = 2;
    pb.onStepEnd?.(1, { loss: 0.5, lr: 0.1, batchSize: 8, epoch: 0, stepInEpoch: 1 }, c);
    const last = s.out[s.out.length - 1];
    expect(last.startsWith('\r\x1b[2K')).toBe(true);
    expect(last).toContain('epoch 1/2 [====>     ] 2/4 loss 0.7500 lr 1.00e-1');
    expect(last).toMatch(/img\/s ETA \d+:\d\d$/);
    pb.onEpochEnd?.(0, { loss: 0.75, lr: 0.1, val_loss: 0.5 }, c);
    expect(s.out[s.out.length - 2]).toContain('epoch 1/2 loss 0.7500 val_loss 0.5000');
    expect(s.out[s.out.length - 1]).toBe('\n');
  });

  it('without a known epoch length shows the step number; lines are cut to the terminal width', () => {
    const s = stream(true);
    s.columns = 20;
    const pb = progressBar({ stream: s, minIntervalMs: 0 });
    const c = ctx({});
    pb.onEpochBegin?.(0, c);
    c.stepInEpoch = 3;
    pb.onStepEnd?.(2, { loss: 2, lr: 1, batchSize: 1, epoch: 0, stepInEpoch: 2 }, c);
    const text = s.out[0].slice('\r\x1b[2K'.length);
    expect(text).toBe('epoch 1 step 3 loss '.slice(0, 19));
  });

  it('writes nothing on a non-TTY stream', () => {
    const s = stream(false);
    const pb = progressBar({ stream: s, minIntervalMs: 0 });
    const c = ctx({ stepsPerEpoch: 1 });
    pb.onEpochBegin?.(0, c);
    c.stepInEpoch = 1;
    pb.onStepEnd?.(0, { loss: 1, lr: 1, batchSize: 1, epoch: 0, stepInEpoch: 0 }, c);
    pb.onEpochEnd?.(0, { loss: 1, lr: 1 }, c);
    expect(s.out).toEqual([]);
  });
});
