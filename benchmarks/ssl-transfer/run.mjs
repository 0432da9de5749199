#!/usr/bin/env node
// Reproduction of Abuduweili et al., CVPR 2021 (arXiv 2103.02193): writes docs/results/ssl-transfer.md. Public APIs only.
import { sslTransferVersion } from '@ft/ssl-transfer';

console.log('ssl-transfer benchmark: not written yet (API version', sslTransferVersion(), ')');
