/**
 * Parsing and validation of tfjs `model.json` + weight files, shared by the file and HTTP IOHandlers: JSON errors,
 * GraphModels (inference-only) and weight byte-length mismatches become typed errors that name the file, before tfjs
 * sees the data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '../errors.js';

/** Bytes per element of a weight entry (after quantization, if any). */
function bytesPerElement(spec: tf.io.WeightsManifestEntry, source: string): number {
  const q = spec.quantization?.dtype;
  if (q) {
    if (q === 'uint8') return 1;
    if (q === 'uint16' || q === 'float16') return 2;
    throw new ModelFormatError(`${source}: weight '${spec.name}' has unknown quantization dtype '${q}'`);
  }
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      throw new ModelFormatError(`${source}: weight '${spec.name}' has unsupported dtype '${String(spec.dtype)}'`);
  }
}

/** Largest total weight size a model.json may declare: what one Node.js buffer can hold. */
export const MAX_WEIGHT_BYTES = 2 ** 32 - 1;

/** Total byte length the weight specs describe (a safe integer; more than {@link MAX_WEIGHT_BYTES} is refused). */
export function weightsByteLength(specs: tf.io.WeightsManifestEntry[], source = 'model.json'): number {
  let total = 0;
  for (const s of specs) {
    if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFormatError(`${source}: weight '${s.name}' has an invalid shape ${JSON.stringify(s.shape)}`, {
        file: source,
      });
    }
    total += s.shape.reduce((a, d) => a * d, 1) * bytesPerElement(s, source);
    if (!Number.isSafeInteger(total) || total > MAX_WEIGHT_BYTES) {
      throw new ModelFormatError(
        `${source}: the weights manifest declares more than ${MAX_WEIGHT_BYTES} bytes of weights (at '${s.name}', shape ${JSON.stringify(s.shape)}); refusing to load it`,
        { file: source, weight: s.name },
      );
    }
  }
  return total;
}

/** The explanation given when a GraphModel is passed where a LayersModel is needed. */
export const GRAPH_MODEL_MESSAGE =
  'is a TensorFlow.js GraphModel (format "graph-model"). GraphModels are inference-only in tfjs: they have no ' +
  'trainable layers or variables (tfjs#4531), so they cannot be fine-tuned. Convert the original Keras model to a ' +
  'LayersModel instead, e.g. `tensorflowjs_converter --input_format keras model.h5 out_dir/` or ' +
  '`--input_format keras_saved_model --output_format tfjs_layers_model saved_model_dir out_dir/`, and load that.';

/**
 * Parses and validates the text of a LayersModel `model.json`. Throws ModelFormatError (naming `source`) for
 * invalid JSON, a GraphModel, a missing topology or a missing/invalid weights manifest.
 * @param text file contents.
 * @param source file path or URL, for messages.
 */
export function parseModelJson(text: string, source: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(
      `${source} is not valid JSON: ${(err as Error).message}`,
      { file: source },
      { cause: err },
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFormatError(`${source} must contain a JSON object (tfjs model.json)`, { file: source });
  }
  const m = json as Record<string, unknown>;
  const topo = m.modelTopology as Record<string, unknown> | undefined;
  const isGraph =
    m.format === 'graph-model' ||
    (topo !== undefined && topo !== null && typeof topo === 'object' && Array.isArray(topo.node));
  if (isGraph) throw new ModelFormatError(`${source} ${GRAPH_MODEL_MESSAGE}`, { file: source, format: 'graph-model' });
  if (m.format !== undefined && m.format !== 'layers-model') {
    throw new ModelFormatError(`${source}: unsupported model format '${String(m.format)}' (expected 'layers-model')`, {
      file: source,
    });
  }
  if (!topo || typeof topo !== 'object') {
    throw new ModelFormatError(`${source} has no modelTopology: not a tfjs LayersModel model.json`, { file: source });
  }
  const topology = (topo.model_config ?? topo) as Record<string, unknown>;
  if (typeof topology.class_name !== 'string') {
    throw new ModelFormatError(`${source}: modelTopology has no class_name (not a Keras/tfjs LayersModel topology)`, {
      file: source,
    });
  }
  validateLayersTopology(topo, source);
  const manifest = m.weightsManifest;
  if (manifest === undefined) {
    m.weightsManifest = [];
  } else {
    validateWeightsManifest(manifest, source);
  }
  return m as unknown as tf.io.ModelJSON;
}

const WEIGHT_DTYPES = new Set(['float32', 'int32', 'bool', 'complex64']);
const QUANT_DTYPES = new Set(['uint8', 'uint16', 'float16']);
/** Highest tensor rank accepted in a weights manifest. */
const MAX_WEIGHT_RANK = 8;

/**
 * Validates a `weightsManifest` (from any model.json): an array of `{paths: string[], weights: spec[]}` where each
 * spec has a non-empty string `name`, a `shape` of at most 8 non-negative safe integers, a supported `dtype` and,
 * if present, a `quantization` with a known dtype and finite `scale` / `min`. Throws ModelFormatError naming
 * `source` and the offending entry. Paths are checked for type only here; the file handler confines them.
 * @param manifest the parsed `weightsManifest`.
 * @param source file path or URL, for messages.
 */
export function validateWeightsManifest(
  manifest: unknown,
  source: string,
): asserts manifest is tf.io.WeightsManifestConfig {
  const bad = (what: string) =>
    new ModelFormatError(`${source}: weightsManifest${what}`, {
      file: source,
    });
  if (!Array.isArray(manifest)) throw bad(' must be an array of {paths, weights}');
  manifest.forEach((g: unknown, gi) => {
    if (g === null || typeof g !== 'object' || Array.isArray(g))
      throw bad(`[${gi}] must be an object {paths, weights}`);
    const { paths, weights } = g as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !Array.isArray(weights)) {
      throw bad(`[${gi}] must be an object {paths, weights} with two arrays`);
    }
    paths.forEach((p, pi) => {
      if (typeof p !== 'string' || p.length === 0) {
        throw bad(`[${gi}].paths[${pi}] must be a non-empty string, got ${JSON.stringify(p) ?? String(p)}`);
      }
    });
    weights.forEach((w: unknown, wi) => {
      const at = `[${gi}].weights[${wi}]`;
      if (w === null || typeof w !== 'object' || Array.isArray(w)) throw bad(`${at} must be an object`);
      const spec = w as Record<string, unknown>;
      if (typeof spec.name !== 'string' || spec.name.length === 0) throw bad(`${at}.name must be a non-empty string`);
      const name = `${at} ('${spec.name}')`;
      if (
        !Array.isArray(spec.shape) ||
        spec.shape.length > MAX_WEIGHT_RANK ||
        !spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
      ) {
        throw bad(
          `${name}.shape must be an array of at most ${MAX_WEIGHT_RANK} non-negative integers, got ${JSON.stringify(spec.shape)}`,
        );
      }
      if (typeof spec.dtype !== 'string' || !WEIGHT_DTYPES.has(spec.dtype)) {
        throw bad(`${name}.dtype must be one of ${[...WEIGHT_DTYPES].join(', ')}, got ${JSON.stringify(spec.dtype)}`);
      }
      const q = spec.quantization;
      if (q !== undefined && q !== null) {
        if (typeof q !== 'object' || Array.isArray(q)) throw bad(`${name}.quantization must be an object`);
        const qd = (q as Record<string, unknown>).dtype;
        if (typeof qd !== 'string' || !QUANT_DTYPES.has(qd)) {
          throw bad(
            `${name}.quantization.dtype must be one of ${[...QUANT_DTYPES].join(', ')}, got ${JSON.stringify(qd)}`,
          );
        }
        for (const k of ['scale', 'min'] as const) {
          const v = (q as Record<string, unknown>)[k];
          if (qd !== 'float16' && (typeof v !== 'number' || !Number.isFinite(v))) {
            throw bad(`${name}.quantization.${k} must be a finite number for ${qd} quantization`);
          }
        }
      }
      if (spec.group !== undefined && typeof spec.group !== 'string') throw bad(`${name}.group must be a string`);
    });
  });
}

/** Most layers accepted in one (possibly nested) model topology. */
export const MAX_TOPOLOGY_LAYERS = 10_000;
const MAX_TOPOLOGY_DEPTH = 32;
const MAX_NODE_VISITS = 1_000_000;
const CONTAINER_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

/**
 * Validates the layer graph of a LayersModel topology before tfjs-layers deserialises it. tfjs-layers processes
 * the `inbound_nodes` of a functional model in a loop that never ends when a node waits for a layer that does not
 * exist, for a node index a layer never reaches, or on a cycle (the process hangs at 100 % CPU); this replays that
 * loop on the JSON alone and throws ModelFormatError (naming `source` and the layer) instead. It also checks that
 * layers are objects with a `class_name`, that names are unique strings, that `input_layers` / `output_layers`
 * name existing layers and nodes, and bounds the number of layers ({@link MAX_TOPOLOGY_LAYERS}) and the nesting
 * depth. Nested models (a `Model`, `Functional` or `Sequential` used as a layer) are checked recursively.
 * @param topology the parsed `modelTopology` (optionally wrapped in `model_config`).
 * @param source file path or URL, for messages.
 */
export function validateLayersTopology(topology: unknown, source: string): void {
  const bad = (what: string) => new ModelFormatError(`${source}: modelTopology ${what}`, { file: source });
  let layerCount = 0;
  const visit = (model: unknown, where: string, depth: number): void => {
    if (depth > MAX_TOPOLOGY_DEPTH) throw bad(`nests models more than ${MAX_TOPOLOGY_DEPTH} deep (at ${where})`);
    if (model === null || typeof model !== 'object' || Array.isArray(model)) throw bad(`${where} must be an object`);
    const m = model as Record<string, unknown>;
    const cls = m.class_name;
    if (typeof cls !== 'string') throw bad(`${where} has no class_name`);
    if (!CONTAINER_CLASSES.has(cls)) return;
    const config = m.config;
    if (cls === 'Sequential') {
      const layers = Array.isArray(config) ? config : (config as Record<string, unknown> | undefined)?.layers;
      if (!Array.isArray(layers)) throw bad(`${where}: a Sequential needs config.layers (an array)`);
      layerCount += layers.length;
      if (layerCount > MAX_TOPOLOGY_LAYERS) throw bad(`has more than ${MAX_TOPOLOGY_LAYERS} layers`);
      layers.forEach((l, i) => {
        visit(l, `${where}.layers[${i}]`, depth + 1);
      });
      return;
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw bad(`${where}: a ${cls} needs a config object`);
    }
    const c = config as Record<string, unknown>;
    const layers = c.layers;
    if (!Array.isArray(layers)) throw bad(`${where}: a ${cls} needs config.layers (an array)`);
    layerCount += layers.length;
    if (layerCount > MAX_TOPOLOGY_LAYERS) throw bad(`has more than ${MAX_TOPOLOGY_LAYERS} layers`);
    type NodeRef = [string, number, number];
    const initialNodes = new Map<string, number>();
    const nodesOf = new Map<string, unknown[][]>();
    layers.forEach((l: unknown, i) => {
      const at = `${where}.layers[${i}]`;
      visit(l, at, depth + 1);
      const ld = l as Record<string, unknown>;
      const name = ld.name;
      if (typeof name !== 'string' || name.length === 0) throw bad(`${at} has no name`);
      if (initialNodes.has(name)) throw bad(`${where}: layer name '${name}' is used twice`);
      const lc = ld.config;
      if (lc !== undefined && (lc === null || typeof lc !== 'object' || Array.isArray(lc))) {
        throw bad(`${at} ('${name}'): config must be an object`);
      }
      const cfgName = (lc as Record<string, unknown> | undefined)?.name;
      if (cfgName !== undefined && cfgName !== name) {
        throw bad(`${at}: the layer is named '${name}' but its config names it ${JSON.stringify(cfgName)}`);
      }
      // An InputLayer, and a nested model, own one node from construction; other layers get one per call.
      initialNodes.set(name, ld.class_name === 'InputLayer' || CONTAINER_CLASSES.has(ld.class_name as string) ? 1 : 0);
      const inbound = ld.inbound_nodes ?? [];
      if (!Array.isArray(inbound)) throw bad(`${at} ('${name}'): inbound_nodes must be an array`);
      if (ld.inboundNodes !== undefined) throw bad(`${at} ('${name}'): unexpected key inboundNodes`);
      inbound.forEach((node: unknown, ni) => {
        if (!Array.isArray(node)) throw bad(`${at} ('${name}'): inbound_nodes[${ni}] must be an array`);
        node.forEach((ref: unknown, ri) => {
          if (
            !Array.isArray(ref) ||
            ref.length < 3 ||
            ref.length > 4 ||
            typeof ref[0] !== 'string' ||
            !Number.isSafeInteger(ref[1]) ||
            ref[1] < 0 ||
            !Number.isSafeInteger(ref[2]) ||
            ref[2] < 0 ||
            (ref[3] !== undefined && (ref[3] === null || typeof ref[3] !== 'object' || Array.isArray(ref[3])))
          ) {
            throw bad(
              `${at} ('${name}'): inbound_nodes[${ni}][${ri}] must be [layer name, node index, tensor index, kwargs?], got ${JSON.stringify(ref)}`,
            );
          }
        });
      });
      nodesOf.set(name, inbound as unknown[][]);
    });
    for (const [name, nodes] of nodesOf) {
      for (const node of nodes) {
        for (const ref of node as NodeRef[]) {
          if (!initialNodes.has(ref[0]))
            throw bad(`${where}: layer '${name}' takes input from unknown layer '${ref[0]}'`);
        }
      }
    }
    // Replay of tfjs-layers' Container.fromConfig node loop: a full pass without progress would never end there.
    const count = new Map(initialNodes);
    const pending = new Map<string, unknown[][]>();
    for (const [name, nodes] of nodesOf) if (nodes.length > 0) pending.set(name, [...nodes]);
    let visits = 0;
    while (pending.size > 0) {
      let progressed = false;
      for (const l of layers as Record<string, unknown>[]) {
        const name = l.name as string;
        const queue = pending.get(name);
        if (!queue) continue;
        pending.delete(name);
        for (const node of queue as NodeRef[][]) {
          if (++visits > MAX_NODE_VISITS) {
            throw bad(`${where}: the layer graph needs too many passes to resolve (layers not in topological order)`);
          }
          if (node.every((ref) => (count.get(ref[0]) ?? 0) > ref[1])) {
            progressed = true;
            if (node.length > 0) count.set(name, (count.get(name) ?? 0) + 1);
          } else {
            const q = pending.get(name) ?? [];
            q.push(node);
            pending.set(name, q);
          }
        }
      }
      if (!progressed) {
        const [name, nodes] = pending.entries().next().value as [string, NodeRef[][]];
        const ref = nodes[0].find((r) => (count.get(r[0]) ?? 0) <= r[1]) as NodeRef;
        throw bad(
          `${where}: layer '${name}' waits for node ${ref[1]} of layer '${ref[0]}', which is never created (a cycle or a wrong node index)`,
        );
      }
    }
    for (const key of ['input_layers', 'output_layers'] as const) {
      const refs = c[key];
      if (!Array.isArray(refs)) throw bad(`${where}: config.${key} must be an array`);
      refs.forEach((ref: unknown, i) => {
        if (
          !Array.isArray(ref) ||
          typeof ref[0] !== 'string' ||
          !count.has(ref[0]) ||
          !Number.isSafeInteger(ref[1]) ||
          ref[1] < 0 ||
          ref[1] >= (count.get(ref[0]) ?? 0) ||
          !Number.isSafeInteger(ref[2]) ||
          ref[2] < 0
        ) {
          throw bad(`${where}: config.${key}[${i}] must name an existing layer node, got ${JSON.stringify(ref)}`);
        }
      });
    }
  };
  const t = topology as Record<string, unknown> | null;
  visit(t?.model_config ?? t, 'modelTopology', 0);
}

/**
 * Checks that the concatenated weight bytes match the manifest. Throws ModelFormatError naming the files.
 * @param specs weight specs of the manifest (in order).
 * @param byteLength bytes actually read.
 * @param source the weight file(s), for the message.
 */
export function checkWeightBytes(specs: tf.io.WeightsManifestEntry[], byteLength: number, source: string): void {
  const expected = weightsByteLength(specs, source);
  if (expected !== byteLength) {
    throw new ModelFormatError(
      `${source}: weight data is ${byteLength < expected ? 'shorter' : 'longer'} than the ${expected} bytes the manifest describes (truncated or mismatched files)`,
      { file: source, expected },
    );
  }
}

/** Concatenates buffers into one ArrayBuffer. */
export function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(buffers);
}

/**
 * Replaces `class_name: 'BatchNormalization'` by `'FtBatchNorm'` everywhere in a Keras topology (in place), so that
 * deserialisation creates FtBatchNorm layers. Returns the number of replacements.
 * @param topology parsed `modelTopology`.
 */
export function useFtBatchNormInTopology(topology: unknown): number {
  let n = 0;
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.class_name === 'BatchNormalization' && typeof o.config === 'object') {
        o.class_name = 'FtBatchNorm';
        n++;
      }
      for (const x of Object.values(o)) visit(x);
    }
  };
  visit(topology);
  return n;
}
