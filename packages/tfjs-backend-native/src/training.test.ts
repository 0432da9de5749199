import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackend } from './backend.js';
import { nativeInfo, setThreads } from './register.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { resnet, tinyCnn } from './testing/models.js';
import { testRng } from './testing/rng.js';

async function trainResnet8(backendName: string, weights: Float32Array[], steps: number): Promise<number[]> {
  await tf.setBackend(backendName);
  const model = resnet(1, [16, 16, 3]);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
  const g = testRng(12);
  const x = tf.tensor4d(g.normal(4 * 16 * 16 * 3), [4, 16, 16, 3]);
  const y = tf.oneHot(tf.tensor1d([3, 7, 1, 0], 'int32'), 10);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  tf.dispose([x, y]);
  model.dispose();
  return losses;
}

describe.runIf(nativeTestsEnabled())('training on ft-native', () => {
  let threadsBefore = 2;
  beforeAll(async () => {
    await useNative();
    threadsBefore = nativeInfo().threads ?? 2;
  });

  it('ResNet-8 (16×16×3, batch 4): 3 SGD-momentum steps give the same losses as cpu to 1e-4', async () => {
    const init = resnet(1, [16, 16, 3]);
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    const nat = await trainResnet8('ft-native', weights, 3);
    const ref = await trainResnet8('cpu', weights, 3);
    await tf.setBackend('ft-native');
    console.log(`ResNet-8 losses ft-native ${nat.map((l) => l.toFixed(6))} cpu ${ref.map((l) => l.toFixed(6))}`);
    expect(nat[2]).toBeLessThan(nat[0]); // it learns
    for (const [i, l] of nat.entries()) expect(Math.abs(l - ref[i]), `step ${i}`).toBeLessThan(1e-4);
  }, 60_000);

  it('leaks neither tensors nor pooled buffers over 1,000 training steps', async () => {
    // Tiny tensors: one thread keeps this fast even when the machine is busy (it checks memory, not speed).
    setThreads(1);
    const model = tinyCnn([8, 8, 1], 3, 4);
    model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
    const g = testRng(2);
    const x = tf.tensor4d(g.normal(8 * 8 * 8), [8, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    const pool = () => (tf.backend() as unknown as NativeBackend).pool.getStats();
    for (let i = 0; i < 20; i++) await model.trainOnBatch(x, y); // warm up: optimizer slots, pool sizes
    const tensors = tf.memory().numTensors;
    const p0 = pool();
    let last = 0;
    for (let i = 0; i < 1000; i++) last = (await model.trainOnBatch(x, y)) as number;
    const p1 = pool();
    expect(Number.isFinite(last)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(p1.buffersLive).toBe(p0.buffersLive);
    expect(p1.bytesHeld).toBeLessThanOrEqual(p0.bytesHeld);
    expect(p1.misses).toBe(p0.misses); // steady state: every output buffer comes from the pool
    tf.dispose([x, y]);
    model.dispose();
    setThreads(threadsBefore);
  }, 60_000);
});
