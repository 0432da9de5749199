/**
 * CIFAR-style ResNets (He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2,
 * arXiv 1512.03385): a 3×3 stem conv with 16 channels, three stages of n basic blocks with 16/32/64 channels
 * (× `width`), stride 2 at the first block of stages 2 and 3, global average pooling and a dense head;
 * depth = 6n + 2 (ResNet-8: n = 1, ResNet-20: n = 3).
 *
 * Departure from the paper: where the shape changes, the shortcut is a 1×1 strided projection conv + BN (the paper's
 * option B; its CIFAR nets use option A, zero-padding identity). This matches research/perf.md and costs
 * 16·32 + 32·64 = 2,560 extra conv weights (+ 2 BN layers) at width 1, so ResNet-20 has 272,474 trainable
 * parameters instead of 269,722 (the paper's "0.27M") for 10 classes.
 *
 * Layer names: stem `stem_conv`, `stem_bn`, `stem`; blocks numbered across stages `block1..3n` with
 * `blockK_conv1`, `blockK_bn1`, `blockK_relu1`, `blockK_conv2`, `blockK_bn2`, optional `blockK_proj` /
 * `blockK_proj_bn`, `blockK_add`, and `blockK` (the ReLU after the add = block output); then `gap`, `penultimate`
 * (identity, 64·width features), `logits`.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Backbone, BackboneOptions, BackboneSpec } from './backbone-spec.js';
import { NetBuilder, resolveBackboneOptions } from './backbone-spec.js';

/** Options of {@link resnetCifar}. */
export interface ResNetOptions extends BackboneOptions {
  /** Depth 6n + 2 (8, 14, 20, 32, 44, 56, …). Default 20. */
  depth?: number;
}

/** A ResNet's spec also lists its stages as block-name arrays. */
export interface ResNetSpec extends BackboneSpec {
  /** `stages[s]` = block names of stage s+1; the last one is the stage output tap. */
  stages: string[][];
}

/**
 * CIFAR ResNet of depth 6n + 2 (see file header). Default input 32×32×3, 10 classes, width 1.
 * @param opts builder options plus `depth` (default 20).
 */
export function resnetCifar(opts: ResNetOptions = {}): Backbone & { spec: ResNetSpec } {
  const depth = opts.depth ?? 20;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new InvalidArgumentError(`resnetCifar: depth must be 6n + 2 with n ≥ 1 (8, 14, 20, …), got ${depth}`);
  }
  const n = (depth - 2) / 6;
  const arch = `resnet${depth}`;
  const b = new NetBuilder(arch, resolveBackboneOptions(arch, opts, [32, 32, 3]));
  let x = b.conv(b.input, 'stem_conv', 'stem', { filters: b.ch(16) });
  x = b.bn(x, 'stem_bn', 'stem');
  x = b.act(x, 'stem', 'stem');
  let inCh = b.ch(16);
  let k = 0;
  const stages: string[][] = [];
  for (const [s, c] of [16, 32, 64].entries()) {
    const out = b.ch(c);
    const stage: string[] = [];
    for (let i = 0; i < n; i++) {
      k++;
      const block = `block${k}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      let h = b.conv(x, `${block}_conv1`, block, { filters: out, strides: stride });
      h = b.bn(h, `${block}_bn1`, block);
      h = b.act(h, `${block}_relu1`, block);
      h = b.conv(h, `${block}_conv2`, block, { filters: out });
      h = b.bn(h, `${block}_bn2`, block);
      let shortcut = x;
      if (stride !== 1 || inCh !== out) {
        shortcut = b.conv(x, `${block}_proj`, block, { filters: out, kernelSize: 1, strides: stride }, 'shortcut');
        shortcut = b.bn(shortcut, `${block}_proj_bn`, block, 'shortcut');
      }
      x = b.add(h, shortcut, `${block}_add`, block);
      x = b.act(x, block, block);
      stage.push(block);
      inCh = out;
    }
    stages.push(stage);
  }
  const g = b.gap(x);
  const f = b.act(g, 'penultimate', 'head', 'linear');
  const built = b.finish(f, stages.flat());
  return { model: built.model, spec: { ...built.spec, stages } };
}

/** ResNet-8 (n = 1): 3 basic blocks. Default input 32×32×3, 10 classes. */
export function resnet8(opts: BackboneOptions = {}): Backbone & { spec: ResNetSpec } {
  return resnetCifar({ ...opts, depth: 8 });
}

/** ResNet-20 (n = 3): 9 basic blocks, 272,474 trainable parameters at width 1, 10 classes. */
export function resnet20(opts: BackboneOptions = {}): Backbone & { spec: ResNetSpec } {
  return resnetCifar({ ...opts, depth: 20 });
}
