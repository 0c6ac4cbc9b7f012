import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/db/group-commit.ts';

describe('GroupCommit', () => {
  it('runs calls of one turn as one group and calls made while it runs as the next, each caller getting its own result', async () => {
    const groups: number[][] = [];
    let release: () => void = () => {};
    const firstRunning = new Promise<void>((resolve) => (release = resolve));
    let held = true;
    const commit = new GroupCommit<number, string>(async (inputs) => {
      groups.push([...inputs]);
      if (held) {
        held = false;
        await firstRunning;
      }
      return inputs.map((n) => `done ${n}`);
    });
    const first = [commit.add(1), commit.add(2)];
    await new Promise((resolve) => setImmediate(resolve));
    // The first group is running (held): these wait and go together afterwards.
    const later = [commit.add(3), commit.add(4), commit.add(5)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(groups).toEqual([[1, 2]]);
    release();
    expect(await Promise.all([...first, ...later])).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(groups).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('gives every caller of a failed group the error, and runs the next group normally', async () => {
    let fail = true;
    const commit = new GroupCommit<string, string>(async (inputs) => {
      if (fail) {
        fail = false;
        throw new Error('database is locked');
      }
      return inputs.map((s) => s.toUpperCase());
    });
    const failed = await Promise.allSettled([commit.add('a'), commit.add('b')]);
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual(['database is locked', 'database is locked']);
    expect(await commit.add('c')).toBe('C');
  });

  it('splits a queue longer than the largest group', async () => {
    const sizes: number[] = [];
    const commit = new GroupCommit<number, number>(async (inputs) => {
      sizes.push(inputs.length);
      return inputs;
    }, 3);
    expect(await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => commit.add(n)))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('with a gather time, calls of later turns within it join the same group', async () => {
    const groups: number[][] = [];
    const commit = new GroupCommit<number, number>(
      async (inputs) => {
        groups.push([...inputs]);
        return inputs;
      },
      250,
      200,
    );
    const first = commit.add(1);
    // A turn of the event loop runs before any timer: the gather time has not run out.
    await new Promise((resolve) => setImmediate(resolve));
    const second = commit.add(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(groups).toEqual([[1, 2]]);
  });
});
