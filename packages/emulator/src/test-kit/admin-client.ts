/**
 * The emulator's admin API (`/_emulator/`) and its sandbox authorize call as typed methods, for a
 * retailer's QA tests and for every test in the Cartlink repository. The input types are exactly the
 * `z.input` of the admin API's own zod schemas (a type test ties them), so a body this client accepts
 * is a body the emulator accepts; the answer types are those of the routes' view functions.
 *
 * It speaks HTTP to any emulator (a child process, another machine with an admin token, CI's
 * service container) or, given `fetch: emulator.fetch`, to one in the same process.
 */
import type {
  AppCloneInput,
  AppHasLiveTokensView,
  AppInput,
  AppListView,
  AuthorizationInput,
  ClockChange,
  ClonedAppView,
  ConnectUserChange,
  ConnectUserView,
  CreatedInstacartUser,
  EmulatorStateView,
  ExpiryTime,
  FaultInput,
  InstacartUserBody,
  InstacartUserChange,
  InstacartUserView,
  LinkView,
  SettingsChange,
  SettingsView,
} from '../admin-types.js';
import type { FaultView } from '../faults.js';
import type { RequestLogEntry } from '../request-log.js';
import { DEMO_SEED } from '../seed.js';

/** A refused admin or sandbox call: the HTTP status and Connect's error body. */
export class EmulatorAdminError extends Error {
  /** Always `EmulatorAdminError`. */
  override name = 'EmulatorAdminError';
  constructor(
    /** What was asked, e.g. `POST /_emulator/faults`. */
    readonly call: string,
    /** The HTTP status of the answer. */
    readonly status: number,
    /** The answer's body as text (Connect's `{"error":{"message"},"meta":{"key"}}` shape). */
    readonly body: string,
  ) {
    super(`${call} answered ${status}: ${body.slice(0, 300)}`);
  }

  /** `meta.key` of Connect's error shape: the field a refused body was refused for. */
  get key(): string | undefined {
    try {
      const parsed = JSON.parse(this.body) as { meta?: { key?: unknown } };
      return typeof parsed.meta?.key === 'string' ? parsed.meta.key : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * `DELETE /_emulator/apps/{client_id}` refused with 409: the application still has access tokens
 * that have not expired. Move the clock past {@link lastExpiresAt} (or wait) and delete again.
 */
export class EmulatorAppHasLiveTokensError extends EmulatorAdminError {
  /** Always `EmulatorAppHasLiveTokensError`. */
  override name = 'EmulatorAppHasLiveTokensError';
  /** Always `app_has_live_tokens`, the answer's `error`. */
  readonly code = 'app_has_live_tokens';
  /** How many of its tokens still work. */
  readonly liveTokens: number;
  /** When the last of them expires, on the emulator clock. */
  readonly lastExpiresAt: Date;

  constructor(
    /** What was asked, e.g. `DELETE /_emulator/apps/cartlink-demo`. */
    call: string,
    /** The answer's body as text. */
    body: string,
    /** The same body, parsed. */
    answer: AppHasLiveTokensView,
  ) {
    super(call, 409, body);
    this.liveTokens = answer.live_tokens;
    this.lastExpiresAt = new Date(answer.last_expires_at);
  }
}

function isLiveTokensAnswer(value: unknown): value is AppHasLiveTokensView {
  if (typeof value !== 'object' || value === null) return false;
  const answer = value as Record<string, unknown>;
  return (
    answer.error === 'app_has_live_tokens' &&
    typeof answer.live_tokens === 'number' &&
    typeof answer.last_expires_at === 'string'
  );
}

/** Options of {@link EmulatorAdmin}. */
export interface EmulatorAdminOptions {
  /**
   * The emulator's `--admin-token`, for an emulator that is not on loopback. Sent as
   * `Authorization: Bearer`.
   *
   * @default none: the emulator answers loopback and in-process callers without one
   */
  adminToken?: string;
  /**
   * How requests go out: `emulator.fetch` for an emulator in the same process.
   *
   * @default globalThis.fetch
   */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * How long one call may take before it is abandoned, in milliseconds.
   *
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * The application {@link EmulatorAdmin.authorizeCode} acts for when not told otherwise. The
   * secrets of applications registered through {@link EmulatorAdmin.registerApp} are remembered too.
   *
   * @default the demo application
   */
  app?: {
    /** Its `client_id`. */
    clientId: string;
    /** Its `client_secret`. */
    clientSecret: string;
  };
}

/** An Instacart account made by {@link EmulatorAdmin.seedShopper}, with what logs it in. */
export interface SeededShopper {
  /** `instacart_user_id`. */
  id: number;
  /** The log-in email. */
  email: string;
  /** The log-in password. */
  password: string;
}

/** The membership {@link EmulatorAdmin.seedShopper} gives an account. */
export type Membership =
  /** Instacart+ for a year. */
  | 'member'
  /** No subscription, ever. */
  | 'non-member'
  /** A subscription that ended 30 days ago. */
  | 'lapsed'
  /** Instacart+ until this time (`+1d` is "expiring tomorrow"; a past time is lapsed). */
  | {
      /** When the subscription ends. */
      until: ExpiryTime;
    };

/** What {@link EmulatorAdmin.authorizeCode} needs: what the shopper's "Allow" would have been given for. */
export interface CodeRequest {
  /** The Instacart account that "pressed Allow". */
  instacartUserId: number;
  /** One of the application's registered redirect URIs; the code is bound to it. */
  redirectUri: string;
  /** An S256 PKCE challenge to bind the code to (from the authorization URL). */
  codeChallenge?: string | null;
  /**
   * The application the code is issued to.
   *
   * @default the client's `app` option, the demo application unless told otherwise
   */
  clientId?: string;
}

/** Connect's paths, for {@link EmulatorAdmin.connectDown} and {@link EmulatorAdmin.connectSlow}. */
const EVERY_CONNECT_CALL = '/v2/**';

/** A fresh address for a seeded account, unique across processes and runs. */
function freshEmail(): string {
  return `shopper-${crypto.randomUUID()}@instacart.test`;
}

/**
 * A typed client of one emulator's admin API. Each method is one call and throws
 * {@link EmulatorAdminError} when the emulator refuses it; the scenario methods at the end
 * (`seedShopper`, `renewMembership`, `connectDown`, …) are the short-hands a QA engineer reaches for first.
 *
 * @example
 * ```ts
 * import { EmulatorAdmin } from '@cartlink/emulator/testing';
 *
 * const admin = new EmulatorAdmin('http://localhost:4010');
 * await admin.reset();
 * const shopper = await admin.seedShopper({ until: '+1d' }); // Instacart+ expiring tomorrow
 * await admin.connectDown({ calls: 3 }); // the next three Connect calls answer 503
 * ```
 */
export class EmulatorAdmin {
  private readonly send: (request: Request) => Promise<Response>;
  private readonly fulfillmentTokens = new Map<string, Promise<string>>();
  /** Client secrets by client id: the default application's and those registered through this client. */
  private readonly secrets = new Map<string, string>();
  private readonly defaultClientId: string;

  /**
   * @param url the emulator's base URL, e.g. `http://127.0.0.1:4010` (in process: its issuer)
   */
  constructor(
    readonly url: string,
    private readonly options: EmulatorAdminOptions = {},
  ) {
    this.send = options.fetch ?? ((request) => fetch(request));
    const app = options.app ?? DEMO_SEED.app;
    this.defaultClientId = app.clientId;
    this.secrets.set(app.clientId, app.clientSecret);
  }

  /**
   * One call. Every method but `GET` carries `Content-Type: application/json`, with or without a
   * body: the emulator refuses state changes without it (an HTML form on another site cannot send it).
   */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = new Headers();
    if (method !== 'GET') headers.set('content-type', 'application/json');
    if (this.options.adminToken) headers.set('authorization', `Bearer ${this.options.adminToken}`);
    const response = await this.send(
      new Request(this.urlOf(path), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      }),
    );
    const text = await response.text();
    if (!response.ok) throw new EmulatorAdminError(`${method} ${path.split('?')[0]}`, response.status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  // The admin API, one method a call (docs/product.md "Emulator admin API", and its extensions).

  /** Back to the seed plus the start-up scenario: clock, faults, sessions and request log cleared. */
  async reset(): Promise<void> {
    await this.call('POST', '/_emulator/reset');
    // Tokens do not survive a reset, and a moved clock may have expired them.
    this.fulfillmentTokens.clear();
  }

  /** Applications, Instacart accounts, Connect users and links (no secret, hash, code or token). */
  state(): Promise<EmulatorStateView> {
    return this.call('GET', '/_emulator/state');
  }

  /** Registers an OAuth application, or replaces the one with the same `client_id`. */
  async registerApp(app: AppInput): Promise<void> {
    await this.call('POST', '/_emulator/apps', app);
    this.secrets.set(app.client_id, app.client_secret);
    this.fulfillmentTokens.delete(app.client_id);
  }

  /** The applications with their retailer, status, scopes and live tokens (no secret). */
  listApps(): Promise<AppListView[]> {
    return this.call('GET', '/_emulator/apps');
  }

  /**
   * Clones an application as the Developer Dashboard does for a credential rotation: new
   * credentials (random unless given), the same retailer and scopes, the same redirect URIs unless
   * given, enabled. The answer holds the clone's secret, which this client also remembers (for
   * {@link fulfillmentToken}).
   */
  async cloneApp(clientId: string, options: AppCloneInput = {}): Promise<ClonedAppView> {
    const clone = await this.call<ClonedAppView>(
      'POST',
      `/_emulator/apps/${encodeURIComponent(clientId)}/clone`,
      options,
    );
    this.secrets.set(clone.client_id, clone.client_secret);
    return clone;
  }

  /**
   * Disables an application: its token requests get `401 invalid_client` and its authorization
   * requests an error page, while the tokens it issued keep working until they expire.
   */
  disableApp(clientId: string): Promise<AppListView> {
    return this.call('POST', `/_emulator/apps/${encodeURIComponent(clientId)}/disable`);
  }

  /** Enables an application again. */
  enableApp(clientId: string): Promise<AppListView> {
    return this.call('POST', `/_emulator/apps/${encodeURIComponent(clientId)}/enable`);
  }

  /**
   * Deletes an application; its retailer's Connect users and links stay.
   *
   * @throws {@link EmulatorAppHasLiveTokensError} while a token it issued has not expired
   */
  async deleteApp(clientId: string): Promise<void> {
    try {
      await this.call('DELETE', `/_emulator/apps/${encodeURIComponent(clientId)}`);
    } catch (error) {
      if (error instanceof EmulatorAdminError && error.status === 409) {
        let answer: unknown;
        try {
          answer = JSON.parse(error.body);
        } catch {
          throw error;
        }
        if (isLiveTokensAnswer(answer))
          throw new EmulatorAppHasLiveTokensError(error.call, error.body, answer);
      }
      throw error;
    }
    this.secrets.delete(clientId);
    this.fulfillmentTokens.delete(clientId);
  }

  /** Creates an Instacart account; a taken email is a 409. */
  createInstacartUser(account: InstacartUserBody): Promise<CreatedInstacartUser> {
    return this.call('POST', '/_emulator/instacart-users', account);
  }

  /** Changes an account's membership (`instacartplus_member`, `expired_at`) or `active`. */
  updateInstacartUser(id: number, change: InstacartUserChange): Promise<InstacartUserView> {
    return this.call('PATCH', `/_emulator/instacart-users/${id}`, change);
  }

  /**
   * Customer-service unlink: deletes the link of the retailer's `userId` (404 when not linked).
   * `clientId` picks the application when the user id exists in several.
   */
  async unlink(userId: string, clientId?: string): Promise<void> {
    await this.call('DELETE', `/_emulator/links/${encodeURIComponent(userId)}${clientQuery(clientId)}`);
  }

  /** Deactivates (or reactivates) a Connect user: its status then answers `User Not Active`. */
  setConnectUserActive(userId: string, active: boolean, clientId?: string): Promise<ConnectUserView> {
    const change: ConnectUserChange = { active };
    return this.call(
      'PATCH',
      `/_emulator/connect-users/${encodeURIComponent(userId)}${clientQuery(clientId)}`,
      change,
    );
  }

  /** Adds a fault on the Connect routes and returns its id. */
  async addFault(fault: FaultInput): Promise<string> {
    const { id } = await this.call<{ id: string }>('POST', '/_emulator/faults', fault);
    return id;
  }

  /** The active faults, with how often each has fired. */
  faults(): Promise<FaultView[]> {
    return this.call('GET', '/_emulator/faults');
  }

  /** Removes every fault. */
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/_emulator/faults');
  }

  /** The emulator clock. */
  async now(): Promise<Date> {
    const { now } = await this.call<{ now: string }>('GET', '/_emulator/clock');
    return new Date(now);
  }

  /** Moves the emulator clock (`{advance_seconds}` or `{now}`) and returns the new time. */
  async setClock(change: ClockChange): Promise<Date> {
    const { now } = await this.call<{ now: string }>('POST', '/_emulator/clock', change);
    this.fulfillmentTokens.clear();
    return new Date(now);
  }

  /** Moves the emulator clock forward by `seconds` (tokens and memberships age with it). */
  advanceClock(seconds: number): Promise<Date> {
    return this.setClock({ advance_seconds: seconds });
  }

  /** The last 1000 requests outside `/_emulator/`, oldest first, redacted. */
  requests(): Promise<RequestLogEntry[]> {
    return this.call('GET', '/_emulator/requests');
  }

  /** Empties the request log. */
  async clearRequests(): Promise<void> {
    await this.call('DELETE', '/_emulator/requests');
  }

  /** The settings: `issuer_param`, `require_pkce`, `latency_ms`. */
  settings(): Promise<SettingsView> {
    return this.call('GET', '/_emulator/settings');
  }

  /** Changes settings; returns them all. */
  updateSettings(change: SettingsChange): Promise<SettingsView> {
    return this.call('PATCH', '/_emulator/settings', change);
  }

  /** The OpenAPI 3.1 document of the Connect endpoints. */
  openApi(): Promise<Record<string, unknown>> {
    return this.call('GET', '/_emulator/openapi.json');
  }

  /**
   * An authorization code for an Instacart account, as if the shopper had logged in and pressed
   * Allow (`POST /_emulator/authorizations`, with the authorization endpoint's checks). Post it to the
   * shop's callback with the `state` of the authorization URL. An admin call, so faults on Connect
   * (`connectDown`) do not touch it.
   */
  async authorizeCode(request: CodeRequest): Promise<string> {
    const body: AuthorizationInput = {
      instacart_user_id: request.instacartUserId,
      client_id: request.clientId ?? this.defaultClientId,
      redirect_uri: request.redirectUri,
      ...(request.codeChallenge ? { code_challenge: request.codeChallenge } : {}),
    };
    const { code } = await this.call<{ code: string }>('POST', '/_emulator/authorizations', body);
    return code;
  }

  /** `path` under the emulator's base URL, keeping a path prefix (an emulator behind a proxy at `/emulator`). */
  private urlOf(path: string): URL {
    return new URL(`${this.url.replace(/\/+$/, '')}${path}`);
  }

  private secretOf(clientId: string): string {
    const secret = this.secrets.get(clientId);
    if (secret === undefined) {
      throw new Error(
        `EmulatorAdmin: no client secret known for ${clientId}: pass clientSecret, register the application through this client, or give the app option`,
      );
    }
    return secret;
  }

  /**
   * A fulfillment token of the application (Connect's client-credentials grant), fetched once and
   * kept: for a test that calls the Connect API itself, e.g. to read a link as the retailer would.
   */
  async fulfillmentToken(clientId: string = this.defaultClientId, clientSecret?: string): Promise<string> {
    return this.cachedFulfillmentToken(clientId, clientSecret ?? this.secretOf(clientId));
  }

  private cachedFulfillmentToken(clientId: string, clientSecret: string): Promise<string> {
    let token = this.fulfillmentTokens.get(clientId);
    if (!token) {
      token = this.requestFulfillmentToken(clientId, clientSecret);
      this.fulfillmentTokens.set(clientId, token);
      token.catch(() => this.fulfillmentTokens.delete(clientId));
    }
    return token;
  }

  private async requestFulfillmentToken(clientId: string, clientSecret: string): Promise<string> {
    const response = await this.send(
      new Request(this.urlOf('/v2/oauth/token'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          scope: 'connect:fulfillment',
        }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      }),
    );
    const text = await response.text();
    if (!response.ok) throw new EmulatorAdminError('POST /v2/oauth/token', response.status, text);
    return (JSON.parse(text) as { access_token: string }).access_token;
  }

  // Scenarios: the short-hands a QA engineer reaches for first.

  /**
   * Creates an Instacart account with a fresh email and the given membership; `{ until: '+1d' }` is
   * "Instacart+ expiring tomorrow".
   */
  async seedShopper(
    membership: Membership = 'member',
    account: { email?: string; password?: string } = {},
  ): Promise<SeededShopper> {
    const email = account.email ?? freshEmail();
    const password = account.password ?? DEMO_SEED.password;
    const terms: Pick<InstacartUserBody, 'instacartplus_member' | 'expired_at'> =
      membership === 'member'
        ? { instacartplus_member: true, expired_at: '+365d' }
        : membership === 'non-member'
          ? { instacartplus_member: false, expired_at: null }
          : membership === 'lapsed'
            ? { instacartplus_member: true, expired_at: '-30d' }
            : { instacartplus_member: true, expired_at: membership.until };
    const { id } = await this.createInstacartUser({ email, password, ...terms });
    return { id, email, password };
  }

  /** Renews (or starts) an account's Instacart+ subscription until `until` (a year by default). */
  renewMembership(instacartUserId: number, until: ExpiryTime = '+365d'): Promise<InstacartUserView> {
    return this.updateInstacartUser(instacartUserId, { instacartplus_member: true, expired_at: until });
  }

  /** Ends an account's subscription: it lapsed `ago` (a second ago by default). */
  lapseMembership(instacartUserId: number, ago: ExpiryTime = '-1s'): Promise<InstacartUserView> {
    return this.updateInstacartUser(instacartUserId, { instacartplus_member: true, expired_at: ago });
  }

  /** Cancels an account's subscription (the flag off: not a member whatever the end date). */
  cancelMembership(instacartUserId: number): Promise<InstacartUserView> {
    return this.updateInstacartUser(instacartUserId, { instacartplus_member: false });
  }

  /**
   * Connect is down: the next `calls` Connect API calls (any of `/v2/…`) answer `status` (503 by
   * default, Connect's error shape), or every call until {@link clearFaults} when `calls` is absent.
   * Returns the fault's id.
   */
  connectDown(
    options: { calls?: number; status?: number; retryAfterSeconds?: number } = {},
  ): Promise<string> {
    return this.addFault({
      path: EVERY_CONNECT_CALL,
      status: options.status ?? 503,
      ...(options.calls === undefined ? {} : { times: options.calls }),
      ...(options.retryAfterSeconds === undefined
        ? {}
        : { headers: { 'retry-after': String(options.retryAfterSeconds) } }),
    });
  }

  /** Connect is slow: the next `calls` Connect API calls (every one when absent) wait `delayMs` first. */
  connectSlow(options: { delayMs: number; calls?: number }): Promise<string> {
    return this.addFault({
      path: EVERY_CONNECT_CALL,
      delay_ms: options.delayMs,
      ...(options.calls === undefined ? {} : { times: options.calls }),
    });
  }

  /** The link of the retailer's `userId` (in `clientId`'s application when given), or `undefined`. */
  async linkOf(userId: string, clientId?: string): Promise<LinkView | undefined> {
    const { links } = await this.state();
    return links.find(
      (link) => link.user_id === userId && (clientId === undefined || link.client_id === clientId),
    );
  }
}

function clientQuery(clientId: string | undefined): string {
  return clientId === undefined ? '' : `?client_id=${encodeURIComponent(clientId)}`;
}
