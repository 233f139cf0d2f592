/**
 * The emulator's movable clock. Code expiry, token expiry and membership expiry all read this clock,
 * never `Date.now()`, so a test can jump a day ahead instead of waiting for one.
 */

/** A clock that runs at real speed from a base source plus an offset the admin API can move. */
export interface Clock {
  /** The emulator's current time. */
  now(): Date;
  /** The emulator's current time in epoch milliseconds. */
  nowMs(): number;
  /** Moves the clock by `seconds` (may be negative) and returns the new time. */
  advance(seconds: number): Date;
  /** Sets the clock to `date`; it keeps running from there. Returns the new time. */
  set(date: Date): Date;
  /** Back to the base source's time. */
  reset(): void;
  /** The current offset from the base source, in milliseconds (persisted with the state). */
  offsetMs: number;
}

/** Creates a clock over `base` (real time by default). */
export function createClock(base: () => Date = () => new Date()): Clock {
  const clock: Clock = {
    offsetMs: 0,
    now: () => new Date(clock.nowMs()),
    nowMs: () => base().getTime() + clock.offsetMs,
    advance(seconds) {
      clock.offsetMs += Math.round(seconds * 1000);
      return clock.now();
    },
    set(date) {
      clock.offsetMs = date.getTime() - base().getTime();
      return clock.now();
    },
    reset() {
      clock.offsetMs = 0;
    },
  };
  return clock;
}

/** Formats a time the way Connect does: ISO 8601 in UTC without milliseconds (`2025-09-22T07:14:43Z`). */
export function formatConnectTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
