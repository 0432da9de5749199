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
 * Every patch of a tfjs-layers class goes through {@link wrapLayersMethod}, which finds the class in tfjs'
 * serialization registry (no import of tfjs-layers).
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

/** Any method of a tfjs-layers class. */
export type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const PATCHED = Symbol.for('@ft/tfjs-fused-training:wrapped-methods');
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

/** A replacement for a method, given the method it replaces. */
export type MethodWrapper = (original: AnyFn) => AnyFn;

/**
 * Replaces method `name` of the tfjs-layers class registered in tfjs' serialization map as `className` by
 * `wrap(current)`, once. The replacement is set on that class's own prototype, wrapping what it inherits (tfjs-layers'
 * `Add` inherits `call` from `Merge`, which the other merge layers share). The mark is a global symbol, so an ESM
 * and a CJS copy of this package do not wrap twice.
 * @returns false when the class is not registered (tfjs-layers not loaded).
 */
export function wrapLayersMethod(className: string, name: string, wrap: MethodWrapper): boolean {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className] as unknown as
    | [{ prototype: Record<string | symbol, unknown> }, unknown]
    | undefined;
  if (!entry) return false;
  const proto = entry[0].prototype;
  if (!Object.hasOwn(proto, PATCHED)) proto[PATCHED] = new Set<string>();
  const marks = proto[PATCHED] as Set<string>;
  if (!marks.has(name)) {
    proto[name] = wrap(proto[name] as AnyFn);
    marks.add(name);
  }
  return true;
}

/**
 * Marks the graph runs of tfjs-layers models (see the module comment). Idempotent; needs tfjs-layers loaded.
 * @returns whether the model class is patched.
 */
export function patchModelGraphScope(): boolean {
  if (patched) return true;
  const scoped: MethodWrapper = (original) =>
    function (this: unknown, ...args: unknown[]) {
      return inScope(this as ModelLike, () => original.apply(this, args));
    };
  const ok =
    wrapLayersMethod('Model', 'call', scoped) &&
    wrapLayersMethod('Model', 'predictLoop', scoped) &&
    wrapLayersMethod(
      'Model',
      'makeTrainFunction',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          const train = original.apply(this, args) as AnyFn;
          const model = this as ModelLike;
          return (...a: unknown[]) => inScope(model, () => train.apply(undefined, a));
        },
    ) &&
    wrapLayersMethod(
      'Model',
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
  patched = ok;
  return ok;
}
