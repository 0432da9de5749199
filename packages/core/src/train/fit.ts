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
  const run = new FitRun(model, opts);
  await run.resume();
  return run.train();
}

/** What one step hands back from its `tf.tidy`: the loss, the (clipped) gradients and the metric scalars. */
interface StepTensors {
  value: tf.Scalar;
  vars: tf.Variable[];
  gs: tf.Tensor[];
  scalars: Record<string, tf.Scalar>;
  gradNorm?: tf.Scalar;
}

/** Host values of one step. */
interface StepResult {
  loss: number;
  host: Record<string, number>;
  gradNorm?: number;
}

/**
 * One run of {@link fit}: the resolved options, the position (step, epoch, batch in epoch), the epoch accumulators,
 * the history and the callbacks' context. `resume()` sets it up (from a checkpoint if asked), `train()` runs the
 * epochs and finishes.
 */
class FitRun<B extends TrainBatch> {
  private readonly log: (msg: string) => void;
  private readonly optimizer: Optimizer;
  private readonly trainVars: tf.Variable[];
  private readonly allVars: tf.Variable[];
  private readonly callbacks: Callback[];
  /** Key of each callback's state in a checkpoint: `<index>:<name>`. */
  private readonly cbKeys: string[];
  private readonly forward: ForwardFn<B>;
  private readonly disposeBatches: boolean;
  private readonly rootRng: Rng;
  private readonly stepRng: Rng;
  private readonly ck: CheckpointOptions | undefined;
  private readonly every: number | 'epoch';
  private readonly keepLast: number;

  private readonly history: History = { epochs: [], steps: 0, stoppedEarly: false };
  private step = 0;
  private epoch = 0;
  private stepInEpoch = 0;
  private acc = newAcc();
  private lastCheckpoint: string | null = null;
  private lastSavedKey = '';
  private lastCheckedStep = -1;
  private ctx!: TrainContext;

  constructor(
    private readonly model: Trainable,
    private readonly opts: FitOptions<B>,
  ) {
    this.log = opts.log ?? ((m: string) => console.warn(m));
    this.optimizer = opts.optimizer;
    if (opts.groups) this.optimizer.setGroups(opts.groups);
    this.trainVars = trainableVariablesOf(model);
    this.allVars = allVariablesOf(model);
    if (this.trainVars.length === 0) throw new InvalidArgumentError('fit: the model has no trainable variables');
    this.callbacks = opts.callbacks ?? [];
    this.cbKeys = this.callbacks.map((c, i) => `${i}:${c.name ?? 'callback'}`);
    this.forward = opts.forward ?? defaultForward;
    this.disposeBatches = opts.disposeBatches ?? true;
    this.rootRng = opts.rng;
    this.stepRng = this.rootRng.fork('fit-step');
    this.ck = opts.checkpoint;
    this.every = this.ck?.every ?? 'epoch';
    this.keepLast = this.ck?.keepLast ?? 2;
  }

  // ---- setup and resume ---------------------------------------------------------------------------------------

  /** Restores the checkpoint to resume from (if any) and builds the callbacks' context. */
  async resume(): Promise<void> {
    const loaded = await this.findCheckpoint();
    if (loaded) {
      try {
        this.restore(loaded);
      } finally {
        disposeCheckpoint(loaded);
      }
      this.lastCheckpoint = loaded.path;
      this.lastSavedKey = this.posKey();
      this.history.resumedFrom = loaded.path;
    }
    const { opts, history } = this;
    this.ctx = {
      model: this.model,
      optimizer: this.optimizer,
      step: this.step,
      epoch: this.epoch,
      stepInEpoch: this.stepInEpoch,
      epochs: opts.epochs,
      steps: opts.steps,
      stepsPerEpoch: opts.stepsPerEpoch,
      // a run that was stopped early (e.g. by earlyStopping) stays stopped when resumed
      stopTraining: history.stoppedEarly,
      lastCheckpoint: this.lastCheckpoint,
      resumed: loaded != null,
      history,
      log: this.log,
    };
  }

  /** The checkpoint `checkpoint.resume` asks for, or null; refuses a fresh run in a dir that holds checkpoints. */
  private async findCheckpoint(): Promise<LoadedCheckpoint | null> {
    const ck = this.ck;
    if (!ck) return null;
    await cleanStaleCheckpointTemps(ck.dir, this.log);
    const resume = ck.resume ?? false;
    if (resume === 'auto') return loadLatestCheckpoint(ck.dir, this.log);
    if (typeof resume === 'string') return loadCheckpoint(resume);
    if ((await listCheckpoints(ck.dir)).length > 0) {
      throw new InvalidArgumentError(
        `fit: checkpoint.dir '${ck.dir}' already holds checkpoints; pass checkpoint.resume 'auto' or use an empty dir`,
      );
    }
    return null;
  }

  /** Loads weights, optimizer slots, RNG states, position, accumulators, history and callback states. */
  private restore(loaded: LoadedCheckpoint): void {
    const s = loaded.state as FitState;
    if (s?.format !== 'ft-fit') {
      throw new CheckpointCorruptError(`fit: ${loaded.path}/state.json is not a fit() checkpoint`);
    }
    const ck = this.ck;
    if (ck?.config) checkRunConfig(loaded.path, s.config, ck.config, ck.forceResume ?? false, this.log);
    assignVariables(this.allVars, loaded.weights, `fit: checkpoint ${loaded.path}/weights.bin`);
    this.optimizer.setState(this.trainVars, s.optimizer);
    this.rootRng.setState(s.rng.root);
    this.stepRng.setState(s.rng.step);
    ({ step: this.step, epoch: this.epoch, stepInEpoch: this.stepInEpoch, acc: this.acc } = s);
    this.history.epochs = s.history.epochs;
    this.history.steps = s.history.steps;
    this.history.stoppedEarly = s.history.stoppedEarly;
    this.callbacks.forEach((cb, i) => {
      const st = s.callbacks[this.cbKeys[i]];
      if (st !== undefined && cb.setState) cb.setState(st);
      else if (cb.getState && st === undefined)
        this.log(`fit: checkpoint ${loaded?.path} has no state for callback ${this.cbKeys[i]}`);
    });
  }

  // ---- the loop -----------------------------------------------------------------------------------------------

  /** Runs the epochs, then finishes: final weight check, last checkpoint, `onTrainEnd`. */
  async train(): Promise<History> {
    this.sync();
    for (const cb of this.callbacks) await cb.onTrainBegin?.(this.ctx);
    if (this.opts.signal?.aborted) await this.abort();
    // A partially trained epoch (resumed at its end) is closed even when no more steps will run.
    while (this.stepInEpoch > 0 || (!this.ctx.stopTraining && !this.epochsDone() && !this.stepsDone())) {
      this.sync();
      for (const cb of this.callbacks) await cb.onEpochBegin?.(this.epoch, this.ctx);
      const epochComplete = await this.runEpochSteps();
      await this.endEpoch(epochComplete);
    }
    this.history.stoppedEarly = this.ctx.stopTraining;
    this.sync();
    await this.checkWeights();
    if (this.ck) await this.save();
    for (const cb of this.callbacks) await cb.onTrainEnd?.(this.ctx);
    return this.history;
  }

  private stepsDone(): boolean {
    return this.opts.steps != null && this.step >= this.opts.steps;
  }

  private epochsDone(): boolean {
    return this.opts.epochs != null && this.epoch >= this.opts.epochs;
  }

  /**
   * Trains the steps of the current epoch; true when the epoch's data ran out or `stepsPerEpoch` was reached, false
   * when stopped by the `steps` limit or `stopTraining`. The data iterator is opened at the first step (skipping
   * the batches a resumed epoch already trained) and closed on the way out.
   */
  private async runEpochSteps(): Promise<boolean> {
    const { opts } = this;
    let it: AsyncIterator<B> | null = null;
    try {
      for (;;) {
        if (opts.stepsPerEpoch != null && this.stepInEpoch >= opts.stepsPerEpoch) return true;
        if (this.stepsDone() || this.ctx.stopTraining) return false;
        const t0 = performance.now();
        if (!it) {
          it = toAsyncIterator(opts.data(this.epoch, this.rootRng.fork(`epoch-${this.epoch}`)));
          await this.skipTrainedBatches(it);
        }
        const r = await it.next();
        if (r.done) return true;
        await this.runStep(r.value, t0);
      }
    } finally {
      const open = it as AsyncIterator<B> | null;
      if (open?.return) await open.return();
    }
  }

  /** Skips the `stepInEpoch` batches a resumed epoch has already trained on. */
  private async skipTrainedBatches(it: AsyncIterator<B>): Promise<void> {
    const { epoch, stepInEpoch } = this;
    for (let i = 0; i < stepInEpoch; i++) {
      const r = await it.next();
      if (r.done) {
        throw new InvalidArgumentError(
          `fit: resuming epoch ${epoch} after ${stepInEpoch} batches, but data(${epoch}) yields only ${i}; the data function must be deterministic`,
        );
      }
      if (this.disposeBatches) disposeBatch(r.value);
    }
  }

  /** One optimizer step on `batch` (disposed afterwards), its logs and callbacks, a step checkpoint, abort check. */
  private async runStep(batch: B, t0: number): Promise<void> {
    const { opts, acc } = this;
    const lr = opts.schedule ? opts.schedule(this.step) : this.optimizer.lr;
    if (!Number.isFinite(lr) || lr < 0) {
      if (this.disposeBatches) disposeBatch(batch);
      throw new InvalidArgumentError(`fit: schedule returned lr ${lr} at step ${this.step}`);
    }
    let res: StepResult;
    const bs = batchSizeOf(batch);
    try {
      res = await this.trainOnBatch(batch, lr);
    } finally {
      if (this.disposeBatches) disposeBatch(batch);
    }
    acc.lossSum += res.loss;
    acc.steps += 1;
    acc.images += bs;
    acc.lr = lr;
    for (const [k, v] of Object.entries(res.host)) acc.metricSums[k] = (acc.metricSums[k] ?? 0) + v;
    const logs: StepLogs = {
      ...res.host,
      loss: res.loss,
      lr,
      batchSize: bs,
      epoch: this.epoch,
      stepInEpoch: this.stepInEpoch,
    };
    if (res.gradNorm !== undefined) logs.gradNorm = res.gradNorm;
    this.step += 1;
    this.stepInEpoch += 1;
    acc.ms += performance.now() - t0;
    this.sync();
    for (const cb of this.callbacks) await cb.onStepEnd?.(this.step - 1, logs, this.ctx);
    if (this.ck && typeof this.every === 'number' && this.step % this.every === 0) await this.save();
    // Let timers and signal handlers run: on cpu / ft-native every await above settles in a microtask.
    await yieldToEventLoop();
    if (opts.signal?.aborted) await this.abort();
  }

  /** Gradients of `batch`, a finite-loss check, then the optimizer update at `lr`. */
  private async trainOnBatch(batch: B, lr: number): Promise<StepResult> {
    const { value, vars, gs, scalars, gradNorm } = this.computeGradients(batch);
    const host: Record<string, number> = {};
    try {
      // One readback per step for the loss, the metrics and the gradient norm (a GPU backend pays a round trip per
      // read), before the update: a non-finite loss must stop training before it reaches the weights.
      const named = Object.entries(scalars);
      const parts = [value, ...named.map(([, t]) => t), ...(gradNorm ? [gradNorm] : [])];
      const packed = parts.length === 1 ? value : tf.tidy(() => tf.stack(parts.map((t) => tf.cast(t, 'float32'))));
      let read: ArrayLike<number>;
      try {
        read = (await packed.data()) as ArrayLike<number>;
      } finally {
        if (packed !== value) packed.dispose();
      }
      const loss = read[0];
      named.forEach(([k], i) => {
        host[k] = read[1 + i];
      });
      const gn = gradNorm ? read[1 + named.length] : undefined;
      if (!Number.isFinite(loss)) {
        const { step, epoch, stepInEpoch, lastCheckpoint } = this;
        throw new NonFiniteLossError(
          `fit: loss is ${loss} at step ${step} (epoch ${epoch}, batch ${stepInEpoch}); last checkpoint: ${lastCheckpoint ?? 'none'}. Training diverged: lower the learning rate, or clip gradients (clipNorm)`,
          { step, epoch, stepInEpoch, loss, lastCheckpoint },
        );
      }
      this.optimizer.lr = lr;
      this.optimizer.applyGradients(vars.map((variable, i) => ({ variable, grad: gs[i] })));
      return { loss, host, gradNorm: gn };
    } finally {
      tf.dispose([value, ...gs, ...Object.values(scalars), ...(gradNorm ? [gradNorm] : [])]);
    }
  }

  /**
   * Inside one `tf.tidy`: forward → loss (+ `extraLoss`) → `tf.variableGrads` over the trainable variables →
   * metrics on the predictions → clipping. Returns the kept tensors (the caller disposes them).
   */
  private computeGradients(batch: B): StepTensors {
    const { opts, model, trainVars, stepRng, step, epoch } = this;
    let vars: tf.Variable[] = [];
    const out = tf.tidy(() => {
      // Tensors made inside variableGrads' function are disposed when it returns, except those we keep.
      let yPred: tf.Tensor | null = null;
      let dataLoss: tf.Scalar | null = null;
      let extra: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const yp = this.forward(model, batch, { training: true, rng: stepRng, step, epoch });
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
      const res: Omit<StepTensors, 'vars'> = { value, gs, scalars };
      if (opts.clipNorm != null) {
        const c = clipByGlobalNorm(gs, opts.clipNorm);
        res.gs = c.grads;
        res.gradNorm = c.norm;
      }
      return res as unknown as tf.TensorContainer;
    }) as unknown as Omit<StepTensors, 'vars'>;
    return { ...out, vars };
  }

  // ---- epoch end, checkpoints, abort --------------------------------------------------------------------------

  /** Closes the epoch (weight check, record, `onEpochEnd`), moves to the next, epoch checkpoint, abort check. */
  private async endEpoch(epochComplete: boolean): Promise<void> {
    if (epochComplete && this.stepInEpoch === 0) {
      throw new EmptyDatasetError(`fit: data(${this.epoch}) yielded no batches`);
    }
    if (this.stepInEpoch > 0) {
      await this.checkWeights();
      const record = await this.closeEpoch();
      this.history.epochs.push(record);
      if (epochComplete && this.opts.stepsPerEpoch == null) this.ctx.stepsPerEpoch = this.stepInEpoch;
    }
    this.epoch += 1;
    this.stepInEpoch = 0;
    this.acc = newAcc();
    this.sync();
    if (this.ck && this.every === 'epoch') await this.save();
    await yieldToEventLoop();
    if (this.opts.signal?.aborted) await this.abort();
  }

  /** The epoch's record: mean loss and metrics, validation (when due), `onEpochEnd` additions, throughput. */
  private async closeEpoch(): Promise<EpochRecord> {
    const { acc, opts, epoch } = this;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(acc.metricSums)) metrics[k] = v / acc.steps;
    const loss = acc.lossSum / acc.steps;
    const v = opts.validation;
    const lastEpoch = opts.epochs != null && epoch === opts.epochs - 1;
    if (v && ((epoch + 1) % (v.every ?? 1) === 0 || lastEpoch || this.stepsDone())) {
      const fns: Record<string, MetricFn<B>> = { loss: (y, p, b) => opts.loss(y, p, b), ...(v.metrics ?? {}) };
      const res = await evaluate(this.model, v.data, fns, { forward: this.forward });
      for (const [k, val] of Object.entries(res)) metrics[`val_${k}`] = val;
    }
    const logs: EpochLogs = { ...metrics, loss, lr: acc.lr };
    for (const cb of this.callbacks) await cb.onEpochEnd?.(epoch, logs, this.ctx);
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

  /** Copies the position into the callbacks' context and the history. */
  private sync(): void {
    const { ctx } = this;
    ctx.step = this.step;
    ctx.epoch = this.epoch;
    ctx.stepInEpoch = this.stepInEpoch;
    ctx.lastCheckpoint = this.lastCheckpoint;
    this.history.steps = this.step;
  }

  private posKey(): string {
    return `${this.step}/${this.epoch}/${this.stepInEpoch}`;
  }

  /**
   * Weights (and BN moving statistics) are checked for NaN/±Inf at every epoch end, before every checkpoint and
   * after the last step: one fused reduction per variable, read back once. Weights only change in steps.
   */
  private async checkWeights(): Promise<void> {
    if (this.step === this.lastCheckedStep) return;
    const { step, epoch, lastCheckpoint } = this;
    await assertFiniteVariables(this.allVars, { where: 'fit', step, epoch, lastCheckpoint });
    this.lastCheckedStep = step;
  }

  /** Writes a checkpoint of the current position (once per position) and prunes old ones. */
  private async save(): Promise<void> {
    const ck = this.ck;
    if (!ck || this.posKey() === this.lastSavedKey) return;
    await this.checkWeights(); // never write a checkpoint with non-finite weights
    this.lastCheckpoint = await saveCheckpoint(ck.dir, this.step, {
      weights: this.allVars,
      weightNames: this.allVars.map((v) => v.name),
      state: this.fitState(ck),
    });
    this.lastSavedKey = this.posKey();
    await pruneCheckpoints(ck.dir, this.keepLast);
    this.sync();
  }

  /** The state tree of a checkpoint (see {@link FitState}). */
  private fitState(ck: CheckpointOptions): FitState {
    const callbackStates: Record<string, unknown> = {};
    this.callbacks.forEach((cb, i) => {
      if (cb.getState) callbackStates[this.cbKeys[i]] = cb.getState();
    });
    const { step, epoch, stepInEpoch, acc, history, optimizer } = this;
    return {
      format: 'ft-fit',
      version: 1,
      step,
      epoch,
      stepInEpoch,
      acc,
      history: { epochs: history.epochs, steps: step, stoppedEarly: this.ctx.stopTraining },
      rng: { root: this.rootRng.getState(), step: this.stepRng.getState() },
      optimizer: optimizer.getState(this.trainVars),
      schedule: { step, lr: optimizer.lr },
      callbacks: callbackStates,
      ...(ck.config ? { config: ck.config } : {}),
    };
  }

  /** Checks the weights, writes a checkpoint (if configured) and throws `AbortedError`. */
  private async abort(): Promise<never> {
    await this.checkWeights();
    await this.save();
    this.sync();
    const { step, epoch, lastCheckpoint, history } = this;
    throw new AbortedError(
      `fit: aborted after step ${step} (epoch ${epoch})${lastCheckpoint ? `; checkpoint ${lastCheckpoint}` : ''}`,
      { step, epoch, checkpoint: lastCheckpoint, history },
      { cause: this.opts.signal?.reason },
    );
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

/** Checks `fit`'s options (types and ranges), throwing InvalidArgumentError naming the option. */
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
  if (opts.checkpoint) validateCheckpoint(opts.checkpoint);
}

function validateCheckpoint(ck: CheckpointOptions): void {
  if (!ck.dir) throw new InvalidArgumentError('fit: checkpoint.dir is required');
  const e = ck.every ?? 'epoch';
  if (e !== 'epoch' && !(Number.isInteger(e) && e > 0)) {
    throw new InvalidArgumentError(`fit: checkpoint.every must be 'epoch' or an integer > 0, got ${e}`);
  }
  const k = ck.keepLast ?? 2;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`fit: checkpoint.keepLast must be >= 1, got ${k}`);
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
