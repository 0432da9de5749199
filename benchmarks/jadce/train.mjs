// Training of the learned networks, cached on disk per (L, tag, method).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLearnedModel, saveLearnedModel, trainJadceModels } from '@ft/jadce';
import { saveRecords } from './records.mjs';

/**
 * A loader that trains (or loads from the cache) the learned models of one pilot length.
 * @param {object} run the benchmark run state (see bench.mjs: o, config, file, recordsPath, modelDir, pilots, root)
 * @returns {(L: number, methods: string[], snr: number | [number, number], tag: string) => Promise<(m: string) => object | undefined>}
 */
export function modelLoader(run) {
  const { o, config: c, modelDir } = run;
  const log = o.log ?? (() => {});
  const models = new Map();
  return async (L, methods, snr, tag) => {
    const todo = methods.filter((m) => {
      const dir = join(modelDir, `L${L}-${tag}`, m);
      if (models.has(`${L}|${tag}|${m}`)) return false;
      if ((o.resume ?? true) && existsSync(join(dir, 'model.json'))) {
        models.set(`${L}|${tag}|${m}`, loadLearnedModel(dir));
        return false;
      }
      return true;
    });
    if (todo.length) {
      log(`training ${todo.join(', ')} for L=${L} (${tag})`);
      const res = await trainJadceModels({
        S: run.pilots.get(L),
        M: c.Ms.length > 1 ? c.Ms : [8, 32].filter((m) => m <= Math.max(...c.Ms)),
        eps: c.eps,
        snrDb: snr,
        methods: todo,
        rank: 8,
        T: c.T,
        J: c.J,
        samples: c.samples,
        stepsPerStage: c.stepsPerStage,
        batch: c.batch,
        rng: run.root.fork(`train-L${L}-${tag}`),
        log,
        signal: o.signal,
      });
      for (const [m, model] of Object.entries(res.models)) {
        saveLearnedModel(join(modelDir, `L${L}-${tag}`, m), model);
        models.set(`${L}|${tag}|${m}`, model);
        run.file.training[`L${L}-${tag}-${m}`] = { ...(model.meta ?? {}), stages: res.stats[m].stages };
      }
      saveRecords(run.recordsPath, run.file);
    }
    return (m) => models.get(`${L}|${tag}|${m}`);
  };
}
