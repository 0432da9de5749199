// The transfer pairs of the AdaFilter benchmark: data and source model of each.
//   mnist-fmnist:      zoo:mnist-resnet8 (MNIST digits) → Fashion-MNIST, 10 classes.
//   fmnist04-fmnist59: a ResNet-8 trained here on Fashion-MNIST classes 0–4 → classes 5–9 (relabelled 0–4), the
//                      closer pair; the source is trained once and cached in .cache/adafilter/ (not committed).
import fs from 'node:fs';
import path from 'node:path';
import {
  buildBackbone,
  createRng,
  evaluateClassifier,
  loadFashionMnist,
  loadModel,
  loadModelRef,
  saveModel,
  trainClassifier,
} from '@ft/core';
import { classSubset } from '@ft/core/data';

export const PAIRS = {
  'mnist-fmnist': { label: 'MNIST digits → Fashion-MNIST', numClasses: 10 },
  'fmnist04-fmnist59': { label: 'Fashion-MNIST classes 0–4 → classes 5–9', numClasses: 5 },
};

/** Source settings of the fmnist04 ResNet-8 (recorded on the page). */
export const FMNIST04_SOURCE = { arch: 'resnet8', epochs: 3, lr: 0.05, batchSize: 128, seed: 0 };

/** Loads (or trains and caches) the data and source of a pair. */
export async function loadPair(id, { root, log }) {
  const train = await loadFashionMnist({ split: 'train' });
  const test = await loadFashionMnist({ split: 'test' });
  if (id === 'mnist-fmnist') {
    return { train, test, source: await loadModelRef('zoo:mnist-resnet8'), sourceInfo: 'zoo:mnist-resnet8' };
  }
  if (id !== 'fmnist04-fmnist59') throw new Error(`unknown pair ${id}`);
  const dir = path.join(root, '.cache/adafilter/fmnist04-resnet8');
  const s = FMNIST04_SOURCE;
  const srcTrain = classSubset(train, [0, 1, 2, 3, 4]);
  let source;
  let info;
  if (fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'info.json'))) {
    source = await loadModel(dir);
    info = JSON.parse(fs.readFileSync(path.join(dir, 'info.json'), 'utf8'));
  } else {
    log(`[adafilter] training the fmnist04 source (${s.arch}, ${s.epochs} epochs on ${srcTrain.size} images)`);
    source = buildBackbone(s.arch, { inputShape: [28, 28, 1], numClasses: 5, seed: s.seed }).model;
    const t0 = Date.now();
    await trainClassifier(source, srcTrain, {
      epochs: s.epochs,
      lr: s.lr,
      batchSize: s.batchSize,
      rng: createRng(s.seed),
    });
    const acc = (await evaluateClassifier(source, classSubset(test, [0, 1, 2, 3, 4]))).accuracy;
    info = { ...s, trainImages: srcTrain.size, testAccuracy: acc, seconds: Math.round((Date.now() - t0) / 1000) };
    await saveModel(source, dir);
    fs.writeFileSync(path.join(dir, 'info.json'), `${JSON.stringify(info)}\n`);
  }
  return {
    train: classSubset(train, [5, 6, 7, 8, 9]),
    test: classSubset(test, [5, 6, 7, 8, 9]),
    source,
    sourceInfo: `ResNet-8 trained here on Fashion-MNIST classes 0–4 (${info.trainImages} images, ${info.epochs} epochs, lr ${info.lr}, seed ${info.seed}; test accuracy on classes 0–4 ${(100 * info.testAccuracy).toFixed(1)}%)`,
  };
}
