// Pack-and-install smoke call for @ft/hparams, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/hparams', 'effectiveLr, emd, createStudy, TPESampler, commands']];
export const body = `if (!commands.some((c) => c.group === 'hparams')) throw new Error('no hparams commands');
if (Math.abs(effectiveLr(0.01, 0.9) - 0.1) > 1e-12) throw new Error('effectiveLr');
const { distance } = emd(new Float64Array([0.5, 0.5]), new Float64Array([0.5, 0.5]), new Float64Array([0, 1, 1, 0]));
if (distance !== 0) throw new Error('emd ' + distance);
const study = await createStudy({ direction: 'minimize', sampler: new TPESampler({ seed: 0 }) });
await study.optimize((t) => (t.suggestFloat('x', -5, 5) - 2) ** 2, { nTrials: 30 });
if (!(study.bestValue < 1)) throw new Error('TPE best ' + study.bestValue);
console.log('hparams ok, TPE best after 30 trials', study.bestValue.toFixed(4));`;
