/**
 * The fulfillment token cache: one token for the whole client, fetched once however many calls
 * ask at the same time, and replaced a margin before it expires.
 */

/** A freshly issued token as the cache needs it. */
export interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, counted from when it was requested. */
  expiresIn: number;
}

/** Settings of {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** Requests a new token (with whatever retries the grant allows). */
  fetchToken: () => Promise<IssuedToken>;
  /** Clock, epoch ms. */
  now: () => number;
  /** Replace the token this long before it expires. */
  refreshMarginMs: number;
}

/** A cache of one bearer token. */
export interface TokenCache {
  /** The cached token, or the result of the one request in flight, or a new request. */
  get(): Promise<string>;
  /** Forgets `token` if it is still the cached one (Connect refused it with a 401). */
  invalidate(token: string): void;
}

interface CachedToken {
  token: string;
  /** Epoch ms after which the token must not be used. */
  expiresAt: number;
  /** Epoch ms after which a new token is requested. */
  refreshAt: number;
}

/**
 * Creates the cache behind `ConnectClient.getFulfillmentToken`.
 *
 * - Single flight: while a request is in flight every caller shares it, so 1,000 concurrent first
 *   calls make exactly one token request.
 * - The expiry is counted from the local clock when the request was sent plus `expires_in`, not
 *   from the server's `created_at`: `expires_in` is relative precisely so that clock skew between
 *   us and Connect (or the emulator's movable clock) cannot make us use a dead token or refetch in
 *   a loop. Doorkeeper-style servers that hand back an existing token also report its remaining
 *   lifetime in `expires_in`, which this reading gets right too.
 * - The refresh margin is at most half the token's lifetime, so a short-lived token is not
 *   refetched on every call.
 * - A failed request is not cached: the next caller tries again. A failure during the refresh
 *   margin falls back to the previous token while it is still valid.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ fetchToken, now: Date.now, refreshMarginMs: 300_000 });
 * const token = await cache.get();
 * ```
 * @see docs/connect-api.md section 2a ("Reuse one token until it expires")
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  let current: CachedToken | null = null;
  let inflight: Promise<string> | null = null;

  async function refresh(): Promise<string> {
    const previous = current;
    const requestedAt = options.now();
    try {
      const issued = await options.fetchToken();
      const lifetimeMs = issued.expiresIn * 1000;
      const expiresAt = requestedAt + lifetimeMs;
      current = {
        token: issued.accessToken,
        expiresAt,
        refreshAt: expiresAt - Math.min(options.refreshMarginMs, lifetimeMs / 2),
      };
      return issued.accessToken;
    } catch (error) {
      // Still cached (not invalidated by a 401) and not yet expired: better than failing the call.
      if (previous !== null && current === previous && options.now() < previous.expiresAt)
        return previous.token;
      throw error;
    }
  }

  return {
    get(): Promise<string> {
      if (current !== null && options.now() < current.refreshAt) return Promise.resolve(current.token);
      if (inflight === null) {
        const request = refresh();
        inflight = request;
        const settle = () => {
          if (inflight === request) inflight = null;
        };
        void request.then(settle, settle);
      }
      return inflight;
    },
    invalidate(token: string): void {
      if (current?.token === token) current = null;
    },
  };
}
