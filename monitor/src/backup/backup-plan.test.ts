import { describe, expect, it } from 'vitest';
import { backupName, backupsToPrune, backupTime, nextBackupAt } from './backup-plan.ts';

const AT = Date.UTC(2026, 10, 24, 14, 5, 9, 456);

describe('backup names', () => {
  it('name a backup by its UTC second and read the time back', () => {
    expect(backupName(AT)).toBe('lifeline-2026-11-24T14-05-09Z');
    expect(backupTime('lifeline-2026-11-24T14-05-09Z')).toBe(AT - 456);
  });

  it('are not read from any other name, or from an impossible date', () => {
    for (const name of [
      'notes',
      'lifeline-2026-11-24T14-05-09',
      '.lifeline-2026-11-24T14-05-09Z.partial',
      'lifeline-2026-13-24T14-05-09Z',
      'lifeline-2026-02-30T14-05-09Z',
      'lifeline-2026-11-24T24-05-09Z',
    ])
      expect(backupTime(name), name).toBeNull();
  });

  it('sort by time as text', () => {
    const names = [AT + 86_400_000, AT, AT + 1_000, AT - 3_600_000].map(backupName);
    expect([...names].sort().map((n) => backupTime(n))).toEqual(
      [AT - 3_600_000, AT, AT + 1_000, AT + 86_400_000].map((t) => t - 456),
    );
  });
});

describe('pruning', () => {
  const names = [3, 1, 4, 2].map((d) => backupName(AT + d * 86_400_000));

  it('deletes all but the newest `keep` backups, oldest first', () => {
    expect(backupsToPrune(names, 2)).toEqual([backupName(AT + 86_400_000), backupName(AT + 2 * 86_400_000)]);
    expect(backupsToPrune(names, 4)).toEqual([]);
    expect(backupsToPrune(names, 10)).toEqual([]);
  });

  it('never touches a folder that is not a backup', () => {
    expect(backupsToPrune(['notes', 'lifeline-old', ...names], 1)).not.toContain('notes');
    expect(backupsToPrune(['notes', 'lifeline-old', ...names], 1)).toHaveLength(3);
  });
});

describe('schedule', () => {
  it('is due at once without a backup, else one interval after the newest', () => {
    expect(nextBackupAt(null, 86_400_000)).toBe(0);
    expect(nextBackupAt(AT, 3_600_000)).toBe(AT + 3_600_000);
  });
});
