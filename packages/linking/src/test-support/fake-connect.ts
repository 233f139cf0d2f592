/**
 * Test support, not exported: a small scripted Connect behind an injected `fetch`, for unit tests of
 * every branch of the linking flow. It keeps just enough state (Connect users, links, codes) to answer
 * like Connect, counts every call by route, and lets a test replace the answer of any route.
 * The integration tests use the real emulator instead.
 */
import { type ConnectClientOptions, createConnectClient } from '@cartlink/connect';
import type { Kysely } from 'kysely';
import { createLinking, type Linking, type LinkingOptions } from '../linking.js';
import type { LinkingDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { createSqlStorage } from '../storage/sql-storage.js';
import { openSqliteDatabase } from '../storage/sqlite-node.js';
import type { LinkingStorage } from '../storage/types.js';

export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'cs_SECRET_linking_5d1c';
/** The application a credential rotation moves to (the clone), in the rotation tests. */
export const NEXT_CLIENT_ID = 'test-client-next';
export const NEXT_CLIENT_SECRET = 'cs_SECRET_linking_next_93aa';
export const REDIRECT_URI = 'https://shop.example/account/profile';
export const AUTH_ENDPOINT = 'https://auth.connect.example/oauth/authorize';
export const BASE_URL = 'https://connect.example';

type Route = 'token' | 'exchange' | 'status' | 'link' | 'create' | 'other';

export interface FakeUser {
  linkedTo: number | null;
  active: boolean;
}

export interface FakeAccount {
  instacartplusMember: boolean;
  expiredAt: string | null;
}

export interface FakeCode {
  account: number;
  redirectUri: string;
  codeChallenge: string | null;
  /** The application it was issued to; only its exchange succeeds. */
  clientId: string;
  used: boolean;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function apiError(status: number, message: string, key = 'user_id'): Response {
  return json(status, { error: { message, code: status === 403 ? null : 1001 }, meta: { key } });
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString('base64url');
}

/** A fake Connect: state, call counts, and overrides per route. */
export class FakeConnect {
  readonly users = new Map<string, FakeUser>();
  readonly accounts = new Map<number, FakeAccount>([
    [1, { instacartplusMember: true, expiredAt: '2099-01-31T00:00:00Z' }],
    [2, { instacartplusMember: false, expiredAt: null }],
  ]);
  readonly codes = new Map<string, FakeCode>();
  readonly calls: Route[] = [];
  /** Bodies of every link call, to check what was sent. */
  readonly linkTokensSent: string[] = [];
  readonly exchangeBodies: Record<string, unknown>[] = [];
  /** The `client_id` of every token request (client_credentials), in order. */
  readonly tokenClientIds: string[] = [];
  /**
   * Applications whose every grant is refused with `401 invalid_client`: unknown or disabled ones.
   * Their tokens already issued keep working, as a disabled application's do.
   */
  readonly refusedClients = new Set<string>();
  /** Replace a route's answer; return undefined to fall through to the normal behaviour. */
  readonly overrides = new Map<
    Route,
    (attempt: number) => Response | undefined | Promise<Response | undefined>
  >();
  private issued = 0;

  count(route: Route): number {
    return this.calls.filter((call) => call === route).length;
  }

  /** Issues an authorization code as if the holder of `account` pressed Allow. */
  issueCode(
    account: number,
    options: { redirectUri?: string; codeChallenge?: string | null; clientId?: string } = {},
  ): string {
    const code = `code_${++this.issued}_${Math.random().toString(36).slice(2)}`;
    this.codes.set(code, {
      account,
      redirectUri: options.redirectUri ?? REDIRECT_URI,
      codeChallenge: options.codeChallenge ?? null,
      clientId: options.clientId ?? CLIENT_ID,
      used: false,
    });
    return code;
  }

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const route: Route =
      url.pathname === '/v2/oauth/token'
        ? body.grant_type === 'client_credentials'
          ? 'token'
          : 'exchange'
        : url.pathname === '/v2/fulfillment/users'
          ? 'create'
          : /^\/v2\/fulfillment\/users\/[^/]+\/link$/.test(url.pathname)
            ? method === 'GET'
              ? 'status'
              : 'link'
            : 'other';
    this.calls.push(route);
    const override = this.overrides.get(route);
    if (override) {
      const answer = await override(this.count(route));
      if (answer) return answer;
    }
    const userId = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    if ((route === 'token' || route === 'exchange') && this.refusedClients.has(String(body.client_id))) {
      if (route === 'token') this.tokenClientIds.push(String(body.client_id));
      else this.exchangeBodies.push(body);
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    switch (route) {
      case 'token':
        this.tokenClientIds.push(String(body.client_id));
        return json(200, {
          access_token: 'ft_fulfillment',
          token_type: 'Bearer',
          expires_in: 86400,
          created_at: 0,
        });
      case 'exchange': {
        this.exchangeBodies.push(body);
        const grant = this.codes.get(String(body.code));
        const verifierOk =
          grant?.codeChallenge === null ||
          (typeof body.code_verifier === 'string' &&
            (await s256(body.code_verifier)) === grant?.codeChallenge);
        if (
          !grant ||
          grant.used ||
          grant.redirectUri !== body.redirect_uri ||
          grant.clientId !== body.client_id ||
          !verifierOk
        ) {
          if (grant) grant.used = true;
          return json(400, { error: 'invalid_grant', error_description: 'The code is invalid' });
        }
        grant.used = true;
        return json(200, {
          access_token: `lt_account_${grant.account}`,
          token_type: 'Bearer',
          expires_in: 86400,
          scope: 'account_linking',
          created_at: 0,
        });
      }
      case 'status': {
        const user = this.users.get(userId);
        if (!user) return apiError(400, 'User Not Found');
        if (!user.active) return apiError(403, 'User Not Active');
        if (user.linkedTo === null) return apiError(400, 'User Not Linked');
        const account = this.accounts.get(user.linkedTo);
        return json(200, {
          instacartplus_member: account?.instacartplusMember ?? false,
          express_member: account?.instacartplusMember ?? false,
          ...(account?.expiredAt ? { expired_at: account.expiredAt } : {}),
        });
      }
      case 'link': {
        const token = String(body.linking_token ?? '');
        this.linkTokensSent.push(token);
        const user = this.users.get(userId);
        if (!user) return apiError(400, 'User Not Found');
        if (!user.active) return apiError(403, 'User Not Active');
        const match = /^lt_account_(\d+)$/.exec(token);
        if (!match) return apiError(400, 'Linking token is invalid', 'linking_token');
        const account = Number(match[1]);
        for (const [otherId, other] of this.users) {
          if (otherId !== userId && other.linkedTo === account) {
            return apiError(
              400,
              'Validation failed: Common identities can only have one user per isolation context',
              'linking_token',
            );
          }
        }
        user.linkedTo = account;
        return json(200, { success: true });
      }
      case 'create': {
        const id = String(body.user_id);
        if (this.users.has(id)) return apiError(400, 'User already exists');
        this.users.set(id, { linkedTo: null, active: true });
        return json(200, {
          user_id: id,
          first_name: body.first_name,
          last_name: body.last_name ?? null,
          phone_number: null,
          locale: null,
        });
      }
      default:
        return json(404, { error: { message: 'Not Found', code: null } });
    }
  }) as typeof fetch;
}

export interface LinkingFixture {
  fake: FakeConnect;
  linking: Linking;
  storage: LinkingStorage;
  db: Kysely<LinkingDatabase>;
  clock: { now: Date; advance(seconds: number): void };
  close(): Promise<void>;
}

/**
 * A linking core on an in-memory SQLite database, talking to a FakeConnect. `connectOptions` adds to
 * the Connect client's (e.g. `nextCredentials`, for a rotation).
 */
export async function createLinkingFixture(
  options: Partial<LinkingOptions> = {},
  connectOptions: Partial<ConnectClientOptions> = {},
): Promise<LinkingFixture> {
  const db = openSqliteDatabase<LinkingDatabase>(':memory:');
  await migrateToLatest(db);
  const storage = createSqlStorage(db);
  const fake = new FakeConnect();
  const clock = {
    now: new Date('2026-06-01T12:00:00.000Z'),
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  const connect = createConnectClient({
    baseUrl: BASE_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: fake.fetch,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    now: () => clock.now.getTime(),
    ...connectOptions,
  });
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: AUTH_ENDPOINT,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    usePkce: true,
    loadConnectUserProfile: async () => ({ firstName: 'Alex', lastName: 'Shopper' }),
    now: () => clock.now,
    ...options,
  });
  return { fake, linking, storage, db, clock, close: () => db.destroy() };
}

/** The state and PKCE challenge in an authorization URL. */
export function readAuthorizationUrl(authorizationUrl: string | null): {
  state: string;
  codeChallenge: string | null;
} {
  if (authorizationUrl === null) throw new Error('expected an authorization URL');
  const url = new URL(authorizationUrl);
  const state = url.searchParams.get('state');
  if (!state) throw new Error('authorization URL without state');
  return { state, codeChallenge: url.searchParams.get('code_challenge') };
}
