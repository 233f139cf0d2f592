/**
 * Who may use `/_emulator/`: loopback clients, in-process callers (`app.request()`, the
 * emulator's `fetch`: there is no socket, so no remote peer), and anyone presenting the admin token.
 * Calls that change state must also look like a script's, not a page's: a JSON content type (which
 * an HTML form cannot send, and a cross-origin `fetch` cannot send without a CORS preflight the
 * emulator never grants) and no foreign `Origin` or cross-site Fetch Metadata.
 *
 * @see https://fetch.spec.whatwg.org/#cors-safelisted-request-header (form content types)
 * @see https://www.w3.org/TR/fetch-metadata/ (`Sec-Fetch-Site`)
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AppEnv } from './context.js';
import { timingSafeEqualString } from './random.js';

/** Whether `address` is a loopback address (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** The peer of a request: `inProcess` when there is no socket at all. */
export interface Peer {
  /** No socket: `app.request()` or the emulator's in-process `fetch`. */
  inProcess: boolean;
  /** The socket's remote address; `undefined` in process or when it cannot be read. */
  address: string | undefined;
}

/** Reads the peer from the Node bindings when the request came over a socket. */
export function getPeer(c: Context<AppEnv>): Peer {
  if (!c.env?.incoming) return { inProcess: true, address: undefined };
  return { inProcess: false, address: getConnInfo(c).remote.address };
}

/**
 * The admin rule. A configured token lets any peer in; without it only loopback and in-process
 * callers get through. A socket whose address cannot be read is not trusted.
 */
export function isAdminRequestAllowed(input: {
  peer: Peer;
  authorization: string | undefined;
  adminToken: string | undefined;
}): boolean {
  if (input.peer.inProcess) return true;
  if (input.peer.address !== undefined && isLoopbackAddress(input.peer.address)) return true;
  if (!input.adminToken || !input.authorization) return false;
  const presented = /^Bearer +(\S+) *$/i.exec(input.authorization)?.[1];
  return presented !== undefined && timingSafeEqualString(presented, input.adminToken);
}

/** Methods that read only; every other method under `/_emulator/` changes state. */
export function isReadOnlyMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Why a state-changing admin call is refused (403 or 415), or `undefined` when it may go on. */
export interface AdminWriteRefusal {
  /** 403 for a foreign origin or site, 415 for a content type other than JSON. */
  status: 403 | 415;
  /** The error message to answer with. */
  message: string;
}

/**
 * The rule for admin calls that change state. `Origin`, when sent, must be one of `ownOrigins`
 * (the emulator's own: `null` is foreign); `Sec-Fetch-Site`, when sent, must not be `cross-site`
 * or `same-site` (another port of localhost is same-site); the content type must be
 * `application/json` (a `charset` parameter, when present, `utf-8`).
 */
export function checkAdminWrite(input: {
  origin: string | undefined;
  fetchSite: string | undefined;
  contentType: string | undefined;
  ownOrigins: readonly string[];
}): AdminWriteRefusal | undefined {
  if (input.origin !== undefined && !input.ownOrigins.includes(input.origin)) {
    return { status: 403, message: 'Admin calls from another origin are refused' };
  }
  const site = input.fetchSite?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    return { status: 403, message: 'Admin calls from another site are refused' };
  }
  if (!isJsonContentType(input.contentType)) {
    return { status: 415, message: 'Admin calls that change state must send Content-Type: application/json' };
  }
  return undefined;
}

/** `application/json`, optionally with `charset=utf-8`; nothing else (no `+json`, no other charset). */
function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type = '', ...parameters] = value.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name = '', ...rest] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') return true;
    return (
      rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase() === 'utf-8'
    );
  });
}
