/**
 * @module The address a request comes from, for the per-address sign-in limit. It is the TCP peer
 * unless that peer is one of the proxies `TRUST_PROXY` names; then it is the right-most address in
 * `X-Forwarded-For` that is not a trusted proxy (each proxy appends the address it was called from,
 * so everything left of that is whatever the client chose to send).
 * @see https://datatracker.ietf.org/doc/html/rfc7239#section-7.4 (why only trusted hops count)
 */
import { BlockList, isIP } from 'node:net';

/** What the server knows of the connection a request came on (set by `server-node.ts`). */
export interface ClientConnection {
  /** The TCP peer's address, as the socket reports it. */
  remoteAddress?: string | undefined;
}

/** The address used when the peer is unknown (`app.request()` in tests, a socket already closed). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * Normalizes one address as it appears on a socket or in `X-Forwarded-For`: brackets, a port and an
 * IPv6 zone are dropped, an IPv4-mapped IPv6 address becomes IPv4, IPv6 is written in its canonical
 * short form. Returns null for anything that is not an IP address.
 * @example normalizeAddress('[::ffff:203.0.113.9]:443') // '203.0.113.9'
 */
export function normalizeAddress(raw: string): string | null {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] !== undefined) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.indexOf(':'));
  text = text.replace(/%.*$/, '');
  const version = isIP(text);
  if (version === 4) return text;
  if (version !== 6) return null;
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return canonical;
}

/** The eight 16-bit groups of a canonical IPv6 address. */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The key an address is counted under: an IPv4 address itself, an IPv6 address's /64 network (one
 * subscriber usually holds a whole /64, and could otherwise take a fresh address for every attempt).
 */
export function addressLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address).slice(0, 4);
  return `${groups.map((group) => group.toString(16)).join(':')}::/64`;
}

/** One `TRUST_PROXY` entry: an address or a network in CIDR notation. */
export interface ProxyEntry {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `TRUST_PROXY`: IP addresses and CIDR networks separated by commas or spaces, e.g.
 * `10.0.0.0/8, 192.0.2.7, fd00::/8`.
 * @throws {Error} naming the first entry that is neither, in a message fit for one configuration line.
 */
export function parseTrustedProxies(text: string): ProxyEntry[] {
  return text
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [addressText = '', prefixText, ...rest] = entry.split('/');
      const address = isIP(addressText) === 0 ? null : normalizeAddress(addressText);
      if (address === null || rest.length > 0) {
        throw new Error(`"${entry}" is not an IP address or CIDR network (e.g. 10.0.0.0/8)`);
      }
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      const bits = family === 'ipv4' ? 32 : 128;
      if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
        throw new Error(`"${entry}" has a malformed prefix length`);
      }
      const prefix = prefixText === undefined ? bits : Number(prefixText);
      if (prefix > bits) throw new Error(`"${entry}": the prefix length must be at most ${bits}`);
      return { address, prefix, family };
    });
}

/** Resolves a request's client address from its peer and its `X-Forwarded-For` header. */
export type ClientAddressResolver = (peer: string | undefined, forwardedFor: string | null) => string;

/**
 * Builds the resolver for a list of trusted proxies. With no proxies, `X-Forwarded-For` is ignored:
 * any client could have written it.
 * @example
 * const clientAddress = createClientAddressResolver(parseTrustedProxies('10.0.0.0/8'));
 * clientAddress('10.1.2.3', '198.51.100.4, 10.0.0.9') // '198.51.100.4'
 */
export function createClientAddressResolver(trusted: readonly ProxyEntry[]): ClientAddressResolver {
  const list = new BlockList();
  for (const entry of trusted) list.addSubnet(entry.address, entry.prefix, entry.family);
  const isTrusted = (address: string) => list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');

  return (peer, forwardedFor) => {
    const direct = peer === undefined ? null : normalizeAddress(peer);
    if (direct === null) return UNKNOWN_ADDRESS;
    if (trusted.length === 0 || !isTrusted(direct)) return direct;
    // Walk from the nearest hop outwards; the first untrusted address is the client. A malformed
    // entry ends the walk at the last trusted hop, so that nothing left of it can choose the key.
    const hops = (forwardedFor ?? '').split(',').map((hop) => hop.trim());
    let client = direct;
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index] ?? '';
      const address = normalizeAddress(hop);
      if (address === null) return client;
      client = address;
      if (!isTrusted(address)) return address;
    }
    return client;
  };
}

/**
 * The peer address in a request's Hono env, which `server-node.ts` fills with a
 * {@link ClientConnection}; undefined when there is none (`app.request()` without an env).
 */
export function readRemoteAddress(env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const value = (env as ClientConnection).remoteAddress;
  return typeof value === 'string' ? value : undefined;
}
