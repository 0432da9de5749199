// The arms of the ssl-transfer benchmark (issue 15 / spec): every arm starts from the same source, the same
// labelled/validation/unlabelled split per seed and the same schedule; only the algorithm and the regularisers change.

/** @typedef {{ id: string, label: string, alg: string, akc: boolean, arc: boolean, ungated?: boolean, init?: string, ema?: boolean, budgets?: number[] }} Arm */

/** @type {Arm[]} */
export const ARMS = [
  { id: 'sup', label: 'supervised', alg: 'supervised', akc: false, arc: false },
  { id: 'sup-akc', label: '+AKC', alg: 'supervised', akc: true, arc: false },
  { id: 'sup-arc', label: '+ARC', alg: 'supervised', akc: false, arc: true },
  { id: 'sup-akc-arc', label: '+AKC+ARC', alg: 'supervised', akc: true, arc: true },
  { id: 'sup-akc-arc-ungated', label: '+AKC+ARC ungated', alg: 'supervised', akc: true, arc: true, ungated: true },
  { id: 'pl', label: 'Pseudo-Label', alg: 'pseudo-label', akc: false, arc: false },
  { id: 'pl-akc-arc', label: 'Pseudo-Label+AKC+ARC', alg: 'pseudo-label', akc: true, arc: true },
  { id: 'fm', label: 'FixMatch', alg: 'fixmatch', akc: false, arc: false },
  { id: 'fm-akc-arc', label: 'FixMatch+AKC+ARC', alg: 'fixmatch', akc: true, arc: true },
  { id: 'mt', label: 'Mean Teacher', alg: 'mean-teacher', akc: false, arc: false },
  { id: 'mt-akc-arc', label: 'Mean Teacher+AKC+ARC', alg: 'mean-teacher', akc: true, arc: true },
  { id: 'fm-scratch', label: 'FixMatch from scratch', alg: 'fixmatch', akc: false, arc: false, init: 'scratch' },
  // ablation (10 labels/class only): FixMatch evaluated on its own weights instead of the EMA teacher
  { id: 'fm-noema', label: 'FixMatch, no EMA', alg: 'fixmatch', akc: false, arc: false, ema: false, budgets: [10] },
  { id: 'sup-ema', label: 'supervised, with EMA', alg: 'supervised', akc: false, arc: false, ema: true, budgets: [10] },
];

/** The arm with this id (throws on an unknown one). */
export function armById(id) {
  const arm = ARMS.find((a) => a.id === id);
  if (!arm) throw new Error(`unknown arm '${id}'; expected one of ${ARMS.map((a) => a.id).join(', ')}`);
  return arm;
}
