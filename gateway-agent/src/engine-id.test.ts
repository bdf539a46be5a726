import { describe, expect, it } from 'vitest';
import { engineIdOf, parseEngineId } from './engine-id.ts';

describe('per-attempt engine ids', () => {
  it('name the message and the attempt, and read back', () => {
    const id = 'msg_01jd0000000000000000000000';
    expect(engineIdOf(id, 1)).toBe(`${id}-1`);
    expect(engineIdOf(id, 2)).not.toBe(engineIdOf(id, 1));
    for (const attempt of [1, 2, 17, 123_456]) {
      expect(parseEngineId(engineIdOf(id, attempt))).toEqual({ messageId: id, attempt });
    }
  });

  it('take the last -<digits> as the attempt, whatever the message id holds', () => {
    expect(parseEngineId(engineIdOf('m-1', 2))).toEqual({ messageId: 'm-1', attempt: 2 });
    expect(parseEngineId(engineIdOf('a-b-', 3))).toEqual({ messageId: 'a-b-', attempt: 3 });
  });

  it('read an id without an attempt (handed over before per-attempt ids) as the message alone', () => {
    expect(parseEngineId('msg_01jd0000000000000000000000')).toEqual({
      messageId: 'msg_01jd0000000000000000000000',
      attempt: null,
    });
    expect(parseEngineId('msg_x-')).toEqual({ messageId: 'msg_x-', attempt: null });
  });
});
