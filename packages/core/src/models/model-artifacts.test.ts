import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { modelJsonFor } from './file-io-handler.js';
import {
  checkWeightBytes,
  MAX_WEIGHT_BYTES,
  parseModelJson,
  validateLayersTopology,
  validateWeightsManifest,
  weightsByteLength,
} from './model-artifacts.js';

interface LayerEntry {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}
let functionalJson: { modelTopology: { config: { layers: LayerEntry[]; output_layers: unknown[] } } };

beforeAll(async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [4], name: 'in' });
  const h = tfl.layers.dense({ units: 3, name: 'd1' }).apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'd2' }).apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'f' });
  let json: unknown;
  await model.save({
    save: async (a) => {
      json = modelJsonFor(a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  functionalJson = json as typeof functionalJson;
});

const mutated = (f: (layers: LayerEntry[], json: typeof functionalJson) => void) => {
  const j = structuredClone(functionalJson);
  f(j.modelTopology.config.layers, j);
  return JSON.stringify(j);
};
const parseError = (text: string) => {
  try {
    parseModelJson(text, '/m/model.json');
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a ModelFormatError');
};

describe('validateLayersTopology: graphs that hang tfjs-layers are refused', () => {
  it('accepts a valid functional model', () => {
    expect(() => parseModelJson(JSON.stringify(functionalJson), 'm.json')).not.toThrow();
  });

  it('an inbound node from an unknown layer', () => {
    const e = parseError(
      mutated((l) => {
        (l[2].inbound_nodes[0] as unknown[][])[0][0] = 'ghost';
      }),
    );
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/\/m\/model\.json: .*'d2' takes input from unknown layer 'ghost'/);
  });

  it('a node index the layer never reaches', () => {
    const e = parseError(
      mutated((l) => {
        (l[2].inbound_nodes[0] as unknown[][])[0][1] = 5;
      }),
    );
    expect(e.message).toMatch(/waits for node 5 of layer 'd1', which is never created/);
  });

  it('a cycle', () => {
    const e = parseError(
      mutated((l) => {
        (l[1].inbound_nodes[0] as unknown[][])[0][0] = 'd2';
      }),
    );
    expect(e.message).toMatch(/never created \(a cycle/);
  });

  it('node data of the wrong type, duplicated names, config names that differ, bad output refs', () => {
    for (const f of [
      (l: LayerEntry[]) => {
        l[2].inbound_nodes[0] = [7];
      },
      (l: LayerEntry[]) => {
        l[2].inbound_nodes = [{}];
      },
      (l: LayerEntry[]) => {
        l[2].name = 'd1';
        l[2].config.name = 'd1';
      },
      (l: LayerEntry[]) => {
        l[2].config.name = 'other';
      },
      (_: LayerEntry[], j: typeof functionalJson) => {
        j.modelTopology.config.output_layers = [['d2', 3, 0]];
      },
      (l: LayerEntry[]) => {
        (l as unknown[])[1] = 'not a layer';
      },
    ]) {
      expect(parseError(mutated(f))).toBeInstanceOf(ModelFormatError);
    }
  });

  it('loading a hostile topology ends in a typed error instead of spinning', async () => {
    const { loadModel } = await import('./save-load.js');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-topology-'));
    try {
      const json = JSON.parse(
        mutated((l) => {
          (l[2].inbound_nodes[0] as unknown[][])[0][1] = 1;
        }),
      );
      json.weightsManifest = [];
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      const t0 = performance.now();
      await expect(loadModel(dir)).rejects.toThrow(ModelFormatError);
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('bounds nesting depth and layer count', () => {
    let t: unknown = { class_name: 'Dense', config: {} };
    for (let i = 0; i < 40; i++) t = { class_name: 'Sequential', config: { layers: [t] } };
    expect(() => validateLayersTopology(t, 'm.json')).toThrow(/nests models more than/);
    const many = {
      class_name: 'Sequential',
      config: { layers: Array.from({ length: 10_001 }, () => ({ class_name: 'Dense' })) },
    };
    expect(() => validateLayersTopology(many, 'm.json')).toThrow(/more than 10000 layers/);
  });
});

describe('validateWeightsManifest / weightsByteLength', () => {
  const spec = { name: 'w', shape: [2, 3], dtype: 'float32' };
  it('accepts a valid manifest', () => {
    expect(() => validateWeightsManifest([{ paths: ['a.bin'], weights: [spec] }], 'm.json')).not.toThrow();
    expect(weightsByteLength([spec as tf.io.WeightsManifestEntry])).toBe(24);
  });

  it('refuses entries of the wrong type with ModelFormatError naming the entry', () => {
    for (const [m, re] of [
      [{}, /must be an array/],
      [[null], /\[0\] must be an object/],
      [[{ paths: 'a', weights: [] }], /two arrays/],
      [[{ paths: [3], weights: [] }], /paths\[0\] must be a non-empty string/],
      [[{ paths: [], weights: [null] }], /weights\[0\] must be an object/],
      [[{ paths: [], weights: [{ ...spec, name: 5 }] }], /name must be a non-empty string/],
      [[{ paths: [], weights: [{ ...spec, shape: [-1] }] }], /shape must be/],
      [[{ paths: [], weights: [{ ...spec, shape: [1.5] }] }], /shape must be/],
      [[{ paths: [], weights: [{ ...spec, shape: 'x' }] }], /shape must be/],
      [[{ paths: [], weights: [{ ...spec, shape: [1, 1, 1, 1, 1, 1, 1, 1, 1] }] }], /at most 8/],
      [[{ paths: [], weights: [{ ...spec, dtype: 'float64' }] }], /dtype must be one of/],
      [[{ paths: [], weights: [{ ...spec, quantization: 3 }] }], /quantization must be an object/],
      [[{ paths: [], weights: [{ ...spec, quantization: { dtype: 'int4' } }] }], /quantization\.dtype/],
      [[{ paths: [], weights: [{ ...spec, quantization: { dtype: 'uint8', scale: 'x', min: 0 } }] }], /scale/],
    ] as const) {
      expect(() => validateWeightsManifest(m, 'm.json'), JSON.stringify(m)).toThrow(re);
    }
  });

  it('refuses a declared size past what a buffer can hold, before any read', () => {
    const huge = { name: 'w', shape: [1e6, 1e6], dtype: 'float32' } as tf.io.WeightsManifestEntry;
    expect(() => weightsByteLength([huge], 'm.json')).toThrow(new RegExp(`more than ${MAX_WEIGHT_BYTES} bytes`));
    const overflow = { name: 'w', shape: [2 ** 52, 2 ** 52], dtype: 'float32' } as tf.io.WeightsManifestEntry;
    expect(() => weightsByteLength([overflow], 'm.json')).toThrow(ModelFormatError);
  });

  it('checkWeightBytes does not repeat the size found', () => {
    expect(() => checkWeightBytes([spec as tf.io.WeightsManifestEntry], 20, 'w.bin')).toThrow(
      /w\.bin: weight data is shorter than the 24 bytes the manifest describes/,
    );
    try {
      checkWeightBytes([spec as tf.io.WeightsManifestEntry], 20, 'w.bin');
    } catch (e) {
      expect((e as Error).message).not.toContain('20');
    }
  });
});
