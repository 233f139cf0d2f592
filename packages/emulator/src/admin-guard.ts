/**
 * Who may use `/_emulator/`: loopback clients, in-process callers (`app.request()`, the
 * emulator's `fetch`: there is no socket, so no remote peer), and anyone presenting the admin token.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AppEnv } from './context';
import { timingSafeEqualString } from './random';

/** Whether `address` is a loopback address (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** The peer of a request: `inProcess` when there is no socket at all. */
export interface Peer {
  inProcess: boolean;
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
