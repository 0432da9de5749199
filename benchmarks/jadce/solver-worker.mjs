// Worker of the solver pool (solver-pool.mjs): solves its share of realisations with one host solver.
import { parentPort } from 'node:worker_threads';
import { runMethod } from '@ft/jadce';

parentPort.on('message', ({ method, data, priors }) => {
  try {
    const run = runMethod(method, data, { priors });
    parentPort.postMessage({ run }, [run.X.re.buffer, run.X.im.buffer, run.score.buffer, run.active.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: String(e?.stack ?? e) });
  }
});
