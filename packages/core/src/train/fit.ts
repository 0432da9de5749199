/**
 * The training loop of @ft: `fit(model, options)` for tfjs-layers models and custom `Module`s.
 *
 * Each step runs, inside one `tf.tidy`: forward → loss (+ `extraLoss(model)`) → `tf.variableGrads` over the
 * trainable variables → optional clipping; then a finite-loss check (`NonFiniteLossError`) and the optimizer update.
 * Batch tensors are disposed after every step, so the tensor count is flat after the first step.
 *
 * Determinism and resume: the data function gets `(epoch, rng.fork('epoch-' + epoch))`, stochastic forward passes
 * get a `rng.fork('fit-step')` stream, and checkpoints store every model variable (weights and BN moving
 * statistics), optimizer slots, both RNG states, the step/epoch position (the schedule is a pure function of the
 * step), the partial-epoch accumulators, the history and callback state. Resuming re-creates the interrupted
 * epoch's data iterator and skips its already-trained batches, so the continued run is bit-identical to an
 * uninterrupted one on the same backend.
 *
 * Limits: tfjs-layers `Dropout` draws its masks from an unseeded global generator (or from one fixed seed, giving
 * the same mask every call), so models with Dropout layers are neither reproducible nor bit-identically resumable;
 * use a custom `forward` / `Module` that takes its randomness from `ctx.rng`. Float reductions differ across
 * backends, so bitwise resume holds on one backend only. The abort signal is checked between steps (after yielding
 * to the event loop, so signal handlers and timers run even on backends whose reads resolve in a microtask), not
 * while waiting for a batch from an async data source.
 *
 * Safety: the weights (every variable, BN moving statistics included) are checked for NaN/±Inf/|w| ≥ 2^64 at every
 * epoch end, before every checkpoint and after the last step (`NonFiniteValueError`); checkpoints record a run
 * fingerprint (`CheckpointOptions.config`) that a resume must match (`ResumeMismatchError`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core ops (tf.variableGrads needs them)
import {
  AbortedError,
  CheckpointCorruptError,
  EmptyDatasetError,
  InvalidArgumentError,
  NonFiniteLossError,
  ResumeMismatchError,
} from '../errors.js';
import { allVariablesOf, type Trainable, trainableVariablesOf } from '../models/module.js';
import type { Rng, RngState } from '../rng.js';
import {
  type BatchSource,
  batchSizeOf,
  type DataFn,
  defaultForward,
  disposeBatch,
  type ForwardFn,
  type LossFn,
  type MetricFn,
  type TrainBatch,
  toAsyncIterator,
} from './batch.js';
import type { Callback, EpochLogs, EpochRecord, History, StepLogs, TrainContext } from './callback.js';
import {
  assignVariables,
  cleanStaleCheckpointTemps,
  disposeCheckpoint,
  type LoadedCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
import { clipByGlobalNorm, clipByValue } from './clip.js';
import { evaluate } from './evaluate.js';
import { assertFiniteVariables } from './finite.js';
import type { Optimizer, OptimizerState, ParamGroup } from './optimizer.js';
import type { Schedule } from './schedules.js';
import { yieldToEventLoop } from './yield.js';

/** A value of a run fingerprint (`CheckpointOptions.config`). */
export type RunConfigValue = string | number | boolean | null;

/** Checkpointing options of `fit`. */
export interface CheckpointOptions {
  /** Root directory; checkpoints go to `<dir>/ckpt-<step>/`. */
  dir: string;
  /** Save every N optimizer steps, or at the end of every epoch. Default `'epoch'`. */
  every?: number | 'epoch';
  /** How many newest checkpoints to keep. Default 2. */
  keepLast?: number;
  /**
   * `'auto'`: resume from the newest complete checkpoint under `dir` (corrupt ones are skipped with a warning;
   * none ⇒ start fresh). A path: resume from that checkpoint (`CheckpointCorruptError` if it is corrupt).
   * `false` (default): start fresh; throws if `dir` already holds checkpoints, so runs never mix.
   *
   * Stale temporary directories of an interrupted save (`.tmp-ckpt-*`, `.old-ckpt-*` of a process that is gone)
   * are cleaned up when a run starts or resumes in `dir`.
   */
  resume?: 'auto' | false | string;
  /**
   * Fingerprint of the run: the settings that define it (dataset, seed, lr, batch size, epochs, model
   * architecture, method, …). Stored in every checkpoint's `state.json`; on resume it is compared key by key with
   * the checkpoint's, and any difference throws `ResumeMismatchError` (code `RESUME_MISMATCH`) naming each setting
   * with its old and new value, so a resumed run is never a hybrid of two configurations. A checkpoint written
   * without a fingerprint (before they existed) is refused the same way when `config` is given. Without `config`
   * nothing is compared.
   */
  config?: Record<string, RunConfigValue>;
  /**
   * Resume even when `config` differs from the checkpoint's (or the checkpoint has none): the differences are
   * reported through `log` and the run continues with the new settings, which are stored in later checkpoints.
   * Default false.
   */
  forceResume?: boolean;
}

/** Validation run at the end of epochs; results go into the epoch logs as `val_loss` and `val_<metric>`. */
export interface ValidationOptions<B extends TrainBatch = TrainBatch> {
  data: BatchSource<B>;
  metrics?: Record<string, MetricFn<B>>;
  /** Validate every N epochs (and after the last). Default 1. */
  every?: number;
}

/** Options of `fit`. Give `epochs`, `steps` or both (training stops at whichever comes first). */
export interface FitOptions<B extends TrainBatch = TrainBatch> {
  /** Batches per epoch (see `DataFn`: must be deterministic in `(epoch, rng)`; batches are disposed by `fit`). */
  data: DataFn<B>;
  /** Loss `(yTrue, yPred, batch) => scalar`. */
  loss: LossFn<B>;
  optimizer: Optimizer;
  /** Parameter groups (per-group lr multiplier / weight decay), passed to `optimizer.setGroups`. */
  groups?: ParamGroup[];
  /** Learning rate per global step; default: `optimizer.lr` unchanged. */
  schedule?: Schedule;
  epochs?: number;
  /** Total optimizer steps. */
  steps?: number;
  /** Cap on steps per epoch (for infinite or with-replacement data). */
  stepsPerEpoch?: number;
  callbacks?: Callback[];
  checkpoint?: CheckpointOptions;
  /** Root RNG. Epoch data gets `rng.fork('epoch-'+e)`, the forward pass `rng.fork('fit-step')`. */
  rng: Rng;
  /**
   * Abort: training stops after the current step, writes a checkpoint if configured and throws `AbortedError`.
   * `fit` yields to the event loop after every step, so aborting from a `SIGINT` handler or a timer is seen promptly.
   */
  signal?: AbortSignal;
  /** Extra loss term added to the data loss, e.g. an L2-SP regulariser: `(model) => scalar`. */
  extraLoss?: (model: Trainable) => tf.Scalar;
  /** Clip the global gradient norm to this value (PyTorch `clip_grad_norm_`). */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue] (applied before `clipNorm`). */
  clipValue?: number;
  /** Forward pass; default `model.apply(x, {training: true})` (LayersModel) / `Module.apply`. */
  forward?: ForwardFn<B>;
  /** Training metrics computed on each batch's predictions; epoch means go into `EpochRecord.metrics`. */
  metrics?: Record<string, MetricFn<B>>;
  validation?: ValidationOptions<B>;
  /** Dispose batch tensors after each step. Default true. Set false if `data` yields tensors you keep. */
  disposeBatches?: boolean;
  /** Warning sink. Default `console.warn`. */
  log?: (msg: string) => void;
}

/** Running sums of the current epoch (checkpointed so a resumed epoch reports the same means). */
interface EpochAcc {
  lossSum: number;
  steps: number;
  images: number;
  ms: number;
  lr: number;
  metricSums: Record<string, number>;
}

/** The checkpointed state tree written by `fit`. */
interface FitState {
  format: 'ft-fit';
  version: 1;
  step: number;
  epoch: number;
  stepInEpoch: number;
  acc: EpochAcc;
  history: History;
  rng: { root: RngState; step: RngState };
  optimizer: OptimizerState;
  schedule: { step: number; lr: number };
  callbacks: Record<string, unknown>;
  /** The run fingerprint (`CheckpointOptions.config`), absent in checkpoints of runs without one. */
  config?: Record<string, RunConfigValue>;
}

const newAcc = (): EpochAcc => ({ lossSum: 0, steps: 0, images: 0, ms: 0, lr: Number.NaN, metricSums: {} });

/**
 * Trains `model` and returns the per-epoch history.
 *
 * Abort (design choice): when `signal` fires, the current step finishes, a checkpoint is written (if
 * `checkpoint` is set) and `fit` throws `AbortedError` whose `details` hold `{step, epoch, checkpoint, history}`.
 * The loop yields to the event loop (`yieldToEventLoop`) after every step, so a signal aborted from a signal
 * handler is seen after the current step on every backend.
 * A non-finite loss throws `NonFiniteLossError` (before the update is applied) naming the step, epoch and the last
 * checkpoint. Weights that are NaN, ±Inf or of magnitude ≥ 2^64 (trainable or not, e.g. BN moving statistics) throw
 * `NonFiniteValueError` naming the variable, the step and the last good checkpoint; they are checked at every epoch
 * end, before every checkpoint (none is written with them) and after the last step, with one fused reduction per
 * variable. Resuming a checkpoint whose `config` fingerprint differs from `checkpoint.config` throws
 * `ResumeMismatchError` unless `checkpoint.forceResume`. A `steps` limit that falls inside an epoch records that
 * partial epoch.
 *
 * @param model a tfjs-layers `LayersModel` or a `Module`.
 * @param opts see `FitOptions`.
 */
export async function fit<B extends TrainBatch = TrainBatch>(model: Trainable, opts: FitOptions<B>): Promise<History> {
  validate(opts);
  const log = opts.log ?? ((m: string) => console.warn(m));
  const optimizer = opts.optimizer;
  if (opts.groups) optimizer.setGroups(opts.groups);
  const trainVars = trainableVariablesOf(model);
  const allVars = allVariablesOf(model);
  if (trainVars.length === 0) throw new InvalidArgumentError('fit: the model has no trainable variables');
  const callbacks = opts.callbacks ?? [];
  const cbKeys = callbacks.map((c, i) => `${i}:${c.name ?? 'callback'}`);
  const forward: ForwardFn<B> = opts.forward ?? defaultForward;
  const disposeBatches = opts.disposeBatches ?? true;
  const rootRng = opts.rng;
  const stepRng = rootRng.fork('fit-step');
  const ck = opts.checkpoint;
  const every = ck?.every ?? 'epoch';
  const keepLast = ck?.keepLast ?? 2;

  const history: History = { epochs: [], steps: 0, stoppedEarly: false };
  let step = 0;
  let epoch = 0;
  let stepInEpoch = 0;
  let acc = newAcc();
  let lastCheckpoint: string | null = null;
  let lastSavedKey = '';
  const posKey = () => `${step}/${epoch}/${stepInEpoch}`;

  // ---- resume -------------------------------------------------------------------------------------------------
  let loaded: LoadedCheckpoint | null = null;
  if (ck) {
    await cleanStaleCheckpointTemps(ck.dir, log);
    const resume = ck.resume ?? false;
    if (resume === 'auto') loaded = await loadLatestCheckpoint(ck.dir, log);
    else if (typeof resume === 'string') loaded = await loadCheckpoint(resume);
    else if ((await listCheckpoints(ck.dir)).length > 0) {
      throw new InvalidArgumentError(
        `fit: checkpoint.dir '${ck.dir}' already holds checkpoints; pass checkpoint.resume 'auto' or use an empty dir`,
      );
    }
  }
  if (loaded) {
    try {
      const s = loaded.state as FitState;
      if (s?.format !== 'ft-fit') {
        throw new CheckpointCorruptError(`fit: ${loaded.path}/state.json is not a fit() checkpoint`);
      }
      if (ck?.config) checkRunConfig(loaded.path, s.config, ck.config, ck.forceResume ?? false, log);
      assignVariables(allVars, loaded.weights, `fit: checkpoint ${loaded.path}/weights.bin`);
      optimizer.setState(trainVars, s.optimizer);
      rootRng.setState(s.rng.root);
      stepRng.setState(s.rng.step);
      ({ step, epoch, stepInEpoch, acc } = s);
      history.epochs = s.history.epochs;
      history.steps = s.history.steps;
      history.stoppedEarly = s.history.stoppedEarly;
      callbacks.forEach((cb, i) => {
        const st = s.callbacks[cbKeys[i]];
        if (st !== undefined && cb.setState) cb.setState(st);
        else if (cb.getState && st === undefined)
          log(`fit: checkpoint ${loaded?.path} has no state for callback ${cbKeys[i]}`);
      });
    } finally {
      disposeCheckpoint(loaded);
    }
    lastCheckpoint = loaded.path;
    lastSavedKey = posKey();
    history.resumedFrom = loaded.path;
  }

  const ctx: TrainContext = {
    model,
    optimizer,
    step,
    epoch,
    stepInEpoch,
    epochs: opts.epochs,
    steps: opts.steps,
    stepsPerEpoch: opts.stepsPerEpoch,
    // a run that was stopped early (e.g. by earlyStopping) stays stopped when resumed
    stopTraining: history.stoppedEarly,
    lastCheckpoint,
    resumed: loaded != null,
    history,
    log,
  };
  const sync = () => {
    ctx.step = step;
    ctx.epoch = epoch;
    ctx.stepInEpoch = stepInEpoch;
    ctx.lastCheckpoint = lastCheckpoint;
    history.steps = step;
  };

  // Weights (and BN moving statistics) are checked for NaN/±Inf at every epoch end, before every checkpoint and
  // after the last step: one fused reduction per variable, read back once. Weights only change in steps.
  let lastCheckedStep = -1;
  const checkWeights = async () => {
    if (step === lastCheckedStep) return;
    await assertFiniteVariables(allVars, { where: 'fit', step, epoch, lastCheckpoint });
    lastCheckedStep = step;
  };

  const save = async () => {
    if (!ck || posKey() === lastSavedKey) return;
    await checkWeights(); // never write a checkpoint with non-finite weights
    const callbackStates: Record<string, unknown> = {};
    callbacks.forEach((cb, i) => {
      if (cb.getState) callbackStates[cbKeys[i]] = cb.getState();
    });
    const state: FitState = {
      format: 'ft-fit',
      version: 1,
      step,
      epoch,
      stepInEpoch,
      acc,
      history: { epochs: history.epochs, steps: step, stoppedEarly: ctx.stopTraining },
      rng: { root: rootRng.getState(), step: stepRng.getState() },
      optimizer: optimizer.getState(trainVars),
      schedule: { step, lr: optimizer.lr },
      callbacks: callbackStates,
      ...(ck.config ? { config: ck.config } : {}),
    };
    lastCheckpoint = await saveCheckpoint(ck.dir, step, {
      weights: allVars,
      weightNames: allVars.map((v) => v.name),
      state,
    });
    lastSavedKey = posKey();
    await pruneCheckpoints(ck.dir, keepLast);
    sync();
  };

  const abort = async (): Promise<never> => {
    await checkWeights();
    await save();
    sync();
    throw new AbortedError(
      `fit: aborted after step ${step} (epoch ${epoch})${lastCheckpoint ? `; checkpoint ${lastCheckpoint}` : ''}`,
      { step, epoch, checkpoint: lastCheckpoint, history },
      { cause: opts.signal?.reason },
    );
  };

  interface StepTensors {
    value: tf.Scalar;
    gs: tf.Tensor[];
    scalars: Record<string, tf.Scalar>;
    gradNorm?: tf.Scalar;
  }
  const trainOnBatch = async (batch: B, lr: number) => {
    let vars: tf.Variable[] = [];
    const out = tf.tidy(() => {
      // Tensors made inside variableGrads' function are disposed when it returns, except those we keep.
      let yPred: tf.Tensor | null = null;
      let dataLoss: tf.Scalar | null = null;
      let extra: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const yp = forward(model, batch, { training: true, rng: stepRng, step, epoch });
        const dl = opts.loss(batch.y, yp, batch);
        if (opts.metrics) yPred = tf.keep(yp);
        if (!opts.extraLoss) return dl;
        const ex = opts.extraLoss(model);
        dataLoss = tf.keep(dl);
        extra = tf.keep(ex);
        return tf.add(dl, ex) as tf.Scalar;
      }, trainVars);
      const scalars: Record<string, tf.Scalar> = {};
      if (opts.metrics) {
        const yp = yPred as unknown as tf.Tensor;
        try {
          for (const [k, m] of Object.entries(opts.metrics)) scalars[k] = m(batch.y, yp, batch);
        } finally {
          yp.dispose();
        }
      }
      if (extra) {
        scalars.dataLoss = dataLoss as unknown as tf.Scalar;
        scalars.extraLoss = extra;
      }
      vars = trainVars.filter((v) => grads[v.name] != null);
      let gs = vars.map((v) => grads[v.name]);
      if (opts.clipValue != null) gs = clipByValue(gs, opts.clipValue);
      const res: StepTensors = { value, gs, scalars };
      if (opts.clipNorm != null) {
        const c = clipByGlobalNorm(gs, opts.clipNorm);
        res.gs = c.grads;
        res.gradNorm = c.norm;
      }
      return res as unknown as tf.TensorContainer;
    }) as unknown as StepTensors;
    const { value, gs, scalars, gradNorm } = out;
    const disposeAll = () => tf.dispose([value, ...gs, ...Object.values(scalars), ...(gradNorm ? [gradNorm] : [])]);
    let loss: number;
    const host: Record<string, number> = {};
    let gn: number | undefined;
    try {
      loss = (await value.data())[0];
      for (const [k, t] of Object.entries(scalars)) host[k] = (await t.data())[0];
      if (gradNorm) gn = (await gradNorm.data())[0];
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError(
          `fit: loss is ${loss} at step ${step} (epoch ${epoch}, batch ${stepInEpoch}); last checkpoint: ${lastCheckpoint ?? 'none'}. Training diverged: lower the learning rate, or clip gradients (clipNorm)`,
          { step, epoch, stepInEpoch, loss, lastCheckpoint },
        );
      }
      optimizer.lr = lr;
      optimizer.applyGradients(vars.map((variable, i) => ({ variable, grad: gs[i] })));
    } finally {
      disposeAll();
    }
    return { loss, host, gradNorm: gn };
  };

  // ---- loop ---------------------------------------------------------------------------------------------------
  const stepsDone = () => opts.steps != null && step >= opts.steps;
  const epochsDone = () => opts.epochs != null && epoch >= opts.epochs;
  sync();
  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
  if (opts.signal?.aborted) await abort();

  // A partially trained epoch (resumed at its end) is closed even when no more steps will run.
  while (stepInEpoch > 0 || (!ctx.stopTraining && !epochsDone() && !stepsDone())) {
    sync();
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
    let it: AsyncIterator<B> | null = null;
    const open = async () => {
      it = toAsyncIterator(opts.data(epoch, rootRng.fork(`epoch-${epoch}`)));
      for (let i = 0; i < stepInEpoch; i++) {
        const r = await it.next();
        if (r.done) {
          throw new InvalidArgumentError(
            `fit: resuming epoch ${epoch} after ${stepInEpoch} batches, but data(${epoch}) yields only ${i}; the data function must be deterministic`,
          );
        }
        if (disposeBatches) disposeBatch(r.value);
      }
      return it;
    };
    let epochComplete = false;
    try {
      for (;;) {
        if (opts.stepsPerEpoch != null && stepInEpoch >= opts.stepsPerEpoch) {
          epochComplete = true;
          break;
        }
        if (stepsDone() || ctx.stopTraining) break;
        const t0 = performance.now();
        const iter: AsyncIterator<B> = it ?? (await open());
        const r = await iter.next();
        if (r.done) {
          epochComplete = true;
          break;
        }
        const batch = r.value;
        const lr = opts.schedule ? opts.schedule(step) : optimizer.lr;
        if (!Number.isFinite(lr) || lr < 0) {
          if (disposeBatches) disposeBatch(batch);
          throw new InvalidArgumentError(`fit: schedule returned lr ${lr} at step ${step}`);
        }
        let res: Awaited<ReturnType<typeof trainOnBatch>>;
        const bs = batchSizeOf(batch);
        try {
          res = await trainOnBatch(batch, lr);
        } finally {
          if (disposeBatches) disposeBatch(batch);
        }
        acc.lossSum += res.loss;
        acc.steps += 1;
        acc.images += bs;
        acc.lr = lr;
        for (const [k, v] of Object.entries(res.host)) acc.metricSums[k] = (acc.metricSums[k] ?? 0) + v;
        const logs: StepLogs = { ...res.host, loss: res.loss, lr, batchSize: bs, epoch, stepInEpoch };
        if (res.gradNorm !== undefined) logs.gradNorm = res.gradNorm;
        step += 1;
        stepInEpoch += 1;
        acc.ms += performance.now() - t0;
        sync();
        for (const cb of callbacks) await cb.onStepEnd?.(step - 1, logs, ctx);
        if (ck && typeof every === 'number' && step % every === 0) await save();
        // Let timers and signal handlers run: on cpu / ft-native every await above settles in a microtask.
        await yieldToEventLoop();
        if (opts.signal?.aborted) await abort();
      }
    } finally {
      const open_ = it as AsyncIterator<B> | null;
      if (open_?.return) await open_.return();
    }
    if (epochComplete && stepInEpoch === 0) {
      throw new EmptyDatasetError(`fit: data(${epoch}) yielded no batches`);
    }
    if (stepInEpoch > 0) {
      await checkWeights();
      const record = await closeEpoch();
      history.epochs.push(record);
      if (epochComplete && opts.stepsPerEpoch == null) ctx.stepsPerEpoch = stepInEpoch;
    }
    epoch += 1;
    stepInEpoch = 0;
    acc = newAcc();
    sync();
    if (ck && every === 'epoch') await save();
    await yieldToEventLoop();
    if (opts.signal?.aborted) await abort();
  }
  history.stoppedEarly = ctx.stopTraining;
  sync();
  await checkWeights();
  if (ck) await save();
  for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
  return history;

  async function closeEpoch(): Promise<EpochRecord> {
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(acc.metricSums)) metrics[k] = v / acc.steps;
    const loss = acc.lossSum / acc.steps;
    const v = opts.validation;
    const lastEpoch = opts.epochs != null && epoch === opts.epochs - 1;
    if (v && ((epoch + 1) % (v.every ?? 1) === 0 || lastEpoch || stepsDone())) {
      const fns: Record<string, MetricFn<B>> = { loss: (y, p, b) => opts.loss(y, p, b), ...(v.metrics ?? {}) };
      const res = await evaluate(model, v.data, fns, { forward });
      for (const [k, val] of Object.entries(res)) metrics[`val_${k}`] = val;
    }
    const logs: EpochLogs = { ...metrics, loss, lr: acc.lr };
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
    for (const [k, val] of Object.entries(logs)) if (k !== 'loss' && k !== 'lr') metrics[k] = val;
    return {
      epoch,
      loss,
      metrics,
      lr: acc.lr,
      imgPerSec: acc.ms > 0 ? (acc.images * 1000) / acc.ms : 0,
      ms: acc.ms,
      steps: acc.steps,
    };
  }
}

const showValue = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/**
 * Compares the run fingerprint stored in a checkpoint with the current one; throws `ResumeMismatchError` naming
 * every differing setting (old → new), or logs them and returns when `force` is set.
 */
function checkRunConfig(
  ckptPath: string,
  saved: Record<string, RunConfigValue> | undefined,
  current: Record<string, RunConfigValue>,
  force: boolean,
  log: (msg: string) => void,
): void {
  const how = 'start a fresh run in an empty checkpoint dir, or pass checkpoint.forceResume (CLI: --force-resume)';
  if (saved == null || typeof saved !== 'object') {
    const msg = `fit: checkpoint ${ckptPath} has no run fingerprint (written before fingerprints existed), so its settings cannot be compared with this run's`;
    if (force) {
      log(`${msg}; resuming anyway (forceResume)`);
      return;
    }
    throw new ResumeMismatchError(`${msg}; ${how}`, { checkpoint: ckptPath, differences: [] });
  }
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  const diffs = keys
    .filter((k) => !Object.is(saved[k], current[k]))
    .map((k) => ({
      key: k,
      old: saved[k] as RunConfigValue | undefined,
      new: current[k] as RunConfigValue | undefined,
    }));
  if (diffs.length === 0) return;
  const list = diffs.map((d) => `${d.key}: ${showValue(d.old)} → ${showValue(d.new)}`).join(', ');
  if (force) {
    log(`fit: resuming ${ckptPath} with changed settings (forceResume): ${list}`);
    return;
  }
  throw new ResumeMismatchError(
    `fit: checkpoint ${ckptPath} was written by a run with different settings (${list}); resuming would mix two runs. To continue it, use the old settings; otherwise ${how}`,
    { checkpoint: ckptPath, differences: diffs },
  );
}

function validate<B extends TrainBatch>(opts: FitOptions<B>): void {
  if (!opts || typeof opts.data !== 'function')
    throw new InvalidArgumentError('fit: data must be a function (epoch, rng) => batches');
  if (typeof opts.loss !== 'function')
    throw new InvalidArgumentError('fit: loss must be a function (yTrue, yPred) => scalar');
  if (!opts.optimizer || typeof opts.optimizer.applyGradients !== 'function') {
    throw new InvalidArgumentError('fit: optimizer must be an @ft optimizer (sgd, adam, adamw)');
  }
  if (!opts.rng || typeof opts.rng.fork !== 'function')
    throw new InvalidArgumentError('fit: rng (createRng(seed)) is required');
  if (opts.epochs == null && opts.steps == null) throw new InvalidArgumentError('fit: give epochs or steps');
  for (const k of ['epochs', 'steps', 'stepsPerEpoch'] as const) {
    const v = opts[k];
    if (v != null && (!Number.isInteger(v) || v < 0))
      throw new InvalidArgumentError(`fit: ${k} must be an integer >= 0, got ${v}`);
  }
  for (const k of ['clipNorm', 'clipValue'] as const) {
    const v = opts[k];
    if (v != null && !(v > 0 && Number.isFinite(v))) throw new InvalidArgumentError(`fit: ${k} must be > 0, got ${v}`);
  }
  const ck = opts.checkpoint;
  if (ck) {
    if (!ck.dir) throw new InvalidArgumentError('fit: checkpoint.dir is required');
    const e = ck.every ?? 'epoch';
    if (e !== 'epoch' && !(Number.isInteger(e) && e > 0)) {
      throw new InvalidArgumentError(`fit: checkpoint.every must be 'epoch' or an integer > 0, got ${e}`);
    }
    const k = ck.keepLast ?? 2;
    if (!Number.isInteger(k) || k < 1)
      throw new InvalidArgumentError(`fit: checkpoint.keepLast must be >= 1, got ${k}`);
    if (ck.config != null) {
      if (typeof ck.config !== 'object' || Array.isArray(ck.config))
        throw new InvalidArgumentError('fit: checkpoint.config must be an object of settings');
      for (const [key, v] of Object.entries(ck.config)) {
        const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number';
        if (!ok)
          throw new InvalidArgumentError(
            `fit: checkpoint.config.${key} must be a string, number, boolean or null, got ${typeof v}`,
          );
      }
    }
  }
}
