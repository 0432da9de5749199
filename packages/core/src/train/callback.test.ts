import { describe, expectTypeOf, it } from 'vitest';
import type { Callback, EpochLogs, History, StepLogs, TrainContext } from './callback.js';

describe('callback types', () => {
  it('every hook is optional and may be sync or async', () => {
    const empty: Callback = {};
    const full: Callback = {
      name: 'x',
      onTrainBegin: () => {},
      onEpochBegin: async () => {},
      onStepEnd: (_s: number, _l: StepLogs, _c: TrainContext) => {},
      onEpochEnd: async (_e: number, _l: EpochLogs) => {},
      onTrainEnd: () => {},
      getState: () => ({ a: 1 }),
      setState: () => {},
    };
    expectTypeOf(empty).toMatchTypeOf<Callback>();
    expectTypeOf(full.onEpochEnd).toEqualTypeOf<Callback['onEpochEnd']>();
    expectTypeOf<History['stoppedEarly']>().toEqualTypeOf<boolean>();
    expectTypeOf<StepLogs['gradNorm']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<TrainContext['lastCheckpoint']>().toEqualTypeOf<string | null>();
  });
});
