import { describe, expect, it } from 'vitest';
import { probesBench } from './probes.ts';

/** Smoke test of the probes bench (quick: 100 probes, one hanging target): it runs and its checks hold. */
describe('probes bench (quick)', () => {
  it('runs every due probe in one tick, cuts the hanging one at its timeout, and reports memory', async () => {
    const lines: string[] = [];
    const out = await probesBench.run({ quick: true, log: (l) => lines.push(l) });
    expect(out.checks.map((c) => [c.name, c.passed])).toEqual(out.checks.map((c) => [c.name, true]));
    expect(lines.some((l) => l.includes('memory: RSS'))).toBe(true);
  }, 60_000);
});
