/**
 * The request log behind `GET /_emulator/requests`: method, path, status and duration of the last
 * 1000 requests, and nothing a secret could hide in. Query strings and bodies are never recorded;
 * paths are recorded as they are only when they match a known route (whose variable segments are
 * user ids), and otherwise every segment outside the routes' vocabulary is replaced by `:redacted`,
 * so a secret pasted into a mistyped URL cannot land in the log either.
 */

/** One logged request. */
export interface RequestLogEntry {
  /** When it arrived, on the emulator clock. */
  at: string;
  /** The HTTP method. */
  method: string;
  /** The path without query string, redacted as described above. */
  path: string;
  /** The status sent; 0 when a fault dropped the connection. */
  status: number;
  /** How long the emulator took to answer, in milliseconds. */
  duration_ms: number;
}

/** Route templates whose `*` segments hold ids, not secrets. */
const KNOWN_ROUTES = [
  '/oauth/authorize',
  '/oauth/login',
  '/oauth/logout',
  '/oauth/decision',
  '/v2/oauth/token',
  '/v2/oauth/token/revoke',
  '/v2/fulfillment/users',
  '/v2/fulfillment/users/*/link',
  '/v2/fulfillment_sandbox/instacart_users',
  '/v2/fulfillment_sandbox/instacart_users/*/authorize',
  '/store/account/instacart-plus',
  '/signup',
  '/assets/emulator.css',
  '/assets/favicon.svg',
  '/favicon.ico',
].map((route) => route.split('/'));

const VOCABULARY = new Set(KNOWN_ROUTES.flat().filter((segment) => segment !== '*'));
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The path as it may appear in the log. */
export function redactPath(pathname: string): string {
  const segments = pathname.slice(0, 2048).split('/');
  const known = KNOWN_ROUTES.some(
    (route) =>
      route.length === segments.length &&
      route.every((part, index) =>
        part === '*' ? (segments[index] ?? '').length > 0 : part === segments[index],
      ),
  );
  if (known) return segments.join('/');
  return segments
    .map((segment) => (segment === '' || VOCABULARY.has(segment) ? segment : ':redacted'))
    .join('/');
}

/** A ring of the most recent requests. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(private readonly capacity = 1000) {}

  /** Records a request; the oldest entry goes when the log is full. */
  add(entry: { at: Date; method: string; pathname: string; status: number; durationMs: number }): void {
    const method = entry.method.toUpperCase();
    this.entries.push({
      at: entry.at.toISOString(),
      method: METHODS.has(method) ? method : 'OTHER',
      path: redactPath(entry.pathname),
      status: entry.status,
      duration_ms: Math.round(entry.durationMs * 10) / 10,
    });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** The entries, oldest first. */
  list(): RequestLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  /** Forgets everything. */
  clear(): void {
    this.entries = [];
  }
}
