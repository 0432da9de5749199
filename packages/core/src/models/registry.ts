/**
 * Backbone registry in the style of timm's `_registry.py` (`register_model`, `list_models(filter)`,
 * `create_model(name)`): builders are looked up by name, and method packages or users can add their own.
 * Pre-populated with `tinyCnn`, `cnn4`, `bnCnn3`, `smallCnn`, `resnet8`, `resnet20`.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Backbone, BackboneOptions } from './backbone-spec.js';
import { bnCnn3, cnn4, smallCnn, tinyCnn } from './cnns.js';
import { resnet8, resnet20 } from './resnet.js';

/** A function that builds a backbone from options. */
export type BackboneFactory = (opts?: BackboneOptions) => Backbone;

/** Registration options. */
export interface RegisterBackboneOptions {
  /** Replace an existing registration of the same name instead of throwing. Default false. */
  override?: boolean;
  /** One-line description, shown by `listBackbones({details: true})`-style tooling. */
  description?: string;
}

interface Entry {
  factory: BackboneFactory;
  description: string;
}

const registry = new Map<string, Entry>();

/**
 * Registers `factory` under `name`. Throws InvalidArgumentError if the name is taken (unless `override`).
 * @param name registry key, e.g. `'resnet20'`.
 * @param factory builder returning `{model, spec}`.
 * @param opts `override` (default false), `description`.
 */
export function registerBackbone(name: string, factory: BackboneFactory, opts: RegisterBackboneOptions = {}): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('registerBackbone: name must be a non-empty string');
  }
  if (typeof factory !== 'function') {
    throw new InvalidArgumentError(`registerBackbone('${name}'): factory must be a function`);
  }
  if (registry.has(name) && !opts.override) {
    throw new InvalidArgumentError(`registerBackbone: '${name}' is already registered (pass {override: true})`);
  }
  registry.set(name, { factory, description: opts.description ?? '' });
}

/** Removes a registration; returns whether it existed. */
export function unregisterBackbone(name: string): boolean {
  return registry.delete(name);
}

function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, 'i');
}

/**
 * Sorted names of the registered backbones, optionally filtered (timm `list_models`): a glob string with `*` and
 * `?` (case-insensitive, e.g. `'resnet*'`), a RegExp, or a predicate on the name.
 * @param filter optional filter; all names when omitted.
 */
export function listBackbones(filter?: string | RegExp | ((name: string) => boolean)): string[] {
  let names = [...registry.keys()];
  if (typeof filter === 'string') {
    const re = globToRegExp(filter);
    names = names.filter((n) => re.test(n));
  } else if (filter instanceof RegExp) {
    names = names.filter((n) => filter.test(n));
  } else if (typeof filter === 'function') {
    names = names.filter(filter);
  }
  return names.sort();
}

/** The description given at registration ('' when none). */
export function describeBackbone(name: string): string {
  return registry.get(name)?.description ?? '';
}

/**
 * Builds the registered backbone `name` (timm `create_model`). Unknown names throw InvalidArgumentError listing the
 * available ones.
 * @param name registry key.
 * @param opts builder options (input shape, classes, width, seed, logits, …).
 */
export function buildBackbone(name: string, opts: BackboneOptions = {}): Backbone {
  const entry = registry.get(name);
  if (!entry) {
    throw new InvalidArgumentError(
      `buildBackbone: unknown backbone '${name}'; available: ${listBackbones().join(', ')}`,
    );
  }
  return entry.factory(opts);
}

registerBackbone('tinyCnn', tinyCnn, { description: 'perf.md TinyCNN: conv32-BN-ReLU-pool, conv64-ReLU-pool, dense' });
registerBackbone('cnn4', cnn4, { description: '4× conv3x3-BN-ReLU 32/32/64/64, pool after 2 and 4, GAP, dense' });
registerBackbone('bnCnn3', bnCnn3, { description: '3× conv3x3-BN-ReLU-maxpool 32/64/128, GAP, dense' });
registerBackbone('smallCnn', smallCnn, { description: 'conv32-conv64 (BN, valid) - pool - FC128 - dense' });
registerBackbone('resnet8', resnet8, { description: 'CIFAR ResNet-8, 16/32/64, projection shortcuts' });
registerBackbone('resnet20', resnet20, { description: 'CIFAR ResNet-20, 16/32/64, projection shortcuts' });
