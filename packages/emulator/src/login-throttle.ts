/**
 * Throttling of the emulator's Instacart log-in (`POST /oauth/login`), so that the emulator does
 * not teach retailers' QA that guessing a password a thousand times works: per account, a number
 * of failures in a window (a successful log-in clears the account's count); per client address, a
 * number of attempts in the same window, whatever the accounts. Both live in memory
 * (`rate-limiter-flexible`'s memory store) and run on real time, not on the emulator clock.
 *
 * An attempt takes its point before the password is checked, so that parallel guesses cannot all
 * pass a check made before any of them failed.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#protect-against-automated-attacks
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** The limits of the log-in throttle. */
export interface LoginLimits {
  /** Failed log-ins per account (email) within the window before it is refused. Default 10. */
  failuresPerAccount: number;
  /** Log-in attempts per client address within the window, any account. Default 100. */
  attemptsPerAddress: number;
  /** The window, in seconds. Default 900 (15 minutes). */
  windowSeconds: number;
}

/** 10 failures per account, 100 attempts per address, in 15 minutes. */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  failuresPerAccount: 10,
  attemptsPerAddress: 100,
  windowSeconds: 900,
});

/** The outcome of {@link LoginThrottle.begin}. */
export type LoginAttempt = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Emails are compared case-insensitively by the accounts, so they are counted that way too; a key
 * is cut to a length no real email reaches, so hostile megabyte emails cannot fill the memory.
 */
function accountKey(email: string): string {
  return email.toLowerCase().slice(0, 320);
}

/**
 * The longest window: 7 days. The memory store forgets a count with a `setTimeout` of the window,
 * and Node fires a timer longer than 2^31 - 1 ms (about 24.8 days) at once, which would turn the
 * throttle off without a word.
 */
export const MAX_LOGIN_WINDOW_SECONDS = 7 * 86_400;

/** Checks a limits object: whole numbers, at least 1, and a window of at most 7 days. */
export function validateLoginLimits(limits: LoginLimits): string | undefined {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) return `${name} must be a whole number of at least 1`;
  }
  if (limits.windowSeconds > MAX_LOGIN_WINDOW_SECONDS) {
    return `windowSeconds must be at most ${MAX_LOGIN_WINDOW_SECONDS} (7 days)`;
  }
  return undefined;
}

/** The two counters; {@link clear} starts over (admin `POST reset`). */
export class LoginThrottle {
  private perAccount!: RateLimiterMemory;
  private perAddress!: RateLimiterMemory;

  constructor(readonly limits: Readonly<LoginLimits>) {
    this.clear();
  }

  /** Forgets every count. */
  clear(): void {
    this.perAccount = new RateLimiterMemory({
      keyPrefix: 'account',
      points: this.limits.failuresPerAccount,
      duration: this.limits.windowSeconds,
    });
    this.perAddress = new RateLimiterMemory({
      keyPrefix: 'address',
      points: this.limits.attemptsPerAddress,
      duration: this.limits.windowSeconds,
    });
  }

  /**
   * Counts one attempt from `address` at `email`, before the password is checked. Refused when the
   * address has used up its attempts or the account its failures (an attempt counts as a failure
   * until {@link succeeded} clears it).
   */
  async begin(address: string, email: string): Promise<LoginAttempt> {
    const byAddress = await take(this.perAddress, address);
    if (!byAddress.allowed) return byAddress;
    return take(this.perAccount, accountKey(email));
  }

  /** A successful log-in: the account's failures are forgotten. */
  async succeeded(email: string): Promise<void> {
    await this.perAccount.delete(accountKey(email));
  }
}

async function take(limiter: RateLimiterMemory, key: string): Promise<LoginAttempt> {
  try {
    await limiter.consume(key);
    return { allowed: true };
  } catch (rejection) {
    // The memory store rejects with a RateLimiterRes when the points are used up, never with an Error.
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
  }
}
