/**
 * Which convolutions AdaFilter gates, and how gated convolutions group into blocks (for SpotTune-style per-block
 * routing). Project resolution where the paper is silent [I]: every convolution except the stem (a convolution that
 * reads the model input) and 1×1 projection shortcuts (a 1×1 convolution whose output reaches a residual Add, directly
 * or through one BatchNorm) is gated; SpotTune likewise leaves its stem unrouted.
 */
import { InvalidArgumentError } from '@ft/core';
import type { ConvPlan, NetPlan, UnitPlan } from './plan.js';

/** A gated-layer selection: conv names, or a predicate on the conv name. */
export type GatedSelection = string[] | ((convName: string) => boolean);

/** A gated convolution and the BatchNorm that directly follows it (gated BN), if any. */
export interface GatedConv {
  conv: ConvPlan;
  /** The BN whose only input is this conv and which is the conv's only consumer. */
  bn?: string;
  /** Block key: gated convs with the same key share one per-block decision. */
  block: string;
}

function consumers(plan: NetPlan): Map<string, UnitPlan[]> {
  const out = new Map<string, UnitPlan[]>();
  for (const u of plan.units) {
    for (const i of u.inputs) out.set(i, [...(out.get(i) ?? []), u]);
  }
  return out;
}

/** True for a projection shortcut: 1×1 conv feeding an Add directly or through one BN. */
function isShortcut(conv: ConvPlan, cons: Map<string, UnitPlan[]>): boolean {
  if (conv.kernelSize[0] !== 1 || conv.kernelSize[1] !== 1) return false;
  const next = cons.get(conv.name) ?? [];
  return next.some(
    (u) => u.kind === 'add' || (u.kind === 'bn' && (cons.get(u.name) ?? []).some((v) => v.kind === 'add')),
  );
}

/** The default gated convs: all but the stem and the projection shortcuts. */
export function defaultGated(plan: NetPlan): string[] {
  const cons = consumers(plan);
  return plan.units
    .filter((u): u is ConvPlan => u.kind === 'conv')
    .filter((c) => !c.inputs.includes('input') && !isShortcut(c, cons))
    .map((c) => c.name);
}

/**
 * Resolves the gated convolutions in topological order, with their gated BN and block key. Throws
 * InvalidArgumentError naming a selected layer that does not exist or is not a convolution, or an empty selection.
 */
export function resolveGated(plan: NetPlan, selection?: GatedSelection): GatedConv[] {
  const convs = plan.units.filter((u): u is ConvPlan => u.kind === 'conv');
  let names: string[];
  if (selection === undefined) names = defaultGated(plan);
  else if (typeof selection === 'function') names = convs.map((c) => c.name).filter(selection);
  else {
    const byName = new Map(plan.units.map((u) => [u.name, u]));
    for (const n of selection) {
      const u = byName.get(n);
      if (!u) {
        throw new InvalidArgumentError(
          `adaFilter: gated layer '${n}' does not exist; the convolutions are ${convs.map((c) => c.name).join(', ')}`,
          { layer: n },
        );
      }
      if (u.kind !== 'conv') {
        throw new InvalidArgumentError(`adaFilter: gated layer '${n}' is a ${u.kind} unit, not a convolution`, {
          layer: n,
        });
      }
    }
    names = selection;
  }
  const chosen = new Set(names);
  if (chosen.size === 0) throw new InvalidArgumentError('adaFilter: no convolution is gated');
  const cons = consumers(plan);
  const order = new Map(plan.units.map((u, i) => [u.name, i]));
  const adds = plan.units.filter((u) => u.kind === 'add');
  return convs
    .filter((c) => chosen.has(c.name))
    .map((conv) => {
      const next = cons.get(conv.name) ?? [];
      const only = next.length === 1 ? next[0] : undefined;
      const bn = only?.kind === 'bn' && only.inputs.length === 1 ? only.name : undefined;
      // block = the first residual Add after the conv (both convs of a basic block share it); chains: the conv itself
      const at = order.get(conv.name) as number;
      const add = adds.find((a) => (order.get(a.name) as number) > at);
      const block = add && isInsideBlock(conv, add, plan, order) ? add.name : conv.name;
      return { conv, ...(bn ? { bn } : {}), block };
    });
}

/** True when `conv` lies on a path that ends in `add` (it belongs to that residual block). */
function isInsideBlock(conv: ConvPlan, add: UnitPlan, plan: NetPlan, order: Map<string, number>): boolean {
  const byName = new Map(plan.units.map((u) => [u.name, u]));
  const stack = [...add.inputs];
  const seen = new Set<string>();
  const start = order.get(conv.name) as number;
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (n === conv.name) return true;
    if (seen.has(n) || n === 'input') continue;
    seen.add(n);
    const u = byName.get(n);
    if (u && (order.get(n) as number) > start) stack.push(...u.inputs);
  }
  return false;
}
