import { describe, expect, it } from 'vitest';
import { hparamsVersion } from './hparams.js';

describe('hparams', () => {
  it('reports its API version', () => {
    expect(hparamsVersion()).toBe('0');
  });
});
