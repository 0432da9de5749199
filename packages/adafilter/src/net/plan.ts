/**
 * The unit plan of a CNN: a LayersModel (a `@ft/core` builder's model or one loaded from disk) read into plain-data
 * units in topological order, with the weights of each unit. AdaFilter rebuilds the network from this plan.
 * Supported layers: InputLayer, Conv2D, BatchNormalization, Activation, ReLU, MaxPooling2D, GlobalAveragePooling2D,
 * Flatten, Dense, Add. Anything else raises {@link UnsupportedLayerError} naming the layer.
 */
import { InvalidArgumentError } from '@ft/core';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A layer AdaFilter cannot rebuild (its name and class are in the message and `details`). */
export class UnsupportedLayerError extends InvalidArgumentError {}

type Activation = 'linear' | 'relu' | 'softmax';

interface Base {
  name: string;
  /** Names of the input units (`'input'` for the model input). */
  inputs: string[];
}
/** 2-D convolution (channels last). */
export interface ConvPlan extends Base {
  kind: 'conv';
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation: [number, number];
  useBias: boolean;
  activation: Activation;
  /** Input channels. */
  inChannels: number;
}
/** BatchNormalization over the last axis. */
export interface BnPlan extends Base {
  kind: 'bn';
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  channels: number;
}
/** Element-wise activation. */
export interface ActPlan extends Base {
  kind: 'act';
  activation: Activation;
}
/** Max pooling or global average pooling. */
export interface PoolPlan extends Base {
  kind: 'pool';
  pool: 'max' | 'gap';
  poolSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
}
/** Flatten to [N, features]. */
export interface FlattenPlan extends Base {
  kind: 'flatten';
}
/** Fully connected layer. */
export interface DensePlan extends Base {
  kind: 'dense';
  units: number;
  inFeatures: number;
  useBias: boolean;
  activation: Activation;
}
/** Sum of two inputs (residual connection). */
export interface AddPlan extends Base {
  kind: 'add';
}
/** One unit of a {@link NetPlan}. */
export type UnitPlan = ConvPlan | BnPlan | ActPlan | PoolPlan | FlattenPlan | DensePlan | AddPlan;

/** A network as plain data: input shape, units in topological order, the output unit. */
export interface NetPlan {
  inputShape: [number, number, number];
  units: UnitPlan[];
  /** Name of the unit whose output is the model output. */
  output: string;
}

const pair = (v: unknown, who: string, key: string): [number, number] => {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0], v[1]];
  throw new UnsupportedLayerError(`${who}: unsupported ${key} ${JSON.stringify(v)}`);
};

const activationOf = (v: unknown, who: string): Activation => {
  const a = v ?? 'linear';
  if (a === 'linear' || a === 'relu' || a === 'softmax') return a;
  throw new UnsupportedLayerError(`${who}: unsupported activation '${String(a)}' (supported: linear, relu, softmax)`);
};

/**
 * Reads `model` into a {@link NetPlan} and the weights of each unit (the model's own tensors, not copies).
 * Throws {@link UnsupportedLayerError} naming the first layer AdaFilter cannot rebuild, and InvalidArgumentError for
 * a model that is not a single-input, single-output image model.
 */
export function planFromModel(model: tfl.LayersModel): { plan: NetPlan; weights: Map<string, tf.Tensor[]> } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new InvalidArgumentError(
      `planFromModel: '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; AdaFilter needs one of each`,
    );
  }
  const inShape = model.inputs[0]?.shape.slice(1) ?? [];
  if (inShape.length !== 3 || !inShape.every((d) => typeof d === 'number' && d > 0)) {
    throw new InvalidArgumentError(`planFromModel: '${model.name}' input shape must be [H, W, C], got [${inShape}]`);
  }
  const units: UnitPlan[] = [];
  const weights = new Map<string, tf.Tensor[]>();
  const known = new Set<string>();
  const alias = new Map<string, string>();
  const resolve = (n: string) => alias.get(n) ?? n;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const name = layer.name;
    const who = `layer '${name}' (${cls})`;
    if (cls === 'InputLayer') {
      alias.set(name, 'input');
      continue;
    }
    if (layer.inboundNodes.length !== 1) {
      throw new UnsupportedLayerError(
        `${who} is called ${layer.inboundNodes.length} times; AdaFilter needs a plain graph`,
        { layer: name, className: cls },
      );
    }
    const inbound = (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) =>
      known.has(l.name) ? resolve(l.name) : 'input',
    );
    const cfg = layer.getConfig() as Record<string, unknown>;
    const inShapes = layer.inboundNodes[0]?.inputShapes as unknown;
    const firstShape = (Array.isArray((inShapes as unknown[])[0]) ? (inShapes as number[][])[0] : inShapes) as number[];
    const lastDim = firstShape[firstShape.length - 1] as number;
    const ws = layer.getWeights();
    let unit: UnitPlan;
    switch (cls) {
      case 'Conv2D': {
        if ((cfg.dataFormat ?? 'channelsLast') !== 'channelsLast' || (cfg.groups ?? 1) !== 1) {
          throw new UnsupportedLayerError(`${who}: only channels-last, ungrouped convolutions are supported`, {
            layer: name,
            className: cls,
          });
        }
        unit = {
          kind: 'conv',
          name,
          inputs: inbound,
          filters: cfg.filters as number,
          kernelSize: pair(cfg.kernelSize, who, 'kernelSize'),
          strides: pair(cfg.strides ?? 1, who, 'strides'),
          padding: cfg.padding === 'same' ? 'same' : 'valid',
          dilation: pair(cfg.dilationRate ?? 1, who, 'dilationRate'),
          useBias: cfg.useBias !== false,
          activation: activationOf(cfg.activation, who),
          inChannels: lastDim,
        };
        break;
      }
      case 'BatchNormalization': {
        const axis = cfg.axis as number;
        if (axis !== -1 && axis !== firstShape.length - 1) {
          throw new UnsupportedLayerError(`${who}: only BatchNorm over the last axis is supported (axis ${axis})`, {
            layer: name,
            className: cls,
          });
        }
        unit = {
          kind: 'bn',
          name,
          inputs: inbound,
          momentum: cfg.momentum as number,
          epsilon: cfg.epsilon as number,
          center: cfg.center !== false,
          scale: cfg.scale !== false,
          channels: lastDim,
        };
        break;
      }
      case 'Activation':
        unit = { kind: 'act', name, inputs: inbound, activation: activationOf(cfg.activation, who) };
        break;
      case 'ReLU':
        if (cfg.maxValue != null)
          throw new UnsupportedLayerError(`${who}: ReLU with maxValue is not supported`, {
            layer: name,
            className: cls,
          });
        unit = { kind: 'act', name, inputs: inbound, activation: 'relu' };
        break;
      case 'MaxPooling2D':
        unit = {
          kind: 'pool',
          name,
          inputs: inbound,
          pool: 'max',
          poolSize: pair(cfg.poolSize, who, 'poolSize'),
          strides: pair(cfg.strides ?? cfg.poolSize, who, 'strides'),
          padding: cfg.padding === 'same' ? 'same' : 'valid',
        };
        break;
      case 'GlobalAveragePooling2D':
        unit = {
          kind: 'pool',
          name,
          inputs: inbound,
          pool: 'gap',
          poolSize: [1, 1],
          strides: [1, 1],
          padding: 'valid',
        };
        break;
      case 'Flatten':
        unit = { kind: 'flatten', name, inputs: inbound };
        break;
      case 'Dense':
        unit = {
          kind: 'dense',
          name,
          inputs: inbound,
          units: cfg.units as number,
          inFeatures: lastDim,
          useBias: cfg.useBias !== false,
          activation: activationOf(cfg.activation, who),
        };
        break;
      case 'Add':
        if (inbound.length !== 2)
          throw new UnsupportedLayerError(`${who}: Add of ${inbound.length} inputs (need 2)`, {
            layer: name,
            className: cls,
          });
        unit = { kind: 'add', name, inputs: inbound };
        break;
      default:
        throw new UnsupportedLayerError(
          `${who} is not supported by AdaFilter (supported: Conv2D, BatchNormalization, Activation, ReLU, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, Add)`,
          { layer: name, className: cls },
        );
    }
    units.push(unit);
    weights.set(name, ws);
    known.add(name);
  }
  const outLayer = model.outputs[0]?.sourceLayer.name as string;
  return {
    plan: { inputShape: inShape as [number, number, number], units, output: resolve(outLayer) },
    weights,
  };
}
