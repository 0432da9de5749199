import { describe, expect, it } from 'vitest';
import { sslTransferVersion } from './ssl-transfer.js';

describe('ssl-transfer', () => {
  it('reports its API version', () => {
    expect(sslTransferVersion()).toBe('0');
  });
});
