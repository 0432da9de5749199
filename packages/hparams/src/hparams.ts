/**
 * the fine-tuning hyperparameter tools of Li et al. (effective learning rate, domain similarity by EMD, L2-SP, BN momentum) and an Optuna-compatible define-by-run search engine (TPE, pruners, journal storage shared with Python Optuna, in a file or Redis)
 *
 * Paper: Li et al., Rethinking the Hyperparameters for Fine-tuning, ICLR 2020 (arXiv 2002.11770). Replace this placeholder with the method; keep one concept per file.
 */

/** The package's API version (replace with the method's entry points). */
export function hparamsVersion(): string {
  return '0';
}
