import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeBackoffDelay, getRetryAfterCapMs, parseRetryAfter, RETRYABLE_STATUSES } from './retry.js';

describe('computeBackoffDelay', () => {
  const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

  it('draws from [0, min(maxDelayMs, baseDelayMs * 2^(attempt - 1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (attempt, random, baseDelayMs, maxDelayMs) => {
          const delay = computeBackoffDelay(attempt, { baseDelayMs, maxDelayMs }, () => random);
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it('scales with the random source (full jitter, not equal jitter)', () => {
    expect(computeBackoffDelay(1, policy, () => 0)).toBe(0);
    expect(computeBackoffDelay(1, policy, () => 0.5)).toBe(50);
    expect(computeBackoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(computeBackoffDelay(10, policy, () => 0.5)).toBe(1_000);
  });

  it('clamps a random source outside [0, 1)', () => {
    expect(computeBackoffDelay(1, policy, () => -3)).toBe(0);
    expect(computeBackoffDelay(1, policy, () => 1)).toBe(99);
    expect(computeBackoffDelay(1, policy, () => 7)).toBe(99);
  });

  it('is zero when the base delay is zero', () => {
    expect(computeBackoffDelay(5, { ...policy, baseDelayMs: 0 }, () => 0.9)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it.each<[string | null, number | null]>([
    [null, null],
    ['0', 0],
    ['5', 5],
    [' 12 ', 12],
    ['1.2', 2],
    ['Sun, 01 Jun 2025 12:00:30 GMT', 30],
    ['Sun, 01 Jun 2025 11:00:00 GMT', 0],
    ['-1', null],
    ['soon', null],
    ['', null],
  ])('reads %j as %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('getRetryAfterCapMs', () => {
  it('is five times the backoff ceiling, and never more than 30 s', () => {
    expect(getRetryAfterCapMs({ maxDelayMs: 2_000 })).toBe(10_000);
    expect(getRetryAfterCapMs({ maxDelayMs: 60_000 })).toBe(30_000);
  });
});

describe('RETRYABLE_STATUSES', () => {
  it('holds exactly the transient statuses', () => {
    expect([...RETRYABLE_STATUSES].sort()).toEqual([408, 429, 500, 502, 503, 504]);
  });
});
