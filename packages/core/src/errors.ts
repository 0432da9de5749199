/**
 * Typed errors of the @ft packages. Every error carries a stable `code` and a message that names the
 * offending file, shape or parameter, so callers can branch on `err.code` and users can act on the text.
 */

/**
 * Every `code` an @ft error can carry. `err.code` is this literal union, so a `switch` over it is checked by the
 * compiler; a new error kind adds its code here.
 */
export const FT_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'SHAPE',
  'DTYPE',
  'EMPTY_DATASET',
  'DATASET_NOT_FOUND',
  'DATASET_FORMAT',
  'DOWNLOAD',
  'MODEL_FILE_NOT_FOUND',
  'MODEL_FORMAT',
  'CHECKPOINT_CORRUPT',
  'NON_FINITE_LOSS',
  'BACKEND_UNAVAILABLE',
  'NOT_POSITIVE_DEFINITE',
  'SINGULAR_MATRIX',
  'ABORTED',
  'UNSAFE_PATH',
  'INPUT_TOO_LARGE',
  'NON_FINITE_VALUE',
  'RESUME_MISMATCH',
  'INTERRUPTED',
  /** `memoryGuard`: tensors leaked across training steps. */
  'TENSOR_LEAK',
  /** `@ft/hparams`: a study journal (file or Redis) holds a line that is not a valid operation. */
  'JOURNAL_CORRUPT',
  /** `@ft/hparams`: a study's storage (a Redis server) cannot be reached. */
  'STORAGE_UNREACHABLE',
  /** `@ft/hparams`: a trial's child process crashed, exited or threw. */
  'TRIAL_CHILD_FAILED',
  /** `@ft/cli`: a bad command line (exit code 2). */
  'USAGE',
  /** `@ft/cli`: a file-system failure no loader turned into a more specific error. */
  'FILE_ACCESS',
] as const;

/** The stable machine-readable code of an {@link FtError}. */
export type FtErrorCode = (typeof FT_ERROR_CODES)[number];

/** Marks FtError instances and classes of every copy of @ft/core (ESM and CJS builds, bundled copies). */
const FT_ERROR = Symbol.for('@ft/core.FtError');
const FT_ERROR_BASE = Symbol.for('@ft/core.FtError.base');

/**
 * Base class of every error thrown by @ft packages.
 *
 * `instanceof` works across copies of `@ft/core`: when an app loads the package both through `import` and through
 * `require` (the dual-package hazard) or bundles a second copy, `err instanceof FtError` and
 * `err instanceof ShapeError` still hold for an error thrown by the other copy. The check falls back from the
 * prototype chain to a brand (`Symbol.for`) and the class name. {@link isFtError} is the same test as a type guard.
 */
export class FtError extends Error {
  /** Stable machine-readable code, e.g. `'DATASET_NOT_FOUND'`. */
  readonly code: FtErrorCode;
  /** Optional structured details (file, shape, step, ...). */
  readonly details?: Record<string, unknown>;
  constructor(code: FtErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if ((value as Record<symbol, unknown>)[FT_ERROR] !== true) return false;
    // An FtError of another copy: the base class accepts it; a subclass accepts it when its class chain has a class
    // of the same name.
    if (Object.hasOwn(this, FT_ERROR_BASE)) return true;
    for (let p = Object.getPrototypeOf(value); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
      if ((p as { constructor?: { name?: string } }).constructor?.name === this.name) return true;
    }
    return false;
  }
}
Object.defineProperty(FtError.prototype, FT_ERROR, { value: true });
Object.defineProperty(FtError, FT_ERROR_BASE, { value: true });

/**
 * True for an error thrown by any @ft package, from this copy of `@ft/core` or another one (see {@link FtError}).
 * Branch on `err.code` after this guard:
 *
 * ```ts
 * try { await loadFashionMnist(); } catch (err) {
 *   if (isFtError(err) && err.code === 'DATASET_NOT_FOUND') console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export function isFtError(e: unknown): e is FtError {
  return e instanceof FtError;
}

function defineError(name: string, code: FtErrorCode) {
  const cls = class extends FtError {
    constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
      super(code, message, details, options);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** A parameter value is out of its valid range or of the wrong kind. */
export class InvalidArgumentError extends defineError('InvalidArgumentError', 'INVALID_ARGUMENT') {}
/** A tensor or array has the wrong shape. */
export class ShapeError extends defineError('ShapeError', 'SHAPE') {}
/** A tensor or array has the wrong dtype. */
export class DTypeError extends defineError('DTypeError', 'DTYPE') {}
/** A dataset (or split) has no samples. */
export class EmptyDatasetError extends defineError('EmptyDatasetError', 'EMPTY_DATASET') {}
/** Dataset files are absent. */
export class DatasetNotFoundError extends defineError('DatasetNotFoundError', 'DATASET_NOT_FOUND') {}
/** Dataset files are present but malformed (bad magic, truncated, wrong dtype). */
export class DatasetFormatError extends defineError('DatasetFormatError', 'DATASET_FORMAT') {}
/** A download failed or its checksum did not match. */
export class DownloadError extends defineError('DownloadError', 'DOWNLOAD') {}
/** A model file (model.json, weights) is absent. */
export class ModelFileNotFoundError extends defineError('ModelFileNotFoundError', 'MODEL_FILE_NOT_FOUND') {}
/** A model file is present but malformed. */
export class ModelFormatError extends defineError('ModelFormatError', 'MODEL_FORMAT') {}
/** A checkpoint directory is incomplete or corrupt. */
export class CheckpointCorruptError extends defineError('CheckpointCorruptError', 'CHECKPOINT_CORRUPT') {}
/** A loss or metric became NaN or ±Inf during training. */
export class NonFiniteLossError extends defineError('NonFiniteLossError', 'NON_FINITE_LOSS') {}
/** A requested backend cannot be loaded. */
export class BackendUnavailableError extends defineError('BackendUnavailableError', 'BACKEND_UNAVAILABLE') {}
/** A matrix expected to be symmetric positive definite is not (even after jitter). */
export class NotPositiveDefiniteError extends defineError('NotPositiveDefiniteError', 'NOT_POSITIVE_DEFINITE') {}
/** A matrix is singular to working precision. */
export class SingularMatrixError extends defineError('SingularMatrixError', 'SINGULAR_MATRIX') {}
/** Work was cancelled through an AbortSignal. */
export class AbortedError extends defineError('AbortedError', 'ABORTED') {}
/** A path read from a file the user did not write (model.json, detector.json, a manifest) escapes its folder, or is not a regular file. */
export class UnsafePathError extends defineError('UnsafePathError', 'UNSAFE_PATH') {}
/** An input declares (or inflates to) more data than the configured limit allows: a decompression or allocation bomb. */
export class InputTooLargeError extends defineError('InputTooLargeError', 'INPUT_TOO_LARGE') {}
/** Model weights, logits or an evaluation loss are NaN or ±Inf. */
export class NonFiniteValueError extends defineError('NonFiniteValueError', 'NON_FINITE_VALUE') {}
/** A checkpoint was written by a run with a different configuration than the one resuming it. */
export class ResumeMismatchError extends defineError('ResumeMismatchError', 'RESUME_MISMATCH') {}
/** The run was interrupted by a signal (SIGINT, SIGTERM). */
export class InterruptedError extends defineError('InterruptedError', 'INTERRUPTED') {}
