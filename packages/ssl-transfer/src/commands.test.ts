import { commandContext } from '@ft/core/testing';
import { describe, expect, it } from 'vitest';
import { commands } from './commands.js';

describe('ft ssl commands', () => {
  it('ft ssl gates prints the AKC (source classes) and ARC (target classes) entropy thresholds', async () => {
    const gates = commands.find((c) => c.group === 'ssl' && c.name === 'gates');
    expect(gates?.examples?.every((e) => e.startsWith('ft ssl gates'))).toBe(true);
    const out = await gates?.run(commandContext(gates, { 'source-classes': 1000, classes: 10 }));
    expect(out).toMatchObject({ ratio: 0.7, sourceClasses: 1000, classes: 10 });
    expect(out?.akcThreshold).toBeCloseTo(0.7 * Math.log(1000), 12);
    expect(out?.arcThreshold).toBeCloseTo(0.7 * Math.log(10), 12);
  });
});
