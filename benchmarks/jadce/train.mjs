// Training of the learned networks, cached on disk per (L, tag, training seed, budget, method).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLearnedModel, saveLearnedModel, trainJadceModels } from '@ft/jadce';
import { budgetTag } from './config.mjs';
import { saveRecords } from './records.mjs';

/** Key of a trained model in the records' `training` map and its cache directory name. */
export const modelKey = (L, tag, seed, budget) => `L${L}-${tag}-seed${seed}-${budgetTag(budget)}`;

/**
 * A loader that trains (or loads from the cache) the learned models of one pilot length, training seed and budget.
 * The training stream is `root.fork('train-L<L>-<tag>-s<seed>')`, independent of the budget and of which methods are
 * trained together, so a model of the budget search is the same model the grid needs and is reused from the cache.
 * @param {object} run the benchmark run state (see bench.mjs: o, config, file, recordsPath, modelDir, pilots, root)
 * @returns {(L: number, methods: string[], snr: number | [number, number], tag: string, seed: number, budget: { stepsPerStage: number, samples: number }) => Promise<(m: string) => object | undefined>}
 */
export function modelLoader(run) {
  const { o, config: c, modelDir } = run;
  const log = o.log ?? (() => {});
  const models = new Map();
  return async (L, methods, snr, tag, seed, budget) => {
    const key = modelKey(L, tag, seed, budget);
    const todo = methods.filter((m) => {
      const dir = join(modelDir, key, m);
      if (models.has(`${key}|${m}`)) return false;
      if ((o.resume ?? true) && existsSync(join(dir, 'model.json'))) {
        models.set(`${key}|${m}`, loadLearnedModel(dir));
        return false;
      }
      return true;
    });
    if (todo.length) {
      log(`training ${todo.join(', ')} for ${key}`);
      const res = await trainJadceModels({
        S: run.pilots.get(L),
        M: c.Ms.length > 1 ? c.Ms : [8, 32].filter((m) => m <= Math.max(...c.Ms)),
        eps: c.eps,
        snrDb: snr,
        methods: todo,
        rank: c.rank,
        T: c.T,
        J: c.J,
        samples: budget.samples,
        stepsPerStage: budget.stepsPerStage,
        batch: c.batch,
        rng: run.root.fork(`train-L${L}-${tag}-s${seed}`),
        log,
        signal: o.signal,
      });
      for (const [m, model] of Object.entries(res.models)) {
        saveLearnedModel(join(modelDir, key, m), model);
        models.set(`${key}|${m}`, model);
        run.file.training[`${key}-${m}`] = { ...(model.meta ?? {}), stages: res.stats[m].stages };
      }
      saveRecords(run.recordsPath, run.file);
    }
    return (m) => models.get(`${key}|${m}`);
  };
}
