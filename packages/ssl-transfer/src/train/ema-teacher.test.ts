import '@tensorflow/tfjs-backend-cpu';
import { bnCnn3 } from '@ft/core';
import { allVariablesOf, trainableVariablesOf } from '@ft/core/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmaTeacher } from './ema-teacher.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('EmaTeacher', () => {
  it('averages with α = min(1 − 1/(t+1), decay) into a separate teacher model, copying BN statistics', async () => {
    const student = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, width: 0.125, seed: 1 }).model;
    const n0 = tf.memory().numTensors;
    const t = await EmaTeacher.create(student, { decay: 0.999 });
    const trainable = new Set(trainableVariablesOf(student));
    const sv = allVariablesOf(student);
    const tv = allVariablesOf(t.teacher);
    expect(tv.every((v, i) => v !== sv[i])).toBe(true);
    const w0 = sv.map((v) => Array.from(v.dataSync()));
    // step 1 (α = 0.5): every student variable moves by +1
    tf.tidy(() => {
      for (const v of sv) v.assign(tf.add(v, 1));
    });
    t.update();
    tv.forEach((v, i) => {
      const got = Array.from(v.dataSync());
      const want = trainable.has(sv[i]) ? w0[i].map((x) => x + 0.5) : w0[i].map((x) => x + 1);
      got.forEach((g, j) => {
        expect(g).toBeCloseTo(want[j], 5);
      });
    });
    // step 2 (α = 2/3): the student is at w0 + 2, so the teacher goes to 2/3·(w0 + 0.5) + 1/3·(w0 + 2)
    tf.tidy(() => {
      for (const v of sv) v.assign(tf.add(v, 1));
    });
    t.update();
    tv.forEach((v, i) => {
      if (!trainable.has(sv[i])) return;
      const got = Array.from(v.dataSync());
      got.forEach((g, j) => {
        expect(g).toBeCloseTo((2 / 3) * (w0[i][j] + 0.5) + (1 / 3) * (w0[i][j] + 2), 5);
      });
    });
    t.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    student.dispose();
  });

  it('round-trips its state (for checkpoints)', async () => {
    const student = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, width: 0.125, seed: 2 }).model;
    const a = await EmaTeacher.create(student);
    tf.tidy(() => {
      for (const v of allVariablesOf(student)) v.assign(tf.mul(v, 2));
    });
    a.update();
    const b = await EmaTeacher.create(student);
    b.setState(a.getState());
    b.onTrainBegin({} as never);
    allVariablesOf(b.teacher).forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(allVariablesOf(a.teacher)[i].dataSync()));
    });
    a.dispose();
    b.dispose();
    student.dispose();
  });
});
