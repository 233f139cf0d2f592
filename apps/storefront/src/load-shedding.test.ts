import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConcurrencyLimiter, OverloadedError } from './load-shedding.js';

/** A job that finishes (or fails) when the test says so. */
function controlledJob<T>() {
  let finish!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { job: () => promise, finish, fail };
}

describe('createConcurrencyLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at most `concurrency` jobs at once and queues the rest', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 2, queueDeadlineMs: 5000 });
    const jobs = [controlledJob<number>(), controlledJob<number>(), controlledJob<number>()];
    const started: number[] = [];
    const results = jobs.map((job, index) =>
      limiter.run(() => {
        started.push(index);
        return job.job();
      }),
    );
    expect(started).toEqual([0, 1]);
    expect([limiter.running, limiter.waiting]).toEqual([2, 1]);
    jobs[0]?.finish(0);
    await results[0];
    expect(started).toEqual([0, 1, 2]);
    jobs[1]?.finish(1);
    jobs[2]?.finish(2);
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it('starts waiting jobs first in, first out', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 5000 });
    const first = controlledJob<void>();
    const order: string[] = [];
    const running = limiter.run(first.job);
    const waiting = ['a', 'b', 'c', 'd'].map((name) =>
      limiter.run(async () => {
        order.push(name);
      }),
    );
    first.finish();
    await running;
    await Promise.all(waiting);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a job still waiting at the queue deadline with OverloadedError, and never runs it', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 5000 });
    const first = controlledJob<void>();
    const running = limiter.run(first.job);
    const late = vi.fn(async () => 'ran');
    const waiting = limiter.run(late);
    const outcome = waiting.then(
      () => null,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(4999);
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toMatchObject({ status: 503, code: 'overloaded' });
    expect((error as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limiter.waiting).toBe(0);
    first.finish();
    await running;
    expect(late).not.toHaveBeenCalled();
    expect(limiter.running).toBe(0);
  });

  it('releases the slot of a job that throws, and the next job runs', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 5000 });
    const failing = controlledJob<void>();
    const first = limiter.run(failing.job);
    const second = limiter.run(async () => 'second ran');
    failing.fail(new Error('scrypt failed'));
    await expect(first).rejects.toThrow('scrypt failed');
    await expect(second).resolves.toBe('second ran');
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it('releases the slot of a job that throws synchronously', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 5000 });
    await expect(
      limiter.run(() => {
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    await expect(limiter.run(async () => 'ran')).resolves.toBe('ran');
  });

  it('suggests retrying once the queue has drained (at most the deadline), spread by up to as much again', async () => {
    let clock = 0;
    let draw = 0;
    const limiter = createConcurrencyLimiter({
      concurrency: 1,
      queueDeadlineMs: 3000,
      now: () => clock,
      random: () => draw,
    });
    const measured = controlledJob<void>();
    const done = limiter.run(measured.job);
    clock += 1000;
    measured.finish();
    await done;
    const blocker = controlledJob<void>();
    const running = limiter.run(blocker.job);
    const queued = [limiter.run(async () => 1), limiter.run(async () => 2), limiter.run(async () => 3)];
    // Three queued jobs of about 1 s each, and this one: about 4 s until its turn, more than the
    // deadline; within 3 s everyone queued now has started or been refused.
    const refusal = (): Promise<unknown> => limiter.run(async () => 0).catch((error: unknown) => error);
    expect(await refusal()).toMatchObject({ retryAfterSeconds: 3 });
    draw = 0.5;
    expect(await refusal()).toMatchObject({ retryAfterSeconds: 5 });
    blocker.finish();
    await running;
    await Promise.all(queued);
  });

  it('suggests the queue deadline when no job has finished yet', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 4000, random: () => 0 });
    const stuck = controlledJob<void>();
    const running = limiter.run(stuck.job);
    const waiting = limiter.run(async () => 'ran').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(4000);
    expect(await waiting).toMatchObject({ retryAfterSeconds: 4 });
    stuck.finish();
    await running;
  });

  it('refuses at once a job whose place in the queue cannot come up within the deadline', async () => {
    let clock = 0;
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 250, now: () => clock });
    // One job taking 100 ms teaches the limiter the average run time.
    const measured = controlledJob<void>();
    const done = limiter.run(measured.job);
    clock += 100;
    measured.finish();
    await done;

    const blocker = controlledJob<void>();
    const running = limiter.run(blocker.job);
    // Places 1 and 2 expect to wait 100 and 200 ms: within 250 ms, so they queue.
    const queued = [limiter.run(async () => 1), limiter.run(async () => 2)];
    expect(limiter.waiting).toBe(2);
    // Place 3 would wait about 300 ms: refused now, without waiting for the deadline.
    await expect(limiter.run(async () => 3)).rejects.toBeInstanceOf(OverloadedError);
    expect(limiter.waiting).toBe(2);
    blocker.finish();
    await running;
    expect(await Promise.all(queued)).toEqual([1, 2]);
  });
});
