import { commandContext } from '@ft/core/testing';
import { describe, expect, it } from 'vitest';
import { commands } from './commands.js';

describe('ft hparams commands', () => {
  it('mounts elr, search, show and similarity, each with examples', () => {
    expect(commands.map((c) => `${c.group} ${c.name}`)).toEqual([
      'hparams elr',
      'hparams search',
      'hparams show',
      'hparams similarity',
    ]);
    for (const c of commands) expect(c.examples?.length, c.name).toBeGreaterThan(0);
  });
});

describe('ft hparams elr', () => {
  const elr = commands.find((c) => c.name === 'elr');

  it('is mounted under the hparams group with examples', () => {
    expect(elr?.group).toBe('hparams');
    expect(elr?.examples?.length).toBeGreaterThan(0);
  });

  it("prints η' = η/(1−m), the η that keeps it at another momentum, and the PyTorch BN momentum", async () => {
    const r = await elr!.run(commandContext(null, { lr: 0.1, momentum: 0, 'to-momentum': 0.9, 'bn-momentum': 0.99 }));
    expect(r).toMatchObject({ lr: 0.1, momentum: 0, effectiveLr: 0.1 });
    expect((r as { atMomentum: { lr: number } }).atMomentum.lr).toBeCloseTo(0.01, 15);
    expect((r as { bnMomentum: { pytorch: number } }).bnMomentum.pytorch).toBeCloseTo(0.01, 15);
    const r2 = await elr!.run(commandContext(null, { lr: 0.01, momentum: 0.9 }));
    expect((r2 as { effectiveLr: number }).effectiveLr).toBeCloseTo(0.1, 15);
  });
});
