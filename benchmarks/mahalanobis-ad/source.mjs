// The stronger source backbone of the re-run: the same ResNet-8 recipe as zoo:mnist-resnet8 (`ft pretrain --dataset
// mnist --arch resnet8 --seed 0`: SGD + Nesterov, warm-up + cosine, pad-crop, the whole MNIST train split) trained
// for more epochs. Trained once and cached as a zoo entry in .cache/mahalanobis-ad/zoo (not committed): core's
// writeZooEntry records the SHA-256 of its files in the cache's manifest, and loadZooModel refuses a file whose
// checksum differs, so a stale or corrupted cache is an error, never a silently different model.
import path from 'node:path';
import {
  buildBackbone,
  createRng,
  evaluateClassifier,
  listZooModels,
  loadMnist,
  loadZooModel,
  trainClassifier,
  writeZooEntry,
} from '@ft/core';

/** Recipe of the stronger source (the zoo's mnist-resnet8 is this with 10 epochs). */
export const STRONG_SOURCE = { dataset: 'mnist', arch: 'resnet8', seed: 0 };

/** The cache's zoo folder. */
export function strongZooDir(root) {
  return path.join(root, '.cache/mahalanobis-ad/zoo');
}

/** The zoo name of the stronger source trained for `epochs` epochs. */
export function strongSourceName(epochs) {
  return `mnist-resnet8-e${epochs}`;
}

/**
 * Loads the stronger source from the cache (checksums verified), or trains and caches it first.
 * @param {{ root: string, epochs: number, zooDir?: string, log: (m: string) => void, backend: string }} o
 * @returns {Promise<{ model: import('@tensorflow/tfjs-layers').LayersModel, entry: object, trainedNow: boolean }>}
 */
export async function strongSource({ root, epochs, zooDir = strongZooDir(root), log, backend }) {
  const name = strongSourceName(epochs);
  const listed = async () => {
    try {
      return (await listZooModels({ zooDir })).find((e) => e.name === name) ?? null;
    } catch {
      return null; // no manifest yet
    }
  };
  let entry = await listed();
  let trainedNow = false;
  if (!entry) {
    const train = await loadMnist({ split: 'train' });
    const test = await loadMnist({ split: 'test' });
    log(
      `[mahalanobis-ad] training the stronger source ${name}: ResNet-8 on ${train.size} MNIST digits, ${epochs} epochs`,
    );
    const { model } = buildBackbone(STRONG_SOURCE.arch, {
      inputShape: train.shape,
      numClasses: train.numClasses,
      seed: STRONG_SOURCE.seed,
    });
    const t0 = performance.now();
    await trainClassifier(model, train, { epochs, rng: createRng(STRONG_SOURCE.seed).fork('pretrain') });
    const seconds = (performance.now() - t0) / 1000;
    const ev = await evaluateClassifier(model, test);
    entry = await writeZooEntry({
      model,
      zooDir,
      name,
      arch: STRONG_SOURCE.arch,
      inputShape: train.shape,
      numClasses: train.numClasses,
      trainingData: `mnist train split (${train.size} images), seed ${STRONG_SOURCE.seed}, ${epochs} epochs`,
      accuracy: ev.accuracy,
      command: `node benchmarks/mahalanobis-ad/run.mjs --strong-epochs ${epochs} (trainClassifier defaults, as ft pretrain)`,
      backend,
      notes: `training seconds ${seconds.toFixed(1)}`,
    });
    model.dispose();
    trainedNow = true;
    log(
      `[mahalanobis-ad] ${name}: test accuracy ${(100 * ev.accuracy).toFixed(2)} % in ${seconds.toFixed(0)} s, cached in ${zooDir}`,
    );
  }
  const model = await loadZooModel(name, { zooDir });
  return { model, entry, trainedNow };
}

/** Training seconds recorded in a cached entry's notes (NaN when absent). */
export function trainingSeconds(entry) {
  const m = /training seconds ([\d.]+)/.exec(entry?.notes ?? '');
  return m ? Number(m[1]) : Number.NaN;
}
