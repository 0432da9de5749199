/**
 * Plain (chain) CNN builders: `tinyCnn`, `cnn4`, `bnCnn3`, `smallCnn`. NHWC, 3×3 convolutions, BatchNorm
 * ({@link FtBatchNorm}) right after a convolution (convolutions followed by BN have no bias), ReLU, max-pooling 2×2.
 * Every builder names its taps: `block1..N` (output of each block), `gap` (where the net has one), `penultimate`
 * (the feature vector that feeds the head) and `logits`. Internal layers are `<block>_conv`, `<block>_bn`,
 * `<block>_relu`. Returns `{model, spec}`.
 */
import type { Backbone, BackboneOptions } from './backbone-spec.js';
import { NetBuilder, resolveBackboneOptions } from './backbone-spec.js';

/**
 * TinyCNN of the perf study (research/perf.md §1): conv3×3(1→32, same) → BN → ReLU → maxpool2 (`block1`) →
 * conv3×3(32→64, same, bias) + ReLU → maxpool2 (`block2`) → flatten (`penultimate`, 3136 for 28×28) → dense
 * (`logits`). 50,218 trainable parameters for 28×28×1 and 10 classes.
 * @param opts builder options; default input 28×28×1, 10 classes, width 1, seed 0, logits.
 */
export function tinyCnn(opts: BackboneOptions = {}): Backbone {
  const b = new NetBuilder('tinyCnn', resolveBackboneOptions('tinyCnn', opts, [28, 28, 1]));
  let x = b.conv(b.input, 'block1_conv', 'block1', { filters: b.ch(32) });
  x = b.bn(x, 'block1_bn', 'block1');
  x = b.act(x, 'block1_relu', 'block1');
  x = b.maxPool(x, 'block1', 'block1');
  x = b.conv(x, 'block2_conv', 'block2', { filters: b.ch(64), useBias: true });
  x = b.act(x, 'block2_relu', 'block2');
  x = b.maxPool(x, 'block2', 'block2');
  const f = b.flatten(x, 'penultimate');
  return b.finish(f, ['block1', 'block2']);
}

/** conv3×3 → BN → ReLU, with the last layer named after the block when it ends the block. */
function convBnRelu(b: NetBuilder, x: ReturnType<NetBuilder['conv']>, block: string, filters: number, last: boolean) {
  x = b.conv(x, `${block}_conv`, block, { filters });
  x = b.bn(x, `${block}_bn`, block);
  return b.act(x, last ? block : `${block}_relu`, block);
}

/**
 * Conv-4 (the common 4-conv few-shot/transfer backbone, here with the spec's pooling): 1→32→32→64→64 channels,
 * 3×3 conv-BN-ReLU each (`block1..4`), 2×2 max-pool after conv 2 and conv 4 (the pool is the last layer of
 * `block2`/`block4`), global average pool (`gap`), `penultimate` (identity, 64·width), dense `logits`.
 * @param opts builder options; default input 28×28×1, 10 classes.
 */
export function cnn4(opts: BackboneOptions = {}): Backbone {
  const b = new NetBuilder('cnn4', resolveBackboneOptions('cnn4', opts, [28, 28, 1]));
  let x = convBnRelu(b, b.input, 'block1', b.ch(32), true);
  x = convBnRelu(b, x, 'block2', b.ch(32), false);
  x = b.maxPool(x, 'block2', 'block2');
  x = convBnRelu(b, x, 'block3', b.ch(64), true);
  x = convBnRelu(b, x, 'block4', b.ch(64), false);
  x = b.maxPool(x, 'block4', 'block4');
  const g = b.gap(x);
  const f = b.act(g, 'penultimate', 'head', 'linear');
  return b.finish(f, ['block1', 'block2', 'block3', 'block4']);
}

/**
 * BN-CNN-3: three blocks of conv3×3-BN-ReLU-maxpool2 with 32/64/128 channels (`block1..3`), global average pool
 * (`gap`), `penultimate` (identity, 128·width), dense `logits`.
 * @param opts builder options; default input 28×28×1, 10 classes.
 */
export function bnCnn3(opts: BackboneOptions = {}): Backbone {
  const b = new NetBuilder('bnCnn3', resolveBackboneOptions('bnCnn3', opts, [28, 28, 1]));
  let x = b.input;
  const blocks: string[] = [];
  [32, 64, 128].forEach((c, i) => {
    const block = `block${i + 1}`;
    x = convBnRelu(b, x, block, b.ch(c), false);
    x = b.maxPool(x, block, block);
    blocks.push(block);
  });
  const g = b.gap(x);
  const f = b.act(g, 'penultimate', 'head', 'linear');
  return b.finish(f, blocks);
}

/**
 * Small CNN in the style of the Keras MNIST example ("conv32-conv64-FC128"): conv3×3(32, valid)-BN-ReLU
 * (`block1`), conv3×3(64, valid)-BN-ReLU-maxpool2 (`block2`), flatten, dense 128 + ReLU (`penultimate`), dense
 * `logits`. For 28×28×1: 26→24→12, flatten 9216, ≈1.2 M parameters.
 * @param opts builder options; default input 28×28×1, 10 classes.
 */
export function smallCnn(opts: BackboneOptions = {}): Backbone {
  const b = new NetBuilder('smallCnn', resolveBackboneOptions('smallCnn', opts, [28, 28, 1]));
  let x = b.conv(b.input, 'block1_conv', 'block1', { filters: b.ch(32), padding: 'valid' });
  x = b.bn(x, 'block1_bn', 'block1');
  x = b.act(x, 'block1', 'block1');
  x = b.conv(x, 'block2_conv', 'block2', { filters: b.ch(64), padding: 'valid' });
  x = b.bn(x, 'block2_bn', 'block2');
  x = b.act(x, 'block2_relu', 'block2');
  x = b.maxPool(x, 'block2', 'block2');
  x = b.flatten(x, 'flatten');
  const f = b.dense(x, 'penultimate', 'head', Math.max(1, Math.round(128 * b.opts.width)), 'relu');
  return b.finish(f, ['block1', 'block2']);
}
