import { describe, expect, it } from 'vitest';
import { Mutex } from '../src/core/mutex.ts';

describe('Mutex', () => {
  it('runs callers one at a time in call order, a call made with ahead before those still waiting', async () => {
    const mutex = new Mutex();
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    const task = (name: string, wait?: Promise<void>) => async () => {
      running++;
      expect(running).toBe(1);
      order.push(name);
      await wait;
      running--;
      return name;
    };
    const all = [
      mutex.run(task('first', held)),
      mutex.run(task('second')),
      mutex.run(task('third')),
      mutex.run(task('inbox 1'), { ahead: true }),
      mutex.run(task('inbox 2'), { ahead: true }),
    ];
    release();
    expect(await Promise.all(all)).toEqual(['first', 'second', 'third', 'inbox 1', 'inbox 2']);
    expect(order).toEqual(['first', 'inbox 1', 'inbox 2', 'second', 'third']);
  });

  it('goes on after a caller fails, and gives that caller its error', async () => {
    const mutex = new Mutex();
    const failed = mutex.run(async () => {
      throw new Error('disk full');
    });
    const next = mutex.run(async () => 'next');
    await expect(failed).rejects.toThrow('disk full');
    expect(await next).toBe('next');
  });
});
