/**
 * Activity-detection error rates (joint activity detection and channel estimation, JADCE), counted over every
 * (realisation, device) entry of the batch:
 *   P_miss = #{active, detected inactive} / #{active},
 *   P_FA   = #{inactive, detected active} / #{inactive},
 *   AER    = (#misses + #false alarms) / #entries.
 */
import type { LabelInput } from '@ft/core';
import { checkNonEmpty, checkSameLength, toBinaryLabels } from '@ft/core/internal';

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
  const t = toBinaryLabels(activeTrue, 'activeTrue');
  const h = toBinaryLabels(activeHat, 'activeHat');
  checkSameLength(t, 'activeTrue', h, 'activeHat');
  checkNonEmpty(t, 'activeTrue');
  let nActive = 0;
  let misses = 0;
  let falseAlarms = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === 1) {
      nActive++;
      if (h[i] === 0) misses++;
    } else if (h[i] === 1) falseAlarms++;
  }
  const nInactive = t.length - nActive;
  return {
    pMiss: nActive === 0 ? Number.NaN : misses / nActive,
    pFa: nInactive === 0 ? Number.NaN : falseAlarms / nInactive,
    aer: (misses + falseAlarms) / t.length,
    misses,
    falseAlarms,
    nActive,
    nInactive,
  };
}
