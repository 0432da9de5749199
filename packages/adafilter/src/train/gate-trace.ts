/**
 * A `fit` callback that follows the gates during training: after every epoch, the fraction of fine-tuned filters per
 * gated layer on a probe set (evaluation gates), checkpointed with the run. It warns about gate collapse (the spec's
 * pitfall: a layer whose fraction stays above 0.99 or below 0.01 for `patience` epochs has turned into plain fine-tuning
 * or a frozen layer).
 */
import type { Callback, ImageDataset } from '@ft/core';
import type { AdaFilterNet } from '../net/adafilter-net.js';
import { gateStats } from './gate-stats.js';

/** One epoch of the trace. */
export interface GateTracePoint {
  epoch: number;
  perLayerMean: number[];
  fineTunedFraction: number;
}

/** The callback with its trace. */
export interface GateTrace extends Callback {
  readonly points: GateTracePoint[];
}

/**
 * @param net the network being trained.
 * @param probe images on which gates are measured (validation data, or a fixed slice of the training set).
 * @param o `patience` (default 3 epochs), `log` for collapse warnings.
 */
export function gateTrace(
  net: AdaFilterNet,
  probe: ImageDataset,
  o: { patience?: number; log?: (msg: string) => void } = {},
): GateTrace {
  const patience = o.patience ?? 3;
  const points: GateTracePoint[] = [];
  const warned = new Set<string>();
  return {
    name: 'adafilter-gate-trace',
    points,
    async onEpochEnd(epoch) {
      const s = await gateStats(net, probe);
      points.push({ epoch, perLayerMean: s.perLayerMean, fineTunedFraction: s.fineTunedFraction });
      if (points.length < patience) return;
      const recent = points.slice(-patience);
      for (const [l, name] of s.layers.entries()) {
        const vals = recent.map((p) => p.perLayerMean[l] as number);
        const side = vals.every((v) => v > 0.99) ? 'fine-tuned' : vals.every((v) => v < 0.01) ? 'pre-trained' : null;
        if (side && !warned.has(`${name}:${side}`)) {
          warned.add(`${name}:${side}`);
          o.log?.(
            `adafilter: gate collapse in '${name}': ${side === 'fine-tuned' ? '> 99%' : '< 1%'} of its filters fine-tuned for ${patience} epochs (the layer acts as ${side === 'fine-tuned' ? 'plain fine-tuning' : 'a frozen pre-trained layer'})`,
          );
        }
      }
    },
    getState: () => points.map((p) => ({ ...p, perLayerMean: [...p.perLayerMean] })),
    setState(state) {
      points.length = 0;
      points.push(...(state as GateTracePoint[]));
    },
  };
}
