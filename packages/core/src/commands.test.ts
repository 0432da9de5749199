import { describe, expect, expectTypeOf, it } from 'vitest';
import { type CommandSpec, defineCommand } from './commands.js';

describe('defineCommand', () => {
  it('returns the spec it is given (identity, for type checking only)', () => {
    const spec: CommandSpec = {
      group: 'toy',
      name: 'fit',
      description: 'a toy command',
      options: { steps: { type: 'number', description: 'steps', integer: true, min: 1 } },
      run: async () => ({ ok: true }),
    };
    expect(defineCommand(spec)).toBe(spec);
    expectTypeOf(defineCommand).returns.toEqualTypeOf<CommandSpec>();
  });
});
