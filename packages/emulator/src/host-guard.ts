/**
 * Which `Host` the emulator answers for, on every route: a defence against DNS rebinding. A page on
 * `http://rebind.attacker.test:4010` whose name the attacker re-points at 127.0.0.1 reaches the
 * emulator from the victim's own browser, so the peer is loopback and the page is same-origin with
 * every answer; only the `Host` header still names the attacker's domain. Answering nothing but
 * loopback names and the configured public host(s) makes such a page read and change nothing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.2 (Host) and §15.5.20 (421 Misdirected Request)
 */

/** Names that always reach this machine without asking DNS, with any port. */
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Thrown for a public host that is not a bare host name or IP address. */
export class PublicHostError extends Error {
  /** Always `PublicHostError`. */
  override name = 'PublicHostError';
}

/**
 * Normalizes a configured public host: a host name or IP address, without scheme, port or path,
 * lower-cased as the WHATWG URL parser does (IPv6 in brackets). Any port is then accepted with it,
 * as with the loopback names.
 *
 * @example
 * ```ts
 * normalizePublicHost('Emulator.Example.COM'); // 'emulator.example.com'
 * ```
 */
export function normalizePublicHost(value: string): string {
  const trimmed = value.trim();
  let url: URL | undefined;
  try {
    url = new URL(`http://${trimmed}`);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    trimmed === '' ||
    url.port !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    // `http://example.com:80` parses with an empty port: refuse any colon outside IPv6 brackets.
    /:/.test(trimmed.replace(/^\[[^\]]*\]/, ''))
  ) {
    throw new PublicHostError(
      `a public host is a host name or IP address without port or path, got "${value}"`,
    );
  }
  return url.hostname;
}

/** The host name of a `Host` header value (or URL authority), or `undefined` when it is not one. */
function hostnameOf(authority: string): string | undefined {
  try {
    const url = new URL(`http://${authority}`);
    if (
      url.username !== '' ||
      url.password !== '' ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== ''
    ) {
      return undefined;
    }
    return url.hostname;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request's `Host` is one the emulator serves: `localhost`, `127.0.0.1`, `[::1]` or one of
 * `publicHosts` (normalized by {@link normalizePublicHost}), with any port. A missing or malformed
 * `Host` is refused.
 */
export function isAllowedHost(host: string | undefined, publicHosts: ReadonlySet<string>): boolean {
  if (host === undefined) return false;
  const hostname = hostnameOf(host);
  if (hostname === undefined) return false;
  return LOOPBACK_HOSTNAMES.has(hostname) || publicHosts.has(hostname);
}
