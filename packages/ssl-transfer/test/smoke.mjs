// Pack-and-install smoke call for @ft/ssl-transfer, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/ssl-transfer', 'akcLoss, arcLoss, FeatureQueue, mmd2, commands, fixMatchLoss, trainSslTransfer, sslSplit'],
  ['@tensorflow/tfjs-core', '* as tf'],
  ['@tensorflow/tfjs-backend-cpu'],
];
export const body = `await tf.setBackend('cpu');
for (const name of ['gates', 'train', 'eval']) {
  if (!commands.some((c) => c.group === 'ssl' && c.name === name)) throw new Error('no ft ssl ' + name);
}
if (typeof trainSslTransfer !== 'function' || typeof sslSplit !== 'function') throw new Error('training API missing');
// FixMatch on a hand batch: row 0 confident (p = e^9/(e^9+1) > 0.95, label 0), row 1 not: loss = CE(strong_0, 0) / 2
const fm = fixMatchLoss(tf.tensor2d([[9, 0], [0, 0]]), tf.tensor2d([[0, 0], [0, 0]]));
if (fm.maskRate !== 0.5 || Math.abs(fm.loss.dataSync()[0] - Math.log(2) / 2) > 1e-5) throw new Error('fixMatchLoss');
const a = tf.tensor2d([[0, 0], [1, 0]]);
const b = tf.tensor2d([[0, 1]]);
const m = mmd2(a, b).dataSync()[0];
const want = (1 + Math.exp(-0.5)) / 2 + 1 - Math.exp(-0.5) - Math.exp(-1);
if (Math.abs(m - want) > 1e-5) throw new Error('mmd2 ' + m + ' != ' + want);
const akc = akcLoss({ targetFeat: tf.tensor2d([[3, 4], [1, 0]]), sourceFeat: tf.zerosLike(a), sourceLogits: tf.tensor2d([[9, 0], [0, 0]]) }, { numSourceClasses: 2, scale: 1 });
if (Math.abs(akc.loss.dataSync()[0] - 25) > 1e-4 || akc.selectedRatio !== 0.5) throw new Error('akcLoss');
const queues = { l: new FeatureQueue(4), u: new FeatureQueue(4) };
const arc = arcLoss({ labeledFeat: a, labeledLogits: tf.tensor2d([[9, 0], [9, 0]]), unlabeledFeat: b, unlabeledLogits: tf.tensor2d([[0, 9]]), queues }, { numClasses: 2, minQueue: 1 });
if (queues.l.size !== 2 || Math.abs(arc.loss.dataSync()[0] - want) > 1e-5) throw new Error('arcLoss');
console.log('ssl-transfer ok', m.toFixed(6));`;
