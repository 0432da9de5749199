// Pack-and-install smoke call for @ft/tfjs-fused-training, run by scripts/smoke-pack.mjs under ESM and CJS: the
// optimizer overrides install, and on a backend without the fused kernels (cpu) tfjs' own update still runs.
export const imports = [
  ['@ft/tfjs-fused-training', 'installFusedOptimizers, FUSED_OPTIMIZER_KERNELS, areFusedOptimizersInstalled'],
  ['@tensorflow/tfjs-core', '* as tf'],
  ['@tensorflow/tfjs-backend-cpu'],
];
export const body = `installFusedOptimizers();
await tf.setBackend('cpu');
const v = tf.variable(tf.tensor1d([1, 2]));
tf.train.sgd(0.5).applyGradients({ [v.name]: tf.ones([2]) });
const got = Array.from(await v.data());
if (got[0] !== 0.5 || got[1] !== 1.5) throw new Error('sgd update gave ' + got);
console.log('fused-training', areFusedOptimizersInstalled(), FUSED_OPTIMIZER_KERNELS.adam, got);`;
