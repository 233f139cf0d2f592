/**
 * The retry policy's arithmetic: which statuses are worth another attempt, how long to wait
 * (full-jitter exponential backoff, or what `Retry-After` asks), and when a wait is too long.
 */

/**
 * Statuses after which a retryable call tries again: request timeout, rate limit and the
 * transient server errors.
 *
 * @see docs/connect-api.md section 5
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Statuses whose `Retry-After` header is honoured. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** The resolved retry settings of a client. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff before the first retry is drawn from [0, baseDelayMs). */
  baseDelayMs: number;
  /** Ceiling of the exponential backoff. */
  maxDelayMs: number;
  /**
   * Longest time one call may take, every attempt and wait included; `null` for no limit beyond
   * the per-attempt timeout. A page that waits on Connect needs this bound, not attempts × timeout.
   */
  budgetMs: number | null;
}

/** Whatever `Retry-After` says, the client never waits longer than this in a request path. */
const ABSOLUTE_RETRY_AFTER_CAP_MS = 30_000;

/**
 * Full-jitter exponential backoff: a delay drawn uniformly from
 * `[0, min(maxDelayMs, baseDelayMs * 2^(attempt - 1)))`.
 *
 * @param attempt the number of the attempt that just failed, from 1.
 * @param random a source of numbers in [0, 1), `Math.random` by default.
 * @example
 * ```ts
 * computeBackoffDelay(3, { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 }, () => 0.5); // 200
 * ```
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function computeBackoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  // Clamp, so that a misbehaving random source can neither go negative nor reach the ceiling.
  const unit = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(unit * ceiling);
}

/**
 * The longest `Retry-After` a retryable call waits for, in milliseconds: five times the backoff
 * ceiling, and never more than 30 s. A longer `Retry-After` ends the retries at once and the error
 * carries it, so that the caller decides (a page should not hang for a minute).
 */
export function getRetryAfterCapMs(policy: Pick<RetryPolicy, 'maxDelayMs'>): number {
  return Math.min(policy.maxDelayMs * 5, ABSOLUTE_RETRY_AFTER_CAP_MS);
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP-date. Returns whole seconds from `nowMs`
 * (0 for a date in the past), or `null` when the header is absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('3', Date.now()); // 3
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')); // 2
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  // Only something that looks like a date: Date.parse alone would take "1" for the year 2001.
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
