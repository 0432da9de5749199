/**
 * The EMA teacher of Mean Teacher (Tarvainen & Valpola, NeurIPS 2017), ICT and FixMatch's evaluation model, as the
 * official code of Abuduweili et al. (CVPR 2021) keeps it: θ_ema ← α·θ_ema + (1 − α)·θ after every optimizer step,
 * α = min(1 − 1/(t + 1), decay), BatchNorm statistics copied. The averaged weights live in a separate model (a clone
 * of the student), so the teacher can run forward passes inside the student's training step.
 */
import { allVariablesOf, type Callback, cloneModel, type Ema, ema, type StepLogs, type TrainContext } from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link EmaTeacher}. */
export interface EmaTeacherOptions {
  /** Decay cap. [0.999] */
  decay?: number;
  /** Extra decay θ_ema ← θ_ema − wd·lr·θ_ema (the FixMatch code's `ema_teacher` weight decay). [0] */
  weightDecay?: number;
}

/** A `fit` callback owning the teacher model; its averaged weights are checkpointed with the run. */
export class EmaTeacher implements Callback {
  readonly name = 'ema-teacher';
  private readonly averager: Ema;

  private constructor(
    /** The teacher: same architecture as the student, averaged weights (inference only; do not train it). */
    readonly teacher: tfl.LayersModel,
    private readonly student: tfl.LayersModel,
    o: EmaTeacherOptions,
  ) {
    this.averager = ema({ decay: o.decay ?? 0.999, warmup: 'mean-teacher', weightDecay: o.weightDecay ?? 0 });
    this.averager.attach(student);
  }

  /** A teacher initialised to the student's current weights. */
  static async create(student: tfl.LayersModel, o: EmaTeacherOptions = {}): Promise<EmaTeacher> {
    const teacher = await cloneModel(student, { name: `${student.name}_ema` });
    return new EmaTeacher(teacher, student, o);
  }

  /** One EMA update from the student's weights, copied into the teacher. */
  update(lr?: number): void {
    this.averager.update(lr);
    this.sync();
  }

  private sync(): void {
    const shadow = this.averager.weights;
    allVariablesOf(this.teacher).forEach((v, i) => {
      v.assign(shadow[i]);
    });
  }

  onTrainBegin(_ctx: TrainContext): void {
    this.averager.attach(this.student);
    this.sync();
  }

  onStepEnd(_step: number, logs: StepLogs): void {
    this.update(logs.lr);
  }

  getState(): unknown {
    return this.averager.getState();
  }

  setState(state: unknown): void {
    this.averager.setState(state);
  }

  /** Frees the averaged weights and the teacher model. */
  dispose(): void {
    this.averager.dispose();
    this.teacher.dispose();
  }
}
