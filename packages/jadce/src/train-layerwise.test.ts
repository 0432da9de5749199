import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, NonFiniteLossError, NonFiniteValueError } from '@ft/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePilots } from './simulate.js';
import { trainLayerwise } from './train-layerwise.js';
import { makeSamplePool } from './training-data.js';
import { listaGs } from './unrolled-ista.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('trainLayerwise: abort and non-finite weights', () => {
  const S = makePilots(10, 30, createRng(5));
  const pool = makeSamplePool({ S, M: 4, activity: 0.1, snrDb: 20, count: 64, rng: createRng(6) });

  it('an abort from a timer callback (like a SIGINT handler) stops after the current step', async () => {
    const net = listaGs({ S, T: 3 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    const res = await trainLayerwise(net, pool, { stepsPerStage: 200, batch: 8, rng: createRng(1), signal: ac.signal });
    expect(res.steps).toBeLessThanOrEqual(2);
    net.dispose();
  });

  it('weights that overflow on the last step of a stage throw NonFiniteValueError naming the variable', async () => {
    const net = listaGs({ S, T: 1 });
    const before = tf.memory().numTensors;
    // lr 1e39 is Infinity in float32: the loss of the step is finite, the weights after it are not.
    const err = await trainLayerwise(net, pool, { stepsPerStage: 1, batch: 8, lr: 1e39, rng: createRng(2) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/^trainLayerwise: layer 1, inner stage: variable '.+' .*after step 1/);
    expect(err).not.toBeInstanceOf(NonFiniteLossError);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
