#!/usr/bin/env node
// Reproduction of Abuduweili et al., CVPR 2021 (arXiv 2103.02193): will write docs/results/ssl-transfer.md. Public APIs only.
// The regularisers (AKC, ARC) exist; the training loop they plug into (trainSslTransfer) is the next step, so the
// benchmark itself is not written yet and this script says so and exits 1.
import { akcLoss, arcLoss } from '@ft/ssl-transfer';

console.error(
  `ssl-transfer benchmark: not written yet (the regularisers ${akcLoss.name} and ${arcLoss.name} are; the training loop is the next step)`,
);
process.exit(1);
