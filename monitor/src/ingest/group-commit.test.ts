import { describe, expect, it } from 'vitest';
import { GroupCommitWriter } from './group-commit.ts';

describe('GroupCommitWriter', () => {
  it('commits concurrent writes together and resolves each only after its batch is flushed', async () => {
    const flushed: number[][] = [];
    let durable = new Set<number>();
    const writer = new GroupCommitWriter<number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      flushed.push(items);
      durable = new Set([...durable, ...items]);
    });
    const acks = Array.from({ length: 50 }, (_, i) =>
      writer.write(i).then(() => {
        expect(durable.has(i)).toBe(true);
        return i;
      }),
    );
    expect(await Promise.all(acks)).toHaveLength(50);
    expect(flushed.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(flushed.length).toBeLessThan(50);
  });

  it('writes that arrive during a flush join the next batch', async () => {
    const flushed: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const writer = new GroupCommitWriter<string>(async (items) => {
      flushed.push(items);
      if (flushed.length === 1) await gate;
    });
    const first = writer.write('a');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const later = [writer.write('b'), writer.write('c')];
    release();
    await Promise.all([first, ...later]);
    expect(flushed).toEqual([['a'], ['b', 'c']]);
  });

  it('a failed flush rejects only its own batch, and the writer keeps going', async () => {
    let calls = 0;
    const writer = new GroupCommitWriter<number>(async () => {
      calls++;
      if (calls === 1) throw new Error('disk full');
    });
    const failed = writer.write(1);
    await expect(failed).rejects.toThrow('disk full');
    await expect(writer.write(2)).resolves.toBeUndefined();
  });

  it('splits large bursts at maxBatch', async () => {
    const sizes: number[] = [];
    const writer = new GroupCommitWriter<number>(
      async (items) => {
        sizes.push(items.length);
      },
      { maxBatch: 10 },
    );
    await Promise.all(Array.from({ length: 35 }, (_, i) => writer.write(i)));
    expect(sizes).toEqual([10, 10, 10, 5]);
    await writer.drain();
  });
});
