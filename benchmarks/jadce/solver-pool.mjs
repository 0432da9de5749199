// A pool of worker threads for the host solvers (Float64 JavaScript, one realisation at a time): each worker solves a
// contiguous share of the realisations, so a run uses every core. The per-realisation time is each worker's own
// wall clock summed over workers / count: the one-core, one-by-one cost of a realisation, not the pool's throughput.
import { Worker } from 'node:worker_threads';
import { runMethod } from '@ft/jadce';

/** The realisations [a, b) of a data set as a data set (views where possible). */
export function sliceData(data, a, b) {
  const [, L, M] = data.Y.shape;
  const N = data.S.cols;
  const part = (x, per) => x.subarray(a * per, b * per);
  const c = (arr, per) =>
    arr && { shape: [b - a, ...arr.shape.slice(1)], re: part(arr.re, per), im: part(arr.im, per) };
  return {
    S: data.S,
    Y: c(data.Y, L * M),
    X: c(data.X, N * M),
    active: data.active && part(data.active, N),
    sigma2: part(data.sigma2, 1),
    eps: data.eps,
    beta: data.beta,
  };
}

/** Copies a slice into plain arrays a worker can receive. */
const pack = (d) => ({
  S: { rows: d.S.rows, cols: d.S.cols, re: Float64Array.from(d.S.re), im: Float64Array.from(d.S.im) },
  Y: { shape: d.Y.shape, re: Float64Array.from(d.Y.re), im: Float64Array.from(d.Y.im) },
  active: d.active && Uint8Array.from(d.active),
  sigma2: Float64Array.from(d.sigma2),
  eps: d.eps,
  beta: d.beta && Float64Array.from(d.beta),
});

/** Joins the runs of consecutive slices into one `MethodRun`; `seconds` is the sum of the workers' times. */
function join(parts, count, N, M) {
  const X = { shape: [count, N, M], re: new Float64Array(count * N * M), im: new Float64Array(count * N * M) };
  const score = new Float64Array(count * N);
  const active = new Uint8Array(count * N);
  let at = 0;
  let seconds = 0;
  let iterations = 0;
  for (const p of parts) {
    const n = p.X.shape[0];
    X.re.set(p.X.re, at * N * M);
    X.im.set(p.X.im, at * N * M);
    score.set(p.score, at * N);
    active.set(p.active, at * N);
    seconds += p.seconds;
    iterations += p.iterations * n;
    at += n;
  }
  return { X, score, scoreKind: parts[0].scoreKind, active, seconds, iterations: iterations / count };
}

/**
 * A solver pool with `size` workers (size ≤ 1: no worker, the calling thread solves).
 * @param {number} size
 * @returns {{ run: (method: string, data: object, o: { priors: object, count: number }) => Promise<object>, close: () => Promise<void> }}
 */
export function createSolverPool(size) {
  if (size <= 1) {
    return {
      run: async (method, data, o) => runMethod(method, data, o),
      close: async () => {},
    };
  }
  const workers = Array.from({ length: size }, () => new Worker(new URL('./solver-worker.mjs', import.meta.url)));
  const call = (w, msg) =>
    new Promise((resolve, reject) => {
      const onMsg = (m) => {
        w.off('error', onErr);
        if (m.error) reject(new Error(`solver worker: ${m.error}`));
        else resolve(m.run);
      };
      const onErr = (e) => {
        w.off('message', onMsg);
        reject(e);
      };
      w.once('message', onMsg);
      w.once('error', onErr);
      w.postMessage(msg);
    });
  return {
    async run(method, data, o) {
      const [, , M] = data.Y.shape;
      const N = data.S.cols;
      const count = o.count;
      const share = Math.ceil(count / size);
      const jobs = [];
      for (let k = 0; k < size && k * share < count; k++) {
        const slice = pack(sliceData(data, k * share, Math.min(count, (k + 1) * share)));
        jobs.push(call(workers[k], { method, data: slice, priors: o.priors }));
      }
      return join(await Promise.all(jobs), count, N, M);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
