// Pack-and-install smoke call for @ft/adafilter, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/adafilter', 'adaFilter, commands, gumbelSoftmaxST, trainAdaFilter, gateStats, saveAdaFilter, loadAdaFilter'],
  ['@ft/core', 'createRng, resnet8'],
  ['@tensorflow/tfjs-core', '* as tf'],
  ['@tensorflow/tfjs-backend-cpu'],
  ['node:fs', '* as fs'],
  ['node:os', '* as os'],
  ['node:path', '* as path'],
];
export const body = `await tf.setBackend('cpu');
for (const name of ['train', 'eval']) {
  if (!commands.some((c) => c.group === 'adafilter' && c.name === name)) throw new Error('no ft adafilter ' + name);
}
if (typeof trainAdaFilter !== 'function' || typeof gateStats !== 'function') throw new Error('training API missing');
// straight-through Gumbel-Softmax: one-hot forward
const { hard } = gumbelSoftmaxST(tf.tensor2d([[0, 1], [2, 0]]), 5, createRng(0));
if (tf.sum(hard).dataSync()[0] !== 2) throw new Error('gumbelSoftmaxST');
// all gates pre-trained: the wrapped ResNet-8 predicts as the source
const { model } = resnet8({ width: 0.25, inputShape: [12, 12, 1], numClasses: 3 });
const net = adaFilter(model, { numClasses: 3, policy: { fixed: 0 }, head: 'source' });
const x = tf.randomUniform([2, 12, 12, 1]);
const d = tf.max(tf.abs(tf.sub(net.apply(x, { training: false }), model.predict(x)))).dataSync()[0];
if (!(d < 1e-5)) throw new Error('adaFilter differs from its source with pre-trained gates: ' + d);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-'));
await saveAdaFilter(net, dir);
const back = await loadAdaFilter(dir);
if (net.gatedLayers.join() !== back.gatedLayers.join()) throw new Error('save/load');
console.log('adafilter ok', net.gatedLayers.length);`;
