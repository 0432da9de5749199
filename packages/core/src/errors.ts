/**
 * Typed errors of the @ft packages. Every error carries a stable `code` and a message that names the
 * offending file, shape or parameter, so callers can branch on `err.code` and users can act on the text.
 */

/** Base class of every error thrown by @ft packages. */
export class FtError extends Error {
  /** Stable machine-readable code, e.g. `'DATASET_NOT_FOUND'`. */
  readonly code: string;
  /** Optional structured details (file, shape, step, ...). */
  readonly details?: Record<string, unknown>;
  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/**
 * True for an `FtError`, including one thrown by another copy of `@ft/core` (its ESM and CJS builds loaded side by
 * side, or a package bundled with its own copy), where `instanceof` fails: an `Error` whose `code` is an upper-case
 * identifier and not a Node system code (`ENOENT`, `ERR_…`). Branch on `err.code` after this guard.
 */
export function isFtError(e: unknown): e is FtError {
  if (e instanceof FtError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !/^E[A-Z]+$/.test(code) && !/^ERR_/.test(code);
}

function defineError(name: string, code: string) {
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
