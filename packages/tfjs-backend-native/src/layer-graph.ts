/**
 * What the layer fusions of this package may assume about a tfjs-layers model graph, and when.
 *
 * A fusion computes a layer together with the layer that consumes its output (BatchNorm + ReLU, Conv2D +
 * BatchNorm, Add + ReLU). That is only correct while the layer runs as a node of a model whose graph says the
 * consumer is its only reader. Calling the same layer object directly (`layer.apply(t)`), or fetching its output
 * by name (`model.execute(x, name)`), must return the unfused value. So:
 * - {@link patchModelGraphScope} marks the model methods that run a whole graph to its declared outputs (`call`,
 *   used by `apply`; `predictLoop`, used by `predict`/`predictOnBatch`; the functions made by
 *   `makeTrainFunction`/`makeTestFunction`, used by `fit`/`trainOnBatch`/`evaluate`); `model.execute` is not
 *   marked;
 * - {@link soleConsumer} answers for a layer only inside such a run, when the layer is applied once, its output is
 *   read by exactly one layer of the running model taking only that output, and it is not an output of any model
 *   being run.
 * The patches are found through tfjs' serialization registry (no import of tfjs-layers).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of a tfjs-layers Node read here. */
export interface NodeLike {
  outboundLayer?: LayerLike;
  inboundLayers?: unknown[];
}

/** The parts of a tfjs-layers Layer read here. */
export interface LayerLike {
  getClassName?(): string;
  activation?: { getClassName?(): string };
  maxValue?: number | null;
  inboundNodes?: NodeLike[];
  outboundNodes?: NodeLike[];
}

interface ModelLike {
  layers: LayerLike[];
  outputs: { sourceLayer?: unknown }[];
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const PATCHED = Symbol.for('@ft/tfjs-backend-native:graph-scope-patched');
const running: ModelLike[] = [];
const layerSets = new WeakMap<ModelLike, Set<unknown>>();
let patched = false;

/** Runs `fn` with `model` on the stack of models whose graph is being run. */
function inScope<T>(model: ModelLike, fn: () => T): T {
  running.push(model);
  try {
    return fn();
  } finally {
    running.pop();
  }
}

function layersOf(model: ModelLike): Set<unknown> {
  let s = layerSets.get(model);
  if (!s || s.size !== model.layers.length) {
    s = new Set(model.layers);
    layerSets.set(model, s);
  }
  return s;
}

/** True while gradients are recorded (`tf.grad`, `optimizer.minimize`). */
export function recordingGradients(): boolean {
  return ((tf.engine() as unknown as { state?: { gradientDepth?: number } }).state?.gradientDepth ?? 0) > 0;
}

/**
 * The only layer that reads `layer`'s output in the model being run, or null (not inside a model run, applied more
 * than once, read by several layers or by a layer with other inputs, or an output of a running model).
 * @param layer a layer being called.
 */
export function soleConsumer(layer: LayerLike): LayerLike | null {
  const model = running[running.length - 1];
  if (!model) return null;
  if (layer.inboundNodes?.length !== 1 || layer.outboundNodes?.length !== 1) return null;
  const node = layer.outboundNodes[0];
  const next = node.outboundLayer;
  if (!next || node.inboundLayers?.length !== 1 || next.inboundNodes?.length !== 1) return null;
  if (!layersOf(model).has(next)) return null;
  for (const m of running) if (m.outputs.some((o) => o.sourceLayer === layer)) return null;
  return next;
}

/** Whether `layer` is a plain ReLU: `Activation('relu')` or `ReLU()` without a cap. */
export function isPlainRelu(layer: LayerLike): boolean {
  const cls = layer.getClassName?.();
  if (cls === 'Activation') return layer.activation?.getClassName?.() === 'relu';
  return cls === 'ReLU' && (layer.maxValue === null || layer.maxValue === undefined);
}

/** Whether the only reader of `layer`'s output in the running model is a plain ReLU (see {@link soleConsumer}). */
export function onlyReluFollows(layer: LayerLike): boolean {
  const next = soleConsumer(layer);
  return next !== null && isPlainRelu(next);
}

/** Wraps `proto[name]` (on the prototype that owns it) once. */
function wrapMethod(proto: object, name: string, wrap: (original: AnyFn) => AnyFn): void {
  let owner: object | null = proto;
  while (owner && !Object.hasOwn(owner, name)) owner = Object.getPrototypeOf(owner);
  if (!owner) return;
  const target = owner as Record<string | symbol, unknown>;
  if (!target[PATCHED]) target[PATCHED] = new Set<string>();
  const marks = target[PATCHED] as Set<string>;
  if (marks.has(name)) return;
  target[name] = wrap(target[name] as AnyFn);
  marks.add(name);
}

/**
 * Marks the graph runs of tfjs-layers models (see the module comment). Idempotent; needs tfjs-layers loaded.
 * @returns whether the model class is patched.
 */
export function patchModelGraphScope(): boolean {
  if (patched) return true;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.Model as unknown as
    | [{ prototype: object }, unknown]
    | undefined;
  if (!entry) return false;
  const proto = entry[0].prototype;
  const scoped = (original: AnyFn): AnyFn =>
    function (this: unknown, ...args: unknown[]) {
      return inScope(this as ModelLike, () => original.apply(this, args));
    };
  wrapMethod(proto, 'call', scoped);
  wrapMethod(proto, 'predictLoop', scoped);
  wrapMethod(
    proto,
    'makeTrainFunction',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const train = original.apply(this, args) as AnyFn;
        const model = this as ModelLike;
        return (...a: unknown[]) => inScope(model, () => train.apply(undefined, a));
      },
  );
  wrapMethod(
    proto,
    'makeTestFunction',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const out = original.apply(this, args);
        const self = this as { testFunction?: AnyFn };
        const test = self.testFunction;
        if (test) self.testFunction = (...a: unknown[]) => inScope(this as ModelLike, () => test.apply(undefined, a));
        return out;
      },
  );
  patched = true;
  return true;
}
