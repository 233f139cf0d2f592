/**
 * What the routes share: the state, the clock, the switches and the in-memory stores, handed to
 * each route module by `createApp`.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Clock } from './clock.js';
import type { EmulatorState, PasswordHasher, Settings } from './domain.js';
import type { FaultSet } from './faults.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RequestLog } from './request-log.js';
import type { SessionStore } from './sessions.js';

/** Hono environment: over HTTP the Node bindings are present; in process there are none. */
export type AppEnv = {
  /** `incoming` and `outgoing` of `@hono/node-server` over a socket; nothing in process. */
  Bindings: Partial<HttpBindings>;
};

/** The emulator internals the routes work on. */
export interface EmulatorContext {
  state: EmulatorState;
  clock: Clock;
  settings: Settings;
  faults: FaultSet;
  requestLog: RequestLog;
  sessions: SessionStore;
  passwords: PasswordHasher;
  /** The issuer identifier (public base URL), for RFC 9207 `iss`. */
  issuer(): string;
  /** Bearer token that opens the admin API to non-loopback peers. */
  adminToken: string | undefined;
  /** Host names answered besides the loopback ones (the issuer's among them), normalized. */
  publicHosts: ReadonlySet<string>;
  /** Counts Instacart log-in attempts per account and per client address. */
  loginThrottle: LoginThrottle;
  /** Back to the seed plus the start-up scenario (admin `POST reset`). */
  reset(): void;
  /** Call after changing something outside {@link EmulatorState} (clock, settings) to persist it. */
  changed(): void;
}
