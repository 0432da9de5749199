// The arms of the AdaFilter benchmark: the method of each (trainAdaFilter's `method`) and its label.
export const ARMS = [
  { id: 'adafilter', label: 'AdaFilter', gated: true },
  { id: 'finetune', label: 'fine-tuning', gated: false },
  { id: 'linear-probe', label: 'linear probe', gated: false },
  { id: 'l2sp', label: 'L2-SP', gated: false },
  { id: 'random-gates', label: 'random gates (AdaFilter rate)', gated: true },
  { id: 'spottune', label: 'per-block gates (SpotTune-style)', gated: true },
  { id: 'shared-bn', label: 'AdaFilter, shared BN', gated: true },
];

/** The arm with this id (throws for an unknown one). */
export function armById(id) {
  const a = ARMS.find((x) => x.id === id);
  if (!a) throw new Error(`unknown arm '${id}'; expected ${ARMS.map((x) => x.id).join(', ')}`);
  return a;
}
