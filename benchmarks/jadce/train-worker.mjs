// Child process of `pretrain` (train.mjs): trains one job's networks on the default backend and saves them into the
// model cache. Argument: the path of the job's JSON ({ config, modelDir, job }).
import { readFileSync } from 'node:fs';
import { createRng, initBackend } from '@ft/core';
import { runTrainJob } from './train.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
await initBackend({ log: () => {} });
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
await runTrainJob(spec, createRng(spec.config.seed), controller.signal);
if (controller.signal.aborted) process.exit(130);
