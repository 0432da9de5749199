import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrayImageDataset } from '../data/dataset.js';
import { InvalidArgumentError } from '../errors.js';
import type { BackboneOptions } from '../models/backbone-spec.js';
import { registerBackbone } from '../models/registry.js';
import { createRng, rngSeed } from '../rng.js';
import { evaluateClassifier, sparseAccuracy, sparseCrossEntropy, trainClassifier } from './classification.js';
import { DEFAULT_TRANSFER_LR, prepareTransferModel, transferRun, transferSteps } from './transfer.js';

/** Two classes of 8×8 images: a bright left half (class 0) or a bright right half (class 1), plus noise. */
function halves(n: number, seed: number): ArrayImageDataset {
  const rng = createRng(seed);
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) {
        const bright = c < 4 === (labels[i] === 0);
        images[i * 64 + r * 8 + c] = Math.min(1, Math.max(0, (bright ? 0.8 : 0.2) + 0.1 * rng.normal()));
      }
  }
  return new ArrayImageDataset({ images, labels, shape: [8, 8, 1], numClasses: 2 });
}

/**
 * A dense-only backbone with the standard tap names (the pure-JS cpu backend trains convolutions far too slowly
 * for unit tests; the transfer logic does not depend on the layer types).
 */
function testMlp(opts: BackboneOptions = {}) {
  const [h, w, c] = opts.inputShape ?? [8, 8, 1];
  const numClasses = opts.numClasses ?? 10;
  const seed = Number(opts.seed ?? 0);
  const input = tfl.input({ shape: [h, w, c] });
  const flat = tfl.layers.flatten({ name: 'flatten' }).apply(input);
  const hidden = tfl.layers
    .dense({
      units: 16,
      activation: 'relu',
      name: 'block1',
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    })
    .apply(flat);
  const bn = tfl.layers.batchNormalization({ name: 'block1_bn' }).apply(hidden);
  const pen = tfl.layers.activation({ activation: 'linear', name: 'penultimate' }).apply(bn);
  const logits = tfl.layers
    .dense({ units: numClasses, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(pen) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits });
  return {
    model,
    spec: {
      arch: 'test-mlp',
      inputShape: [h, w, c],
      numClasses,
      width: 1,
      seed,
      logits: true,
      units: [],
      blocks: ['block1'],
      taps: ['block1', 'penultimate', 'logits'],
      featureDim: 16,
    },
  } as never;
}
registerBackbone('test-mlp', testMlp, { override: true });

const weightsOf = (m: { weights: { read(): tf.Tensor; name: string }[] }) =>
  Object.fromEntries(m.weights.map((w) => [w.name, Array.from(w.read().dataSync())]));

describe('classification losses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sparseCrossEntropy and sparseAccuracy match closed forms', () => {
    const logits = tf.tensor2d([
      [2, 0, 0],
      [0, 1, 3],
    ]);
    const y = tf.tensor1d([0, 1], 'int32');
    const l0 = Math.log(Math.exp(2) + 2) - 2;
    const l1 = Math.log(1 + Math.exp(1) + Math.exp(3)) - 1;
    expect(sparseCrossEntropy(y, logits, { x: logits, y }).dataSync()[0]).toBeCloseTo((l0 + l1) / 2, 5);
    expect(sparseAccuracy(y, logits, { x: logits, y }).dataSync()[0]).toBe(0.5);
  });
});

describe('transfer methods', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const source = () => (testMlp({ inputShape: [8, 8, 1], numClasses: 3, seed: 1 }) as { model: tfl.LayersModel }).model;

  it('linear-probe freezes the backbone and BN statistics; only the new head trains', async () => {
    const src = source();
    const before = weightsOf(src);
    const model = prepareTransferModel(src, { method: 'linear-probe', numClasses: 2, seed: 0 });
    expect(model.outputs[0].shape).toEqual([null, 2]);
    expect(model.trainableWeights.map((w) => w.name).every((n) => n.startsWith('logits'))).toBe(true);
    const train = halves(16, 0);
    const r = await transferRun({
      method: 'linear-probe',
      source: src,
      arch: 'test-mlp',
      train,
      test: halves(8, 1),
      steps: 3,
      seed: 0,
    });
    const after = weightsOf(r.model);
    for (const [name, v] of Object.entries(before)) {
      if (name.startsWith('logits')) continue;
      expect(after[name], name).toEqual(v);
    }
  });

  it('full fine-tuning moves backbone weights; scratch is a fresh model of the same architecture', async () => {
    const src = source();
    const conv0 = Array.from(src.getLayer('block1').getWeights()[0].dataSync());
    const full = await transferRun({
      method: 'full',
      source: src,
      arch: 'test-mlp',
      train: halves(16, 0),
      test: halves(8, 1),
      steps: 2,
      seed: 0,
    });
    expect(Array.from(full.model.getLayer('block1').getWeights()[0].dataSync())).not.toEqual(conv0);
    const scratch = prepareTransferModel(source(), { method: 'scratch', numClasses: 2, arch: 'test-mlp', seed: 5 });
    expect(scratch.countParams()).toBe(
      (testMlp({ inputShape: [8, 8, 1], numClasses: 2 }) as { model: tfl.LayersModel }).model.countParams(),
    );
    expect(() => prepareTransferModel(null, { method: 'full', numClasses: 2, seed: 0 })).toThrow(InvalidArgumentError);
    expect(() => prepareTransferModel(null, { method: 'scratch', numClasses: 2, seed: 0 })).toThrow(/needs `arch`/);
  });

  it("dispose() frees the model and the source's old head: tensor counts return to where they were", async () => {
    const base = { arch: 'test-mlp', train: halves(16, 0), test: halves(8, 1), steps: 2, seed: 0 } as const;
    for (const method of ['full', 'linear-probe'] as const) {
      const before = tf.memory().numTensors;
      const r = await transferRun({ ...base, method, source: source() });
      r.dispose();
      r.dispose(); // idempotent
      expect(tf.memory().numTensors, method).toBe(before);
    }
    // scratch leaves the source alone: the caller still owns (and frees) it
    const before = tf.memory().numTensors;
    const src = source();
    const r = await transferRun({ ...base, method: 'scratch', source: src });
    r.dispose();
    expect(src.getLayer('block1').getWeights()[0].isDisposed).toBe(false);
    src.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a run that fails frees its model and the source's old head before the error goes up", async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    ac.abort();
    await expect(
      transferRun({
        method: 'full',
        source: source(),
        arch: 'test-mlp',
        train: halves(16, 0),
        test: halves(8, 1),
        steps: 2,
        seed: 0,
        signal: ac.signal,
      }),
    ).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns a separable task and evaluates per class', async () => {
    const r = await transferRun({
      method: 'scratch',
      source: null,
      arch: 'test-mlp',
      train: halves(32, 0),
      test: halves(32, 1),
      steps: 25,
      batchSize: 16,
      lr: 0.05,
      seed: 0,
    });
    expect(r.test.accuracy).toBeGreaterThan(0.9);
    const ev = await evaluateClassifier(r.model, halves(32, 1));
    expect(ev.accuracy).toBeCloseTo(r.test.accuracy, 10);
    expect(ev.perClassAccuracy).toHaveLength(2);
    expect(ev.n).toBe(32);
  });

  it("passes momentum and weight decay to the classifier's SGD: the run equals trainClassifier with them", async () => {
    const train = halves(16, 0);
    const opts = { momentum: 0, weightDecay: 0 };
    const r = await transferRun({
      method: 'full',
      source: source(),
      arch: 'test-mlp',
      train,
      test: halves(8, 1),
      steps: 3,
      seed: 3,
      ...opts,
    });
    const rng = createRng(3);
    const model = prepareTransferModel(source(), { method: 'full', numClasses: 2, seed: rngSeed(rng) });
    await trainClassifier(model, train, {
      steps: 3,
      lr: DEFAULT_TRANSFER_LR.full,
      rng: rng.fork('finetune-full'),
      ...opts,
    });
    const values = (m: tfl.LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));
    expect(values(r.model)).toEqual(values(model));
    const withDefaults = await transferRun({
      method: 'full',
      source: source(),
      arch: 'test-mlp',
      train,
      test: halves(8, 1),
      steps: 3,
      seed: 3,
    });
    expect(values(withDefaults.model)).not.toEqual(values(model));
  });

  it('one seed path: seed s is the run of rng createRng(s); both or neither ⇒ InvalidArgumentError', async () => {
    const base = {
      method: 'full' as const,
      arch: 'test-mlp',
      train: halves(16, 0),
      test: halves(8, 1),
      steps: 2,
    };
    const a = await transferRun({ ...base, source: source(), seed: 3 });
    const b = await transferRun({ ...base, source: source(), rng: createRng(3) });
    const values = (m: tfl.LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));
    expect(values(b.model)).toEqual(values(a.model));
    expect(b.history.epochs.map((e) => e.loss)).toEqual(a.history.epochs.map((e) => e.loss));
    // the head is initialised from the stream's name, as prepareTransferModel with the same seed
    const head = prepareTransferModel(source(), { method: 'full', numClasses: 2, seed: 3 });
    const fromName = prepareTransferModel(source(), { method: 'full', numClasses: 2, seed: rngSeed(createRng(3)) });
    expect(values(fromName)).toEqual(values(head));
    await expect(transferRun({ ...base, source: source(), seed: 3, rng: createRng(3) })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(transferRun({ ...base, source: source() })).rejects.toThrow(/either seed .* or rng/);
  });

  it('budgets steps by epochs with floor and cap', () => {
    expect(transferSteps(100, { epochs: 30 })).toBe(200);
    expect(transferSteps(60000, { epochs: 3, batchSize: 128 })).toBe(3 * 469);
    expect(transferSteps(60000, { epochs: 3, maxSteps: 500 })).toBe(500);
    expect(transferSteps(10, { steps: 7 })).toBe(7);
  });
});
