/**
 * `ft hparams similarity` on tiny PNG folder datasets and a tiny seeded conv net (@ft/core/testing), saved as a model
 * folder and as an entry of a throwaway zoo.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '@ft/core';
import { createRng, encodePng, FtError, loadDatasetSpec, loadModelRef, saveModel, writeZooEntry } from '@ft/core';
import { commandContext, tinyConvNet } from '@ft/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainSimilarity } from '../tools/domain-similarity.js';
import { similarity, zooTrainingDataSpec } from './similarity.js';

const dir = mkdtempSync(join(tmpdir(), 'ft-hparams-similarity-'));
const zoo = join(dir, 'zoo');
const modelDir = join(dir, 'model');
const previousZoo = process.env.FT_ZOO_DIR;

/** Writes `folder:<root>` (train/ only): 2 classes of `n` 8×8 images each, drawn by `pixel(class, x, y, noise)`. */
function writeFolder(name: string, n: number, seed: number, pixel: (c: number, x: number, y: number) => number) {
  const root = join(dir, name);
  const rng = createRng(seed);
  for (const c of [0, 1]) {
    const d = join(root, 'train', `c${c}`);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = new Uint8Array(64);
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++)
          px[y * 8 + x] = Math.max(0, Math.min(255, Math.round(pixel(c, x, y) + 20 * rng.normal())));
      writeFileSync(join(d, `${i}.png`), encodePng(px, 8, 8, 1));
    }
  }
  return `folder:${root}`;
}

const halves = (c: number, x: number) => (x < 4 === (c === 0) ? 200 : 40);
let source: string;
let near: string;
let far: string;

beforeAll(async () => {
  source = writeFolder('source', 12, 1, (c, x) => halves(c, x));
  near = writeFolder('near', 12, 2, (c, x) => halves(c, x));
  far = writeFolder('far', 12, 3, (c, x, y) => ((x + y + c) % 2 === 0 ? 255 : 0));
  const model = tinyConvNet({ classes: 2, seed: 4 });
  await saveModel(model, modelDir);
  await writeZooEntry({
    model,
    zooDir: zoo,
    name: 'tiny-src',
    trainingData: `${source} train split (24 images), seed 4`,
    accuracy: 0.5,
    command: 'test fixture',
  });
  model.dispose();
  process.env.FT_ZOO_DIR = zoo;
});
afterAll(() => {
  if (previousZoo === undefined) delete process.env.FT_ZOO_DIR;
  else process.env.FT_ZOO_DIR = previousZoo;
  rmSync(dir, { recursive: true, force: true });
});

const run = async (args: CommandContext['args']) =>
  (await similarity.run(commandContext(similarity, args))) as unknown as {
    emd: number;
    similarity: number;
    gamma: number;
    sourceData: string;
    sourceImages: number;
    targetImages: number;
    sourceClasses: number[];
  };

describe('ft hparams similarity', () => {
  it("EMD on the model's penultimate features equals domainSimilarity's, and the near target ranks above the far one", async () => {
    const r = await run({ source: modelDir, 'source-data': source, target: near });
    const model = await loadModelRef(modelDir);
    const direct = await domainSimilarity({
      source: await loadDatasetSpec(source, { split: 'train', size: 8, channels: 1 }),
      target: await loadDatasetSpec(near, { split: 'train', size: 8, channels: 1 }),
      extractor: model,
    });
    model.dispose();
    expect(r.emd).toBeCloseTo(direct.emd, 10);
    expect(r.gamma).toBe(0.01);
    expect(r.similarity).toBeCloseTo(Math.exp(-0.01 * r.emd), 12);
    expect(r).toMatchObject({ sourceImages: 24, targetImages: 24, sourceClasses: [0, 1] });
    const rFar = await run({ source: modelDir, 'source-data': source, target: far });
    expect(rFar.emd).toBeGreaterThan(r.emd);
    expect(rFar.similarity).toBeLessThan(r.similarity);
    // γ scales the exponent only.
    const g = await run({ source: modelDir, 'source-data': source, target: far, gamma: 0.5 });
    expect(g.emd).toBeCloseTo(rFar.emd, 10);
    expect(g.similarity).toBeCloseTo(Math.exp(-0.5 * rFar.emd), 12);
  });

  it('a zoo source defaults its source data to the training set its manifest entry records', async () => {
    const r = await run({ source: 'zoo:tiny-src', target: near });
    expect(r.sourceData).toBe(source);
    const byPath = await run({ source: modelDir, 'source-data': source, target: near });
    expect(r.emd).toBeCloseTo(byPath.emd, 10);
  });

  it('--limit keeps a seeded subset of each dataset', async () => {
    const a = await run({ source: modelDir, 'source-data': source, target: near, limit: 10 });
    const b = await run({ source: modelDir, 'source-data': source, target: near, limit: 10 });
    expect(a).toMatchObject({ sourceImages: 10, targetImages: 10 });
    expect(a.emd).toBe(b.emd);
  });

  it('refuses a model path without --source-data, and an unknown zoo name', async () => {
    for (const [args, re] of [
      [{ source: modelDir, target: near }, /give --source-data <dataset>/],
      [{ source: 'zoo:nope', target: near }, /records no training set .*no such entry/],
    ] as const) {
      let err: unknown;
      try {
        await run(args);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FtError);
      expect((err as FtError).code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(re);
    }
  });

  it('reads the dataset of a zoo entry from its trainingData', () => {
    expect(zooTrainingDataSpec('mnist train split (7996 images), seed 0, 10 epochs')).toBe('mnist');
    expect(zooTrainingDataSpec('fashion-mnist train split (30000 images), seed 0, 5 epochs')).toBe('fashion-mnist');
    expect(zooTrainingDataSpec('ImageNet-1k')).toBeNull();
    expect(zooTrainingDataSpec(undefined)).toBeNull();
  });
});
