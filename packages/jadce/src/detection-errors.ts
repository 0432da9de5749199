/**
 * Activity-detection error rates (joint activity detection and channel estimation, JADCE), counted over every
 * (realisation, device) entry of the batch:
 *   P_miss = #{active, detected inactive} / #{active},
 *   P_FA   = #{inactive, detected active} / #{inactive},
 *   AER    = (#misses + #false alarms) / #entries.
 */
import { binaryConfusion, type LabelInput } from '@ft/core';

/** Result of {@link detectionErrors}. */
export interface DetectionErrors {
  /** Missed-detection probability; `NaN` when no entry is active. */
  pMiss: number;
  /** False-alarm probability; `NaN` when every entry is active. */
  pFa: number;
  /** Activity error rate (misses + false alarms) / entries. */
  aer: number;
  /** Number of missed detections. */
  misses: number;
  /** Number of false alarms. */
  falseAlarms: number;
  /** Number of active entries. */
  nActive: number;
  /** Number of inactive entries. */
  nInactive: number;
}

/**
 * Detection error rates of an estimated activity pattern (flattened over the batch).
 * @param activeTrue true activity, 0/1 or booleans (any shape, flattened).
 * @param activeHat detected activity, same size.
 */
export function detectionErrors(activeTrue: LabelInput, activeHat: LabelInput): DetectionErrors {
  const { tp, fp, fn, tn } = binaryConfusion(activeTrue, activeHat, ['activeTrue', 'activeHat']);
  const nActive = tp + fn;
  const nInactive = tn + fp;
  return {
    pMiss: nActive === 0 ? Number.NaN : fn / nActive,
    pFa: nInactive === 0 ? Number.NaN : fp / nInactive,
    aer: (fn + fp) / (nActive + nInactive),
    misses: fn,
    falseAlarms: fp,
    nActive,
    nInactive,
  };
}
