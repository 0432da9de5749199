import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError } from '@ft/core';
import { tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { akcLoss } from './akc.js';
import { arcLoss } from './arc.js';
import { FeatureQueue } from './feature-queue.js';
import { featureTap } from './feature-tap.js';
import { lambdaWarmup } from './warmup.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('featureTap', () => {
  it('returns [features of the layer feeding the head, logits] in one pass, logits equal to the model', () => {
    const m = tinyConvNet({ classes: 3, seed: 1 });
    const x = tf.randomUniform([5, 8, 8, 1], 0, 1, 'float32', 3);
    const [f, logits] = featureTap(m).predict(x) as tf.Tensor[];
    expect(f.shape).toEqual([5, 64]);
    expect(logits.shape).toEqual([5, 3]);
    const direct = m.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(direct, logits))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('a named rank-4 tap is global-average-pooled', () => {
    const m = tinyConvNet({ classes: 3, seed: 1 });
    const conv = m.layers[0].name;
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 4);
    const [f] = featureTap(m, conv).predict(x) as tf.Tensor[];
    const pooled = tf.mean(m.layers[0].apply(x) as tf.Tensor, [1, 2]);
    expect(f.shape).toEqual([2, 4]);
    expect(tf.max(tf.abs(tf.sub(f, pooled))).dataSync()[0]).toBeLessThan(1e-5);
  });

  it('a model without the requested tap: InvalidArgumentError naming the layer', () => {
    const m = tinyConvNet({ classes: 3 });
    expect(() => featureTap(m, 'layer4')).toThrow(InvalidArgumentError);
    expect(() => featureTap(m, 'layer4')).toThrow(/'layer4'/);
  });

  it('AKC + ARC in a training step: only the target moves, the source stays frozen', () => {
    const source = tinyConvNet({ classes: 5, seed: 2 });
    const target = tinyConvNet({ classes: 5, seed: 2 });
    const sTap = featureTap(source);
    const tTap = featureTap(target);
    const queues = { l: new FeatureQueue(16), u: new FeatureQueue(16) };
    const xl = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 5);
    const xu = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 6);
    const sourceBefore = source.getWeights().map((w) => w.dataSync().slice());
    const targetBefore = target.trainableWeights.map((w) => w.read().dataSync().slice());
    const opt = tf.train.sgd(0.5);
    const akcRatios: number[] = [];
    for (let t = 1; t <= 3; t++) {
      opt.minimize(
        () => {
          const x = tf.concat([xl, xu]);
          const [ft, logits] = tTap.apply(x, { training: true }) as tf.Tensor2D[];
          const [fs, ls] = sTap.apply(x, { training: false }) as tf.Tensor2D[];
          const akc = akcLoss(
            { targetFeat: ft, sourceFeat: fs, sourceLogits: ls },
            { numSourceClasses: 5, threshold: 1 },
          );
          akcRatios.push(akc.selectedRatio);
          const arc = arcLoss(
            {
              labeledFeat: tf.slice(ft, [0, 0], [8, -1]),
              labeledLogits: tf.slice(logits, [0, 0], [8, -1]),
              unlabeledFeat: tf.slice(ft, [8, 0], [8, -1]),
              unlabeledLogits: tf.slice(logits, [8, 0], [8, -1]),
              queues,
            },
            { numClasses: 5, threshold: 1, minQueue: 4 },
          );
          const ce = tf.mean(tf.square(logits));
          let loss = tf.add(ce, tf.mul(akc.loss, lambdaWarmup(1, t, { warmupSteps: 2 })));
          if (arc.loss) loss = tf.add(loss, tf.mul(arc.loss, lambdaWarmup(10, t, { warmupSteps: 2 })));
          return loss as tf.Scalar;
        },
        false,
        target.trainableWeights.map((w) => w.read() as tf.Variable),
      );
    }
    expect(akcRatios.every((r) => r > 0)).toBe(true);
    source.getWeights().forEach((w, i) => {
      expect(Array.from(w.dataSync())).toEqual(Array.from(sourceBefore[i]));
    });
    const moved = target.trainableWeights.some((w, i) =>
      w
        .read()
        .dataSync()
        .some((v, k) => v !== targetBefore[i][k]),
    );
    expect(moved).toBe(true);
    expect(queues.l.size).toBe(16);
    queues.l.dispose();
    queues.u.dispose();
  });
});
