import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import { countParams } from './param-groups.js';
import { buildBackbone, describeBackbone, listBackbones, registerBackbone, unregisterBackbone } from './registry.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterBackbone('myNet');
});

describe('backbone registry', () => {
  it('is pre-populated and filters like timm list_models', () => {
    expect(listBackbones()).toEqual(['bnCnn3', 'cnn4', 'resnet20', 'resnet8', 'smallCnn', 'tinyCnn']);
    expect(listBackbones('resnet*')).toEqual(['resnet20', 'resnet8']);
    expect(listBackbones('*CNN*')).toEqual(['bnCnn3', 'cnn4', 'smallCnn', 'tinyCnn']);
    expect(listBackbones(/^r/)).toEqual(['resnet20', 'resnet8']);
    expect(listBackbones((n) => n.length === 4)).toEqual(['cnn4']);
    expect(describeBackbone('resnet20')).toMatch(/ResNet-20/);
  });

  it('buildBackbone builds with options; unknown names list the available ones', () => {
    const { model, spec } = buildBackbone('tinyCnn', { numClasses: 3, seed: 1 });
    expect(spec.arch).toBe('tinyCnn');
    expect(countParams(model)).toBe(countParams(tinyCnn({ numClasses: 3 }).model));
    expect(() => buildBackbone('vit')).toThrow(InvalidArgumentError);
    expect(() => buildBackbone('vit')).toThrow(/available: bnCnn3, cnn4, resnet20/);
  });

  it('registers custom factories and refuses silent overrides', () => {
    registerBackbone('myNet', (o) => tinyCnn({ ...o, width: 0.25 }));
    expect(listBackbones('my*')).toEqual(['myNet']);
    expect(buildBackbone('myNet').model.getLayer('block1').outputShape).toEqual([null, 14, 14, 8]);
    expect(() => registerBackbone('myNet', tinyCnn)).toThrow(/already registered/);
    registerBackbone('myNet', tinyCnn, { override: true });
    expect(buildBackbone('myNet').model.getLayer('block1').outputShape).toEqual([null, 14, 14, 32]);
  });
});
