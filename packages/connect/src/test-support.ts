/**
 * Test support, not exported by the package: an in-process `fetch` that records every request and
 * answers from a handler, so unit tests never touch the network.
 */
import { createConnectClient } from './client.js';
import type { ConnectRequestEvent } from './transport.js';
import type { ConnectClientOptions } from './types.js';

/** A request as the fake server saw it. */
export interface RecordedRequest {
  method: string;
  url: URL;
  /** Path below the origin, e.g. `/v2/oauth/token`. */
  path: string;
  headers: Headers;
  /** Parsed JSON body, `undefined` when there was none. */
  body: unknown;
  /** The raw body text, `''` when there was none. */
  rawBody: string;
  signal: AbortSignal | null;
  redirect: RequestRedirect | undefined;
}

/** Answers one request. Throwing makes `fetch` reject (a network error). */
export type FakeHandler = (request: RecordedRequest) => Response | Promise<Response>;

/** A JSON response. */
export function createJsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** The fake `fetch` and what it recorded. */
export interface FakeFetch {
  fetch: typeof fetch;
  requests: RecordedRequest[];
  /** Requests whose path is `path`. */
  requestsTo(path: string): RecordedRequest[];
}

/** Creates a fake `fetch` answering with `handler`. */
export function createFakeFetch(handler: FakeHandler): FakeFetch {
  const requests: RecordedRequest[] = [];
  const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const rawBody = typeof init?.body === 'string' ? init.body : '';
    const recorded: RecordedRequest = {
      method: init?.method ?? 'GET',
      url,
      path: url.pathname,
      headers: new Headers(init?.headers),
      body: rawBody === '' ? undefined : (JSON.parse(rawBody) as unknown),
      rawBody,
      signal: init?.signal ?? null,
      redirect: init?.redirect,
    };
    requests.push(recorded);
    return handler(recorded);
  };
  return {
    fetch: fakeFetch as typeof fetch,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
  };
}

/** A `fetch` promise that settles only when `signal` aborts, rejecting with its reason. */
export function waitForAbort(signal: AbortSignal | null): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Secrets used by the tests. Each looks like nothing else in the tests, so finding one in an error
 * or event is a leak and nothing else.
 */
export const SECRETS = {
  clientSecret: 'cs_SECRET_client_7f3a91',
  nextClientSecret: 'cs_SECRET_next_client_4e2b07',
  code: 'ac_SECRET_code_2d8e44',
  codeVerifier: 'vf_SECRET_verifier_0123456789abcdefghijklmnop',
  linkingToken: 'lt_SECRET_linking_51b0aa',
  refreshToken: 'rt_SECRET_refresh_aa9012',
  fulfillmentToken: 'ft_SECRET_fulfillment_0c7d19',
  fulfillmentToken2: 'ft_SECRET_fulfillment_88e1f2',
  password: 'pw_SECRET_password_33449c',
  revokedToken: 'rv_SECRET_revoked_6b6b01',
} as const;

/** Every error a test file's calls produced, for the closing leak check. */
export const producedErrors: unknown[] = [];
/** Every `onRequest` event a test file's clients emitted, for the closing leak check. */
export const producedEvents: unknown[] = [];

/** Awaits `promise`, which must reject; records and returns the reason. */
export async function captureRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    producedErrors.push(error);
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/** Every place a secret could surface in an error: message, toString, stack, JSON, own fields. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return JSON.stringify(error) ?? String(error);
  const fields = Object.entries(error).map(([key, value]) => `${key}=${String(value)}`);
  return [error.message, String(error), error.stack ?? '', JSON.stringify(error), ...fields].join('\n');
}

/** Names every secret found in any of `errors` and `events` (by default, everything recorded). */
export function findSecretLeaks(
  errors: readonly unknown[] = producedErrors,
  events: readonly unknown[] = producedEvents,
): string[] {
  const texts = [...errors.map(describeError), ...events.map((event) => JSON.stringify(event))];
  const leaks: string[] = [];
  for (const [name, secret] of Object.entries(SECRETS)) {
    if (texts.some((text) => text.includes(secret))) leaks.push(name);
  }
  return leaks;
}

/** The client id of every test client. */
export const CLIENT_ID = 'cartlink-test';
/** The client id of the next credential set, in the rotation tests. */
export const NEXT_CLIENT_ID = 'cartlink-test-next';
/** Token endpoint path. */
export const TOKEN = '/v2/oauth/token';
/** Revocation endpoint path. */
export const REVOKE = '/v2/oauth/token/revoke';
/** Link status and link path of the test user `u-1`. */
export const STATUS = '/v2/fulfillment/users/u-1/link';
/** Create user path. */
export const USERS = '/v2/fulfillment/users';
/** Sandbox Instacart users path. */
export const SANDBOX_USERS = '/v2/fulfillment_sandbox/instacart_users';
/** The fixed clock of `createTestClient` clients, epoch ms. */
export const NOW = Date.parse('2025-06-01T12:00:00Z');

/** A token response as Connect documents it. */
export function createTokenBody(
  accessToken: string = SECRETS.fulfillmentToken,
  extra: Record<string, unknown> = {},
) {
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: 86_400,
    scope: 'connect:fulfillment',
    created_at: Math.floor(NOW / 1000),
    ...extra,
  };
}

/** A fake Connect: answers `METHOD /path` from `routes`, and the token endpoint with a fulfillment token. */
export function createFakeConnect(routes: Record<string, FakeHandler>): FakeHandler {
  return (request) => {
    const route = routes[`${request.method} ${request.path}`];
    if (route) return route(request);
    if (request.method === 'POST' && request.path === TOKEN)
      return createJsonResponse(200, createTokenBody());
    return new Response('no such route in the fake', { status: 404 });
  };
}

/** A client on a fake `fetch`, recording its events and backoff sleeps; `random` is 0.5. */
export function createTestClient(handler: FakeHandler, overrides: Partial<ConnectClientOptions> = {}) {
  const fake = createFakeFetch(handler);
  const events: ConnectRequestEvent[] = [];
  const sleeps: number[] = [];
  const client = createConnectClient({
    baseUrl: 'https://connect.test',
    clientId: CLIENT_ID,
    clientSecret: SECRETS.clientSecret,
    fetch: fake.fetch,
    now: () => NOW,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRequest: (event) => {
      events.push(event);
      producedEvents.push(event);
    },
    ...overrides,
  });
  return { client, fake, events, sleeps };
}
