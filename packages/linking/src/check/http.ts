/**
 * @module The HTTP side of the checks: the `fetch` they call (injectable, for tests), and how a
 * failed request (or a failed database connection) is told in one line.
 */

/** The `fetch` the checks call: `globalThis.fetch`, or a test's stand-in. */
export type CheckFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * One line for an error: the platform's reason at the bottom of the `cause` chain (`ECONNREFUSED`, a
 * DNS failure) rather than undici's bare "fetch failed", with its code.
 */
export function describeError(error: unknown): string {
  let deepest: unknown = error;
  while (deepest instanceof Error && deepest.cause instanceof Error) deepest = deepest.cause;
  if (!(deepest instanceof Error)) return String(deepest);
  const code = (deepest as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || deepest.message.includes(code)) return deepest.message || deepest.name;
  // Node reports a refused `localhost` (tried on ::1 and 127.0.0.1) as an AggregateError without a message.
  return deepest.message ? `${code}: ${deepest.message}` : code;
}

/** One line for a request that got no answer: {@link describeError}, or the time waited. */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  let deepest: unknown = error;
  while (deepest instanceof Error && deepest.cause instanceof Error) deepest = deepest.cause;
  if (deepest instanceof Error && (deepest.name === 'TimeoutError' || deepest.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  return describeError(error);
}

/** Reads and drops a body, so that its connection is released without waiting for a collector. */
export async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to release.
  }
}
