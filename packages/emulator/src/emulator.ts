/**
 * `createEmulator`: the composition root. It wires the web-standard core (domain, routes) to the
 * Node pieces (scrypt password hashing, the state file) and adds the typed helpers that tests in
 * other packages use instead of the admin API.
 */
import type { Hono } from 'hono';
import { createApp } from './app.js';
import { checkRedirectUriForRegistration, issueCodeAsIfAllowed } from './authorization.js';
import { createClock } from './clock.js';
import type { AppEnv, EmulatorContext } from './context.js';
import { type AppScope, EmulatorState, type Settings } from './domain.js';
import { EmulatorConfigError, EmulatorInputError } from './errors.js';
import { ConnectionDroppedError, FaultSet, type FaultSpec, parseFaultInput, toFaultInput } from './faults.js';
import { normalizePublicHost, PublicHostError } from './host-guard.js';
import {
  DEFAULT_LOGIN_LIMITS,
  type LoginLimits,
  LoginThrottle,
  validateLoginLimits,
} from './login-throttle.js';
import type { PersistedState } from './persistence.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { applyScenario, type EmulatorScenario, prepareScenario } from './scenario.js';
import { scryptPasswordHasher } from './scrypt-node.js';
import { applySeed, type SeedName } from './seed.js';
import { SessionStore } from './sessions.js';
import { readStateFile, writeStateFile } from './state-file-node.js';

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /**
   * `demo`: docs/product.md's demo application and accounts ({@link DEMO_SEED}); `empty`: nothing.
   *
   * @default 'demo'
   */
  seed?: SeedName;
  /**
   * Applications, redirect URIs, Instacart accounts and settings to hold besides the seed: applied
   * over the seed at start and again after every reset (so a reset keeps them), and over the
   * loaded state when a state file exists. The same object as a `--scenario` file; validated with
   * the admin API's schemas.
   *
   * @example
   * ```ts
   * createEmulator({
   *   scenario: {
   *     redirect_uris: { 'cartlink-demo': ['http://localhost:5173/account/profile'] },
   *     instacart_users: [{ email: 'qa@shop.test', password: 'pw', instacartplus_member: true, expired_at: '+30d' }],
   *     settings: { require_pkce: true },
   *   },
   * });
   * ```
   * @default {}
   */
  scenario?: EmulatorScenario;
  /**
   * Keep the state in this file: loaded at start (seeded when absent), saved after every change.
   *
   * @default in memory only
   */
  stateFile?: string;
  /**
   * Lets non-loopback clients use the admin API with `Authorization: Bearer <adminToken>`.
   *
   * @default none: loopback and in-process callers only
   */
  adminToken?: string;
  /**
   * The emulator's public base URL, used as RFC 9207 issuer.
   *
   * @default 'http://localhost:4010' for createEmulator; startEmulator defaults to the URL it listens on
   */
  issuer?: string;
  /**
   * Host names (or IP addresses, no port) answered over HTTP besides `localhost`, `127.0.0.1` and
   * `[::1]`; the issuer's host is always answered. Any other `Host` gets 421 (DNS rebinding).
   *
   * @default []
   */
  publicHosts?: readonly string[];
  /**
   * Limits of the Instacart log-in: 10 failures per account and 100 attempts per client address
   * in 900 seconds unless told otherwise. Raise them for tests that log in many times; there is no
   * exemption for loopback.
   *
   * @default {@link DEFAULT_LOGIN_LIMITS}
   */
  loginLimits?: Partial<LoginLimits>;
  /**
   * Delay added to every Connect API call (`/v2/…`), in milliseconds; `scenario.settings.latency_ms`
   * wins when both are given.
   *
   * @default 0
   */
  latencyMs?: number;
  /**
   * Base time source of the emulator clock.
   *
   * @default real time
   */
  now?: () => Date;
}

/** An OAuth application to register (or replace, when the client id exists). */
export interface AppRegistration {
  /** The application's `client_id`. */
  clientId: string;
  /** The application's `client_secret`. */
  clientSecret: string;
  /** Shown on the consent page: "<name> can read your name, email, …". */
  name: string;
  /** Absolute http(s) URIs without a fragment, compared by exact string equality. */
  redirectUris: string[];
  /**
   * The retailer that owns it: every application of one retailer sees the same Connect users and
   * links.
   *
   * @default the replaced application's; for a new one its client id (a retailer of its own), or
   *   `corner-market` for `cartlink-demo`
   */
  retailerId?: string;
  /**
   * What it may ask for.
   *
   * @default the replaced application's; for a new one both `connect:fulfillment` and `account_linking`
   */
  scopes?: AppScope[];
}

/** An Instacart account to create. */
export interface InstacartUserInput {
  /** The log-in email (unique, case-insensitive). */
  email: string;
  /** The log-in password; only its scrypt hash is kept. */
  password: string;
  /** The Instacart+ subscription flag; membership also needs `expiredAt` in the future. */
  instacartplusMember: boolean;
  /**
   * End of the subscription (a string is parsed with `Date.parse`); `null` when there never was one.
   *
   * @default a year from now for a member, `null` otherwise
   */
  expiredAt?: Date | string | null;
  /**
   * The account's phone number.
   *
   * @default null
   */
  phone?: string | null;
}

/** A change to an Instacart account. */
export interface InstacartUserPatch {
  /**
   * The subscription flag. Turning it on for an account without a future end date (and no
   * `expiredAt`) starts a year-long subscription.
   */
  instacartplusMember?: boolean;
  /** New end of the subscription; `null` for none. */
  expiredAt?: Date | string | null;
  /** An inactive account cannot log in, and its links answer `User Not Active`. */
  active?: boolean;
}

/** What {@link Emulator.authorizeForTest} needs: the same as the sandbox authorize call. */
export interface TestAuthorization {
  /** The Instacart account that "pressed Allow". */
  instacartUserId: number;
  /** The application the code is issued to. */
  clientId: string;
  /** One of the application's registered redirect URIs; the code is bound to it. */
  redirectUri: string;
  /** An S256 PKCE challenge to bind the code to. */
  codeChallenge?: string;
}

/** A link as {@link Emulator.getLinks} reports it. */
export interface LinkInfo {
  /** The retailer (isolation context) of the Connect user: every application of it sees the link. */
  retailerId: string;
  /** The application the link was made through. */
  clientId: string;
  /** The retailer's user id of the Connect user. */
  userId: string;
  /** The linked Instacart account. */
  instacartUserId: number;
  /** When the link was made, on the emulator clock. */
  linkedAt: Date;
}

/** A running emulator (in process). */
export interface Emulator {
  /** The Hono app: mount it, serve it, or call `app.request()`. */
  readonly app: Hono<AppEnv>;
  /** The issuer identifier (public base URL). */
  readonly issuer: string;
  /**
   * In-process `fetch` with faults and latency applied, to inject into a client. A `drop` fault
   * makes it reject with `TypeError('fetch failed')`, like a network failure.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Back to the seed plus the start-up scenario (`scenario` option), settings included: clock to
   * real time, faults, sessions, log-in throttle counts and request log cleared.
   */
  reset(): void;
  /** Registers an application, or replaces the one with the same client id. */
  registerApp(input: AppRegistration): void;
  /** Creates an Instacart account and returns its id. */
  createInstacartUser(input: InstacartUserInput): {
    /** The new account's id (`instacart_user_id`). */
    id: number;
  };
  /** Changes an Instacart account's membership or activity. */
  updateInstacartUser(id: number, patch: InstacartUserPatch): void;
  /** Activates or deactivates a Connect user of the retailer of application `clientId`. */
  setConnectUserActive(clientId: string, userId: string, active: boolean): void;
  /** An authorization code for an account, as if it had pressed Allow (same as the sandbox call). */
  authorizeForTest(input: TestAuthorization): string;
  /** Moves the emulator clock; returns the new time. */
  advanceClock(seconds: number): Date;
  /** Sets the emulator clock; it keeps running from there. */
  setClock(now: Date): Date;
  /** The emulator's current time. */
  now(): Date;
  /** Adds a fault (see {@link FaultSpec}); returns its id. */
  addFault(spec: FaultSpec): string;
  /** Removes every fault. */
  clearFaults(): void;
  /**
   * Customer-service unlink of a Connect user of the retailer of application `clientId`; `false`
   * when the user was not linked (or there is no such application).
   */
  unlink(clientId: string, userId: string): boolean;
  /** All links. */
  getLinks(): LinkInfo[];
  /** The request log (redacted), oldest first. */
  getRequests(): RequestLogEntry[];
  /** The current settings. */
  getSettings(): Settings;
  /** Changes settings; returns them. */
  updateSettings(patch: Partial<Settings>): Settings;
}

function readPublicHosts(issuer: string, configured: readonly string[]): Set<string> {
  const hosts = new Set<string>();
  try {
    for (const host of configured) hosts.add(normalizePublicHost(host));
  } catch (error) {
    if (error instanceof PublicHostError) throw new EmulatorConfigError(error.message);
    throw error;
  }
  // The operator chose the issuer, so its host is a public host by definition.
  if (URL.canParse(issuer)) hosts.add(new URL(issuer).hostname);
  return hosts;
}

function readLoginLimits(overrides: Partial<LoginLimits> = {}): LoginLimits {
  const limits: LoginLimits = {
    failuresPerAccount: overrides.failuresPerAccount ?? DEFAULT_LOGIN_LIMITS.failuresPerAccount,
    attemptsPerAddress: overrides.attemptsPerAddress ?? DEFAULT_LOGIN_LIMITS.attemptsPerAddress,
    windowSeconds: overrides.windowSeconds ?? DEFAULT_LOGIN_LIMITS.windowSeconds,
  };
  const problem = validateLoginLimits(limits);
  if (problem) throw new EmulatorConfigError(`loginLimits.${problem}`);
  return limits;
}

function toMs(value: Date | string | null): number | null {
  if (value === null) return null;
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (Number.isNaN(ms)) throw new EmulatorInputError(`Not a date: ${String(value)}`);
  return ms;
}

/**
 * Creates an emulator.
 *
 * @example
 * ```ts
 * const emulator = createEmulator({ seed: 'demo' });
 * const client = createConnectClient({ baseUrl: 'http://emulator.test', fetch: emulator.fetch });
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const seed = options.seed ?? 'demo';
  const issuer = options.issuer ?? 'http://localhost:4010';
  const publicHosts = readPublicHosts(issuer, options.publicHosts ?? []);
  const loginThrottle = new LoginThrottle(readLoginLimits(options.loginLimits));
  const passwords = scryptPasswordHasher;
  const scenario = prepareScenario(options.scenario ?? {}, seed, passwords);
  const initialSettings: Settings = {
    issuerParam: false,
    requirePkce: false,
    latencyMs: options.latencyMs ?? 0,
    ...scenario.settings,
  };
  const state = new EmulatorState();
  const clock = createClock(options.now);
  const settings: Settings = { ...initialSettings };
  const faults = new FaultSet();
  const requestLog = new RequestLog();
  const sessions = new SessionStore();

  // Several mutations in one request are written once, right after the synchronous part of it.
  let saveScheduled = false;
  let loading = false;
  const snapshot = (): PersistedState => ({
    version: 2,
    state: state.toData(),
    clockOffsetMs: clock.offsetMs,
    settings: { ...settings },
  });
  const changed = () => {
    const stateFile = options.stateFile;
    if (!stateFile || loading || saveScheduled) return;
    saveScheduled = true;
    queueMicrotask(() => {
      saveScheduled = false;
      try {
        writeStateFile(stateFile, snapshot());
      } catch (error) {
        // The request already succeeded in memory; a full disk should not take the emulator down.
        console.error(`[emulator] could not save ${stateFile}:`, error);
      }
    });
  };
  state.onChange = changed;

  const reset = () => {
    loading = true;
    state.clear();
    clock.reset();
    Object.assign(settings, initialSettings);
    faults.clear();
    sessions.clear();
    loginThrottle.clear();
    requestLog.clear();
    applySeed(state, seed, passwords, clock.nowMs());
    applyScenario(state, scenario, clock.nowMs());
    loading = false;
    changed();
  };

  const persisted = options.stateFile ? readStateFile(options.stateFile) : undefined;
  if (persisted) {
    // What the operator passes now is in effect over what the file kept.
    loading = true;
    state.load(persisted.state);
    clock.offsetMs = persisted.clockOffsetMs;
    Object.assign(settings, persisted.settings, scenario.settings);
    applyScenario(state, scenario, clock.nowMs());
    loading = false;
    if (Object.keys(options.scenario ?? {}).length > 0) changed();
  } else {
    reset();
  }

  const ctx: EmulatorContext = {
    state,
    clock,
    settings,
    faults,
    requestLog,
    sessions,
    passwords,
    issuer: () => issuer,
    adminToken: options.adminToken,
    publicHosts,
    loginThrottle,
    reset,
    changed,
  };
  const app = createApp(ctx);

  const emulatorFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    try {
      return await app.fetch(request);
    } catch (error) {
      if (error instanceof ConnectionDroppedError) throw new TypeError('fetch failed', { cause: error });
      throw error;
    }
  };

  return {
    app,
    issuer,
    fetch: emulatorFetch,
    reset,
    registerApp(input) {
      for (const uri of input.redirectUris) {
        const problem = checkRedirectUriForRegistration(uri);
        if (problem) throw new EmulatorInputError(problem);
      }
      if (input.retailerId === '') throw new EmulatorInputError('retailerId must not be empty');
      if (input.scopes?.length === 0) throw new EmulatorInputError('scopes must name at least one scope');
      state.upsertApp({
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        name: input.name,
        redirectUris: input.redirectUris,
        ...(input.retailerId === undefined ? {} : { retailerId: input.retailerId }),
        ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
      });
    },
    createInstacartUser(input) {
      const user = state.createInstacartUser(
        {
          email: input.email,
          passwordHash: passwords.hash(input.password),
          phone: input.phone ?? null,
          instacartplusMember: input.instacartplusMember,
          ...(input.expiredAt === undefined ? {} : { expiredAt: toMs(input.expiredAt) }),
        },
        clock.nowMs(),
      );
      return { id: user.id };
    },
    updateInstacartUser(id, patch) {
      const user = state.updateInstacartUser(
        id,
        {
          ...(patch.instacartplusMember === undefined
            ? {}
            : { instacartplusMember: patch.instacartplusMember }),
          ...(patch.active === undefined ? {} : { active: patch.active }),
          ...(patch.expiredAt === undefined ? {} : { expiredAt: toMs(patch.expiredAt) }),
        },
        clock.nowMs(),
      );
      if (!user) throw new EmulatorInputError(`No Instacart user ${id}`);
    },
    setConnectUserActive(clientId, userId, active) {
      const retailerId = state.retailerOf(clientId);
      if (retailerId === undefined || !state.setConnectUserActive(retailerId, userId, active)) {
        throw new EmulatorInputError(`No Connect user ${userId} in ${clientId}`);
      }
    },
    authorizeForTest(input) {
      const issued = issueCodeAsIfAllowed(state, settings.requirePkce, clock.nowMs(), {
        instacartUserId: input.instacartUserId,
        clientId: input.clientId,
        redirectUri: input.redirectUri,
        codeChallenge: input.codeChallenge,
      });
      if (!issued.ok) throw new EmulatorInputError(issued.message);
      return issued.code;
    },
    advanceClock(seconds) {
      const now = clock.advance(seconds);
      changed();
      return now;
    },
    setClock(now) {
      const result = clock.set(now);
      changed();
      return result;
    },
    now: () => clock.now(),
    addFault(spec) {
      const parsed = parseFaultInput(toFaultInput(spec));
      if (!parsed.ok)
        throw new EmulatorInputError(`Invalid fault: ${parsed.error.key} ${parsed.error.message}`);
      return faults.add(parsed.spec);
    },
    clearFaults: () => faults.clear(),
    unlink(clientId, userId) {
      const retailerId = state.retailerOf(clientId);
      return retailerId !== undefined && state.unlink(retailerId, userId);
    },
    getLinks: () =>
      [...state.links.values()].map((link) => ({
        retailerId: link.retailerId,
        clientId: link.clientId,
        userId: link.userId,
        instacartUserId: link.instacartUserId,
        linkedAt: new Date(link.linkedAt),
      })),
    getRequests: () => requestLog.list(),
    getSettings: () => ({ ...settings }),
    updateSettings(patch) {
      if (patch.latencyMs !== undefined && (!Number.isInteger(patch.latencyMs) || patch.latencyMs < 0)) {
        throw new EmulatorInputError('latencyMs must be a non-negative integer');
      }
      Object.assign(settings, patch);
      changed();
      return { ...settings };
    },
  };
}
