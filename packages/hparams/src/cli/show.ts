/** `ft hparams show`: a study's trials table and its best trial. */
import { defineCommand, InvalidArgumentError } from '@ft/core';
import { loadStudy } from '../engine/study.js';
import { openStorage, STORAGE_SPECS } from '../storage/open-storage.js';
import { bestTrialOrNull, formatParams, formatValue, trialRow, trialsTable } from './study-report.js';

/** The `ft hparams show` command. */
export const show = defineCommand({
  group: 'hparams',
  name: 'show',
  description: "A study's trials (number, state, value, params, duration) and its best trial",
  needsBackend: false,
  options: {
    study: { type: 'string', description: 'Study name', required: true },
    storage: {
      type: 'string',
      description: `Where the study lives: ${STORAGE_SPECS.filter((s) => s !== 'memory').join(' | ')}`,
      required: true,
    },
  },
  examples: [
    'ft hparams show --study lr --storage journal.log',
    'ft hparams show --study lr --storage redis://localhost:6379/0 --json',
  ],
  async run(ctx) {
    const studyName = String(ctx.args.study ?? '');
    const spec = String(ctx.args.storage ?? '');
    if (spec === 'memory')
      throw new InvalidArgumentError(
        'hparams show: --storage memory holds no study once its process ended; give a journal file or a Redis URL',
      );
    const opened = openStorage(spec, { mustExist: true });
    try {
      await opened.storage.sync?.();
      if ((await opened.storage.getStudyIdFromName(studyName)) === null) {
        throw new InvalidArgumentError(`hparams show: no study '${studyName}' in ${opened.location}`, {
          study: studyName,
        });
      }
      const study = await loadStudy({ storage: opened.storage, studyName, checkTensorLeaks: 'off' });
      const trials = study.trials.map(trialRow);
      const bestFrozen = bestTrialOrNull(study);
      const best = bestFrozen ? trialRow(bestFrozen) : null;
      if (!ctx.json) {
        ctx.log(`study '${studyName}' (${study.direction}) in ${opened.location}: ${trials.length} trials`);
        if (trials.length) ctx.log(trialsTable(trials));
        ctx.log(
          best
            ? `best: trial ${best.number}, value ${formatValue(best.value)}, ${formatParams(best.params)}`
            : 'best: none (no complete trial yet)',
        );
        return undefined;
      }
      return { study: studyName, direction: study.direction, best, trials };
    } finally {
      await opened.close();
    }
  },
});
