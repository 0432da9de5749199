/**
 * Fuzz pass over the model.json loader (issue 13): seeded mutations of a valid small saved model, each loaded with
 * `loadModel` (model.json parsing and validation, confined weight reads, then tfjs-layers' deserialisation and
 * weight loading). Mutations: byte-level edits of the model.json text (`mutateBytes`), structural JSON edits (a
 * value replaced by another type, a huge or negative number, a key or element deleted or duplicated) and
 * weights.bin length changes. Every mutation must end in a typed error (an FtError) or a valid loaded model: no
 * hang and no untyped crash. `FT_FUZZ_ITERATIONS` sets the count (default 10,000), `FT_FUZZ_SEED` the seed; the run is recorded with
 * `recordFuzz`.
 */
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutateBytes, mutationRng, recordFuzz } from '../../../../test/hostile/harness.js';
import { FtError } from '../../src/errors.js';
import '../../src/models/ft-batch-norm.js'; // registers FtBatchNorm, as importing @ft/core does
import { loadModel, saveModel } from '../../src/models/save-load.js';

const ITERATIONS = Number(process.env.FT_FUZZ_ITERATIONS ?? 10_000);
const SEED = Number(process.env.FT_FUZZ_SEED ?? 20261204);
let tmp: string;
let jsonText: string;
let weights: Uint8Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-fuzz-model-'));
  const input = tfl.input({ shape: [4], name: 'in' });
  let h = tfl.layers.dense({ units: 3, name: 'd1', activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'bn' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'd2', activation: 'softmax' }).apply(h) as tfl.SymbolicTensor;
  const src = path.join(tmp, 'src');
  await saveModel(tfl.model({ inputs: input, outputs: out, name: 'fuzz' }), src);
  jsonText = await fs.readFile(path.join(src, 'model.json'), 'utf8');
  weights = new Uint8Array(await fs.readFile(path.join(src, 'weights.bin')));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container/key pair of a JSON tree (the places a structural mutation can hit). */
function slots(root: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const visit = (v: Json) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        visit(x);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v, key: k });
        visit(x);
      }
    }
  };
  visit(root);
  return out;
}

const WEIRD: Json[] = [
  null,
  true,
  0,
  -1,
  -1e9,
  1e9,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  0.5,
  '',
  'x',
  '../../etc/passwd',
  '/dev/zero',
  [],
  [null],
  {},
  { class_name: 'Dense', config: {} },
];

/** One or two structural edits of the parsed model.json. */
function mutateStructure(text: string, rnd: () => number): string {
  const root = JSON.parse(text) as Json;
  const n = rnd() < 0.7 ? 1 : 2;
  for (let k = 0; k < n; k++) {
    const all = slots(root);
    if (all.length === 0) break;
    const { parent, key } = all[Math.floor(rnd() * all.length)];
    const op = Math.floor(rnd() * 6);
    const cur = (parent as Record<string, Json>)[key as string];
    if (op === 0) (parent as Record<string, Json>)[key as string] = WEIRD[Math.floor(rnd() * WEIRD.length)];
    else if (op === 1 && typeof cur === 'number') {
      (parent as Record<string, Json>)[key as string] = [cur * 1e6, -cur, cur + 1, 1e9, -1][Math.floor(rnd() * 5)];
    } else if (op === 2) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op === 3 && Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(cur));
    else if (op === 4 && typeof cur === 'string') {
      (parent as Record<string, Json>)[key as string] = ['d1', 'd2', 'bn', 'in', 'ghost', `${cur}x`][
        Math.floor(rnd() * 6)
      ];
    } else (parent as Record<string, Json>)[key as string] = typeof cur === 'string' ? 7 : String(cur);
  }
  return JSON.stringify(root);
}

describe('fuzz: model.json loader', () => {
  it(`${ITERATIONS} seeded mutations end in a typed error or a valid model`, async () => {
    const rnd = mutationRng(SEED);
    const dir = path.join(tmp, 'm');
    await fs.mkdir(dir);
    const jsonFile = path.join(dir, 'model.json');
    const weightsFile = path.join(dir, 'weights.bin');
    const jsonBytes = new TextEncoder().encode(jsonText);
    let typedCount = 0;
    let okCount = 0;
    let fullLoads = 0;
    const untyped: string[] = [];
    const codes = new Map<string, number>();
    const kinds = { bytes: 0, structure: 0, weights: 0 };
    const t0 = performance.now();
    let weightsDirty = true;
    for (let i = 0; i < ITERATIONS; i++) {
      const kind = rnd();
      let json: Uint8Array | string = jsonText;
      let w = weights;
      if (kind < 0.35) {
        kinds.bytes++;
        json = mutateBytes(jsonBytes, rnd);
      } else if (kind < 0.9) {
        kinds.structure++;
        json = mutateStructure(jsonText, rnd);
      } else {
        kinds.weights++;
        const delta = [-1, 1, -4, 4, -weights.length, 1024][Math.floor(rnd() * 6)];
        w = new Uint8Array(Math.max(0, weights.length + delta));
        w.set(weights.subarray(0, Math.min(weights.length, w.length)));
      }
      await fs.writeFile(jsonFile, json);
      if (w !== weights || weightsDirty) {
        await fs.writeFile(weightsFile, w);
        weightsDirty = w !== weights;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const model = await Promise.race([
          loadModel(dir),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('HANG: no result after 5 s')), 5000);
          }),
        ]);
        okCount++;
        fullLoads++;
        model.dispose();
      } catch (e) {
        if (e instanceof FtError) {
          typedCount++;
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          if (/cannot build a LayersModel/.test(e.message)) fullLoads++;
        } else {
          untyped.push(`#${i}: ${(e as Error)?.stack?.split('\n').slice(0, 3).join(' ') ?? String(e)}`);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    const ms = performance.now() - t0;
    recordFuzz({ suite: 'core', id: 'fuzz-model-json', count: ITERATIONS, typedCount, okCount, untyped, ms });
    console.log(
      `fuzz-model-json: ${ITERATIONS} mutations (${JSON.stringify(kinds)}) in ${(ms / 1000).toFixed(1)} s: ` +
        `${typedCount} typed ${JSON.stringify(Object.fromEntries(codes))}, ${okCount} ok, ${untyped.length} untyped; ` +
        `${fullLoads} reached tfjs-layers deserialisation`,
    );
    expect(untyped, untyped.slice(0, 5).join('\n')).toEqual([]);
    expect(typedCount + okCount).toBe(ITERATIONS);
    expect(fullLoads).toBeGreaterThan(ITERATIONS / 10);
  });
});
