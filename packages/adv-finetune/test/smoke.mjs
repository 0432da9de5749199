// Pack-and-install smoke call for @ft/adv-finetune, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/adv-finetune', 'FGSM'],
  ['@tensorflow/tfjs-core', '* as tf'],
  ['@tensorflow/tfjs-layers', '* as tfl'],
  ['@tensorflow/tfjs-backend-cpu'],
];
export const body = `await tf.setBackend('cpu');
const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 3 })] });
const x = tf.fill([2, 4, 4, 1], 0.5);
const adv = new FGSM(m, { eps: 0.1 }).run(x, tf.tensor1d([0, 1], 'int32'));
const d = tf.max(tf.abs(tf.sub(adv, x))).dataSync()[0];
if (!(d <= 0.1 + 1e-6 && d > 0)) throw new Error('FGSM step ' + d);
console.log('adv-finetune ok', d.toFixed(3));`;
