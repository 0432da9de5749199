// Analytic compute cost of a forward pass (multiply-accumulates), for standard fine-tuning and for AdaFilter (both
// filter banks of every gated convolution run, plus the gate). BatchNorm, activations and pooling are left out (they
// are a few percent of a small CNN's convolutions); the page states it.
import { adaFilter } from '@ft/adafilter';

/** MACs per image of the source's convolutions and dense layers, by layer name. */
export function layerMacs(model) {
  const out = {};
  for (const l of model.layers) {
    const cls = l.getClassName();
    const w = l.getWeights()[0];
    if (cls === 'Conv2D' && w) {
      const [, h, wd] = l.outputShape;
      const [kh, kw, cin, cout] = w.shape;
      out[l.name] = h * wd * kh * kw * cin * cout;
    } else if (cls === 'Dense' && w) {
      out[l.name] = w.shape[0] * w.shape[1];
    }
  }
  return out;
}

/** Forward MACs per image: fine-tuning vs AdaFilter (second bank of the gated convs + the recurrent gate). */
export function forwardCost(source, numClasses) {
  const macs = layerMacs(source);
  const total = Object.values(macs).reduce((a, b) => a + b, 0);
  const net = adaFilter(source, { numClasses });
  try {
    const gated = net.gatedLayers.reduce((a, n) => a + (macs[n] ?? 0), 0);
    const { embedDim: d, hidden: h } = net.config.gate;
    const inChannels = net.config.plan.units.filter((u) => net.gatedLayers.includes(u.name)).map((u) => u.inChannels);
    const gate =
      inChannels.reduce((a, c) => a + c * d, 0) +
      inChannels.length * (d + h) * 4 * h +
      net.gatedFilters.reduce((a, n) => a + h * 2 * n, 0);
    return { finetune: total, adafilter: total + gated + gate, gatedShare: gated / total, gate };
  } finally {
    net.dispose();
  }
}
