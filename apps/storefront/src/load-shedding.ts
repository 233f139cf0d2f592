/**
 * @module Load shedding for expensive work (password hashing): at most `concurrency` jobs run at once,
 * the rest wait in a first-in, first-out queue, and a job that would wait longer than the queue
 * deadline is refused with {@link OverloadedError} instead. The route turns that into `503` with
 * `Retry-After`: under overload a shopper gets an answer within the deadline, never a connection that
 * hangs until their browser gives up.
 *
 * A job is refused at once when the recent average run time says its place in the queue will not come
 * up within the deadline, and otherwise when the deadline passes while it still waits.
 */

/** The server is too busy to take this request now; answered with 503 and `Retry-After`. */
export class OverloadedError extends Error {
  override name = 'OverloadedError';
  readonly code = 'overloaded';
  readonly status = 503;

  constructor(
    /** When a retry has a fair chance, from the queue's current length and the average run time. */
    readonly retryAfterSeconds: number,
  ) {
    super(`Overloaded: retry after ${retryAfterSeconds} s`);
  }
}

/** Options of {@link createConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
  /** Most jobs running at once (at least 1). */
  concurrency: number;
  /** Longest a job may wait for its turn, in milliseconds. */
  queueDeadlineMs: number;
  /** Milliseconds from any fixed point, for measuring run times. Default `performance.now`. */
  now?: () => number;
  /** A number in [0, 1) that spreads the suggested `Retry-After`s. Default `Math.random`. */
  random?: () => number;
}

/** Runs jobs with bounded concurrency and a bounded wait. */
export interface ConcurrencyLimiter {
  /**
   * Runs `job` when a slot is free. Its slot is released when it settles, also when it throws.
   * @throws {OverloadedError} when the job could not start within the queue deadline.
   */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Jobs running now. */
  readonly running: number;
  /** Jobs waiting for a slot. */
  readonly waiting: number;
}

interface Waiter {
  start: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Weight of the newest run time in the moving average. */
const SMOOTHING = 0.2;
/** The longest `Retry-After` the limiter suggests. */
const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Creates a limiter.
 * @example
 * const hashing = createConcurrencyLimiter({ concurrency: availableParallelism(), queueDeadlineMs: 5000 });
 * const ok = await hashing.run(() => verifyPassword(password, stored)); // may throw OverloadedError
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const deadlineMs = Math.max(0, options.queueDeadlineMs);
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const queue: Waiter[] = [];
  let running = 0;
  // Average run time of a job, null until one has finished.
  let averageMs: number | null = null;

  /** How long the job at 1-based `position` in the queue should wait for its turn. */
  const expectedWaitMs = (position: number) =>
    averageMs === null ? 0 : Math.ceil(position / concurrency) * averageMs;

  // When the queue will have drained, stretched by up to as much again at random: refused clients
  // that all came back at the same second would meet a full queue again, while the shop idles in
  // between. Never more than the deadline: by then everyone now waiting has started or been refused.
  const retryAfterSeconds = () => {
    const drainMs = averageMs === null ? deadlineMs : Math.min(deadlineMs, expectedWaitMs(queue.length + 1));
    const seconds = Math.ceil((drainMs * (1 + random())) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  };

  const release = () => {
    running--;
    const next = queue.shift();
    if (next !== undefined) {
      clearTimeout(next.timer);
      next.start();
    }
  };

  async function execute<T>(job: () => Promise<T>): Promise<T> {
    const started = now();
    try {
      return await job();
    } finally {
      const took = now() - started;
      averageMs = averageMs === null ? took : averageMs + SMOOTHING * (took - averageMs);
      release();
    }
  }

  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    run<T>(job: () => Promise<T>): Promise<T> {
      if (running < concurrency && queue.length === 0) {
        running++;
        return execute(job);
      }
      if (expectedWaitMs(queue.length + 1) > deadlineMs) {
        return Promise.reject(new OverloadedError(retryAfterSeconds()));
      }
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          start: () => {
            running++;
            execute(job).then(resolve, reject);
          },
          timer: setTimeout(() => {
            const index = queue.indexOf(waiter);
            if (index === -1) return;
            queue.splice(index, 1);
            reject(new OverloadedError(retryAfterSeconds()));
          }, deadlineMs),
        };
        queue.push(waiter);
      });
    },
  };
}
