#!/usr/bin/env node
// Reproduction of Li et al., Rethinking the Hyperparameters for Fine-tuning, ICLR 2020 (arXiv 2002.11770): writes docs/results/hparams.md. Public APIs only.
import { hparamsVersion } from '@ft/hparams';

console.log('hparams benchmark: not written yet (API version', hparamsVersion(), ')');
