/**
 * `ft jadce …` commands, mounted by `@ft/cli`:
 *
 *   ft jadce simulate --N 100 --M 32 --L 20 --snr 10 --eps 0.05 --count 2000 --seed 1 --out data.npz
 *   ft jadce train    --N 100 --M 8,32 --L 20 --snr 0:20 --eps 0.05 --seed 1 --out models/   (or --pilots data.npz)
 *   ft jadce eval     --data data.npz --methods amp-mmv,fista,admm,sbl,cov-ml,lista-gs,alista-gs,proposed --model models/ --json
 *   ft jadce bench    [--quick]   (runs benchmarks/jadce/run.mjs of a repository checkout)
 *
 * `simulate` and `train` draw the pilot matrix from `--seed` the same way, so a model trained with the seed of a data
 * file fits it; `--pilots <file.npz>` takes S from a data file instead. `eval` prints, per method,
 * `{ nmseDb, pMiss, pFa, aer, msPerSample }` (more under `details`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  AbortedError,
  type CommandContext,
  type CommandSpec,
  defineCommand,
  InvalidArgumentError,
  npyToFloat64,
  readNpy,
} from '@ft/core';
import { LEARNED_METHODS, type MethodName, runMethodAsync, SOLVER_METHODS, scoreRun } from './evaluate.js';
import { type LearnedModel, loadLearnedModel, saveLearnedModelAsync } from './learned-models.js';
import { loadJadceNpz, saveJadceNpz } from './npz-data.js';
import { resolvePriors } from './priors.js';
import { makePilots, simulateMassiveAccess } from './simulate.js';
import { TRAINABLE_METHODS, type TrainableMethod, trainJadceModels } from './train-models.js';

/** Parses `"10"` or a range `"0:20"` (dB). */
export function parseSnr(s: string | number, flag = '--snr'): number | [number, number] {
  if (typeof s === 'number') return s;
  const parts = s.split(':').map((p) => Number(p.trim()));
  if (parts.some((v) => !Number.isFinite(v)) || parts.length < 1 || parts.length > 2) {
    throw new InvalidArgumentError(`${flag} must be a number or a range lo:hi in dB, got "${s}"`);
  }
  if (parts.length === 2 && parts[0] > parts[1]) throw new InvalidArgumentError(`${flag}: empty range "${s}"`);
  return parts.length === 1 ? parts[0] : [parts[0], parts[1]];
}

/** Parses a comma-separated list of positive integers. */
export function parseIntList(s: string | number, flag: string): number[] {
  const v = String(s)
    .split(',')
    .map((p) => Number(p.trim()));
  if (v.length === 0 || v.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new InvalidArgumentError(`${flag} must be a positive integer or a comma-separated list, got "${s}"`);
  }
  return v;
}

/** `--beta`: a positive number (all devices) or a `.npy` file with N values. */
function parseBeta(v: string | number | boolean | undefined): number | Float64Array | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') return v;
  const num = Number(v);
  if (Number.isFinite(num)) return num;
  if (typeof v === 'string' && v.endsWith('.npy')) return Float64Array.from(npyToFloat64(readNpy(v), `--beta ${v}`));
  throw new InvalidArgumentError(`--beta must be a positive number or a .npy file, got "${v}"`);
}

const num = (ctx: CommandContext, k: string) => ctx.args[k] as number;
const str = (ctx: CommandContext, k: string) => ctx.args[k] as string;

const simulate = defineCommand({
  group: 'jadce',
  name: 'simulate',
  description: 'Simulate grant-free massive access (Y = S·X + W) and write a .npz data set',
  examples: ['ft jadce simulate --N 100 --M 32 --L 20 --snr 10 --eps 0.05 --count 2000 --seed 1 --out data.npz'],
  options: {
    N: { type: 'number', description: 'Number of devices', default: 100, integer: true, min: 1 },
    M: { type: 'number', description: 'Number of BS antennas', default: 32, integer: true, min: 1 },
    L: { type: 'number', description: 'Pilot length', default: 20, integer: true, min: 1 },
    snr: { type: 'string', description: 'SNR in dB, or a range lo:hi drawn per realisation', default: '10' },
    eps: { type: 'number', description: 'Activity probability ε', default: 0.05, exclusiveMin: 0, max: 1 },
    count: { type: 'number', description: 'Number of realisations', default: 1000, integer: true, min: 1 },
    out: { type: 'string', description: 'Output .npz file', required: true, output: 'file' },
    'cell-radius': {
      type: 'number',
      description: 'Path loss in a cell of this radius (km) instead of unit gains',
      exclusiveMin: 0,
    },
    complex: {
      type: 'string',
      description: 'Complex storage',
      choices: ['complex128', 'complex64', 'pairs'],
      default: 'complex128',
    },
    compressed: { type: 'boolean', description: 'Deflate the archive (numpy.savez_compressed)', default: false },
  },
  needsBackend: false,
  async run(ctx) {
    const N = num(ctx, 'N');
    const L = num(ctx, 'L');
    const pilots = makePilots(L, N, ctx.rng.fork('pilots'));
    const radius = ctx.args['cell-radius'] as number | undefined;
    const d = simulateMassiveAccess({
      N,
      M: num(ctx, 'M'),
      L,
      activity: num(ctx, 'eps'),
      snrDb: parseSnr(str(ctx, 'snr')),
      pilots,
      fading: radius ? { cellRadiusKm: radius } : 'unit',
      count: num(ctx, 'count'),
      rng: ctx.rng.fork('data'),
    });
    const out = str(ctx, 'out');
    saveJadceNpz(out, d, { complex: str(ctx, 'complex') as 'complex128', compressed: ctx.args.compressed as boolean });
    const active = d.active!.reduce((s, v) => s + v, 0);
    ctx.log(
      `wrote ${out}: ${d.Y.shape[0]} realisations, L=${L}, N=${N}, M=${d.Y.shape[2]}, ${active} active device slots`,
    );
    return {
      out,
      count: d.Y.shape[0],
      N,
      M: d.Y.shape[2],
      L,
      eps: d.eps,
      snrDb: parseSnr(str(ctx, 'snr')),
      sigma2: d.sigma2[0],
      activeFraction: active / d.active!.length,
      seed: ctx.seed,
    };
  },
});

const train = defineCommand({
  group: 'jadce',
  name: 'train',
  description: 'Train the learned JADCE networks (proposed reconstruction, LISTA-GS, ALISTA-GS) for one pilot matrix',
  examples: [
    'ft jadce train --N 100 --M 8,32 --L 20 --snr 0:20 --eps 0.05 --seed 1 --out models/',
    'ft jadce train --pilots data.npz --M 32 --methods proposed --out models/',
  ],
  options: {
    N: { type: 'number', description: 'Number of devices', default: 100, integer: true, min: 1 },
    M: { type: 'string', description: 'Antenna count(s) of the training data, e.g. 32 or 8,32', default: '8,32' },
    L: { type: 'number', description: 'Pilot length', default: 20, integer: true, min: 1 },
    snr: { type: 'string', description: 'Training SNR in dB or a range lo:hi', default: '0:20' },
    eps: { type: 'number', description: 'Activity probability ε', default: 0.05, exclusiveMin: 0, max: 1 },
    out: {
      type: 'string',
      description: 'Output directory (one sub-directory per method)',
      required: true,
      output: 'dir',
    },
    pilots: {
      type: 'string',
      description: 'Take S (and N, L) from this .npz data file instead of drawing it from --seed',
      input: 'file',
    },
    methods: {
      type: 'string',
      description: `Methods to train (${TRAINABLE_METHODS.join(', ')})`,
      default: 'proposed,lista-gs,alista-gs',
    },
    layers: { type: 'number', description: 'Layers T', default: 10, integer: true, min: 1 },
    em: { type: 'number', description: 'Inner EM steps J of the proposed network', default: 3, integer: true, min: 1 },
    rank: { type: 'number', description: 'DR rank r (default min(8, M))', integer: true, min: 1 },
    samples: { type: 'number', description: 'Training realisations per pool', default: 4000, integer: true, min: 1 },
    steps: { type: 'number', description: 'Adam steps per training stage', default: 30, integer: true, min: 1 },
    batch: { type: 'number', description: 'Mini-batch size', default: 64, integer: true, min: 1 },
  },
  async run(ctx) {
    let S = undefined as ReturnType<typeof makePilots> | undefined;
    if (ctx.args.pilots) S = loadJadceNpz(str(ctx, 'pilots')).S;
    else S = makePilots(num(ctx, 'L'), num(ctx, 'N'), ctx.rng.fork('pilots'));
    const methods = str(ctx, 'methods')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean) as TrainableMethod[];
    const res = await trainJadceModels({
      S,
      M: parseIntList(str(ctx, 'M'), '--M'),
      eps: num(ctx, 'eps'),
      snrDb: parseSnr(str(ctx, 'snr')),
      methods,
      rank: ctx.args.rank as number | undefined,
      T: num(ctx, 'layers'),
      J: num(ctx, 'em'),
      samples: num(ctx, 'samples'),
      stepsPerStage: num(ctx, 'steps'),
      batch: num(ctx, 'batch'),
      rng: ctx.rng.fork('train'),
      log: (l) => ctx.log(l),
      signal: ctx.signal,
    });
    // trainJadceModels returns early when aborted: never save half-trained networks as if they were finished
    ctx.signal?.throwIfAborted();
    const out = str(ctx, 'out');
    const summary: Record<string, unknown> = {};
    for (const [m, model] of Object.entries(res.models)) {
      await saveLearnedModelAsync(join(out, m), model!);
      const st = res.stats[m as TrainableMethod]!;
      summary[m] = {
        dir: join(out, m),
        seconds: st.seconds,
        steps: st.steps,
        trainNmseDb: 10 * Math.log10(st.finalLoss),
      };
    }
    return { out, L: S.rows, N: S.cols, methods: summary };
  },
});

const evaluate = defineCommand({
  group: 'jadce',
  name: 'eval',
  description: 'Run JADCE methods on a .npz data set and print NMSE, P_miss, P_FA, AER and runtime per method',
  examples: [
    'ft jadce eval --data data.npz',
    'ft jadce eval --data data.npz --methods amp-mmv,fista,admm,sbl,cov-ml,lista-gs,alista-gs,proposed --model models/ --json',
  ],
  options: {
    data: {
      type: 'string',
      description: 'Data set (.npz with S, Y, X, active, sigma2; see the README)',
      required: true,
      input: 'file',
    },
    methods: {
      type: 'string',
      description: `Comma-separated methods (${[...SOLVER_METHODS, ...LEARNED_METHODS].join(', ')})`,
      default: 'amp-mmv,fista,admm,sbl,cov-ml',
    },
    model: {
      type: 'string',
      description: 'Directory written by `ft jadce train` (needed by lista-gs, alista-gs, proposed)',
      input: 'dir',
    },
    eps: {
      type: 'number',
      description: 'Activity probability ε when the file has none (else estimated)',
      exclusiveMin: 0,
      max: 1,
    },
    beta: { type: 'string', description: 'Large-scale fading: a number for all devices or an .npy file [N]' },
    count: { type: 'number', description: 'Use only the first COUNT realisations', integer: true, min: 1 },
  },
  async run(ctx) {
    const file = str(ctx, 'data');
    const data = loadJadceNpz(file);
    const priors = resolvePriors(data, { eps: ctx.args.eps as number | undefined, beta: parseBeta(ctx.args.beta) });
    const names = str(ctx, 'methods')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean) as MethodName[];
    const known = [...SOLVER_METHODS, ...LEARNED_METHODS] as string[];
    for (const m of names)
      if (!known.includes(m))
        throw new InvalidArgumentError(`--methods: unknown method '${m}' (known: ${known.join(', ')})`);
    const models: Partial<Record<(typeof LEARNED_METHODS)[number], LearnedModel>> = {};
    for (const m of names) {
      if (!(LEARNED_METHODS as readonly string[]).includes(m)) continue;
      const base = ctx.args.model as string | undefined;
      if (!base) throw new InvalidArgumentError(`method '${m}' needs --model <dir> (from ft jadce train)`);
      const dir = existsSync(join(base, m, 'model.json')) ? join(base, m) : base;
      const model = loadLearnedModel(dir);
      const want = m === 'proposed' ? 'proposed' : m;
      if (model.kind !== want)
        throw new InvalidArgumentError(`--model ${dir} holds a '${model.kind}' model, not '${m}'`);
      models[m as (typeof LEARNED_METHODS)[number]] = model;
    }
    const count = ctx.args.count as number | undefined;
    const methods: Record<string, { nmseDb: number; pMiss: number; pFa: number; aer: number; msPerSample: number }> =
      {};
    const details: Record<string, unknown> = {};
    for (const m of names) {
      ctx.log(`running ${m} …`);
      const run = await runMethodAsync(m, data, { priors, models, count });
      const s = scoreRun(run, data);
      methods[m] = { nmseDb: s.nmseDb, pMiss: s.pMiss, pFa: s.pFa, aer: s.aer, msPerSample: s.msPerSample };
      details[m] = { nmseActiveDb: s.nmseActiveDb, auroc: s.auroc, threshold: s.threshold, iterations: s.iterations };
      ctx.log(
        `${m.padEnd(10)} NMSE ${s.nmseDb.toFixed(2)} dB  P_miss ${s.pMiss.toExponential(2)}  P_FA ${s.pFa.toExponential(2)}  AER ${s.aer.toExponential(2)}  ${s.msPerSample.toFixed(2)} ms/sample`,
      );
    }
    const [c, L, M] = data.Y.shape;
    return {
      data: { file, count: Math.min(count ?? c, c), L, N: data.S.cols, M },
      priors: {
        eps: priors.eps,
        betaMean: priors.beta.reduce((a, b) => a + b, 0) / priors.beta.length,
        source: priors.source,
      },
      methods,
      details,
    };
  },
});

const bench = defineCommand({
  group: 'jadce',
  name: 'bench',
  description: 'Reproduce the JADCE benchmark and write docs/results/jadce.md with SVG curves',
  examples: ['ft jadce bench --quick', 'ft jadce bench --records results.json'],
  options: {
    quick: {
      type: 'boolean',
      description: 'M 32, L ∈ {8, 12}, 10 dB, one training seed, a two-rung budget search',
      default: false,
    },
    out: { type: 'string', description: 'Results page to write', default: 'docs/results/jadce.md', output: 'file' },
    count: {
      type: 'number',
      description: 'Test realisations per point, every method (default 2000; quick 300)',
      integer: true,
      min: 1,
    },
    'val-count': {
      type: 'number',
      description: 'Validation realisations per point for the detection thresholds (default 300; quick 150)',
      integer: true,
      min: 1,
    },
    budget: {
      type: 'string',
      description: 'Skip the budget search: train every network S steps per stage on N samples, as SxN (e.g. 32x8000)',
    },
    records: { type: 'string', description: 'Also write the raw results as JSON here', output: 'file' },
  },
  async run(ctx) {
    const script = join(process.cwd(), 'benchmarks', 'jadce', 'run.mjs');
    if (!existsSync(script)) {
      throw new InvalidArgumentError(
        `ft jadce bench runs benchmarks/jadce/run.mjs of the @ft repository: run it from the repository root (${script} not found)`,
      );
    }
    const args = [script, '--seed', String(ctx.seed), '--out', str(ctx, 'out')];
    if (ctx.args.quick) args.push('--quick');
    for (const flag of ['count', 'val-count', 'budget', 'records']) {
      if (ctx.args[flag] !== undefined) args.push(`--${flag}`, String(ctx.args[flag]));
    }
    return runBenchmarkScript(args, ctx);
  },
});

/** Runs the benchmark script with this Node; its stderr goes to the log, the JSON summary on its last stdout line is returned. */
function runBenchmarkScript(args: string[], ctx: CommandContext): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.signal });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    createInterface({ input: child.stderr }).on('line', (l) => ctx.log(l));
    child.on('error', (e) => {
      if (ctx.signal?.aborted) reject(new AbortedError('jadce benchmark aborted', undefined, { cause: e }));
      else reject(e);
    });
    child.on('close', (code) => {
      if (ctx.signal?.aborted) return reject(new AbortedError('jadce benchmark aborted'));
      if (code !== 0) return reject(new InvalidArgumentError(`benchmarks/jadce/run.mjs exited with code ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() || '{}') as Record<string, unknown>);
    });
  });
}

/** The `ft jadce` commands. */
export const commands: CommandSpec[] = [simulate, train, evaluate, bench];
