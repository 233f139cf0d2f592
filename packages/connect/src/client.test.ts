import { describe, expect, it } from 'vitest';
import { createConnectClient } from './client.js';
import {
  AlreadyLinkedError,
  ConnectApiError,
  ConnectConfigurationError,
  ConnectError,
  ConnectOAuthError,
  ConnectUnauthorizedError,
  ConnectUnavailableError,
  InvalidClientError,
  InvalidGrantError,
  InvalidLinkingTokenError,
  RateLimitedError,
  UnexpectedResponseError,
  UserAlreadyExistsError,
  UserNotActiveError,
  UserNotFoundError,
  UserNotLinkedError,
} from './errors.js';
import {
  CLIENT_ID,
  captureRejection,
  createFakeConnect,
  createFakeFetch,
  createJsonResponse,
  createTestClient,
  createTokenBody,
  findSecretLeaks,
  NEXT_CLIENT_ID,
  NOW,
  producedErrors,
  producedEvents,
  REVOKE,
  type RecordedRequest,
  SANDBOX_USERS,
  SECRETS,
  STATUS,
  TOKEN,
  USERS,
} from './test-support.js';
import type { ConnectClient, ConnectClientOptions, CredentialsChangeEvent } from './types.js';

function getOnlyRequest(requests: RecordedRequest[]): RecordedRequest {
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

describe('getFulfillmentToken', () => {
  it('asks for a client_credentials token with the credentials in the JSON body only', async () => {
    const { client, fake } = createTestClient(createFakeConnect({}));
    await expect(client.getFulfillmentToken()).resolves.toBe(SECRETS.fulfillmentToken);
    const request = getOnlyRequest(fake.requestsTo(TOKEN));
    expect(request.method).toBe('POST');
    expect(request.url.search).toBe('');
    expect(request.body).toEqual({
      client_id: CLIENT_ID,
      client_secret: SECRETS.clientSecret,
      grant_type: 'client_credentials',
      scope: 'connect:fulfillment',
    });
    expect(request.headers.get('accept')).toBe('application/json');
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.has('authorization')).toBe(false);
    expect(request.redirect).toBe('manual');
  });

  it('keeps a path prefix of the base URL and ignores a trailing slash', async () => {
    const { client, fake } = createTestClient(
      (request) =>
        request.path === `/gateway/connect${TOKEN}`
          ? createJsonResponse(200, createTokenBody())
          : createJsonResponse(404, {}),
      { baseUrl: 'https://connect.test/gateway/connect/' },
    );
    await client.getFulfillmentToken();
    expect(fake.requests.map((request) => request.url.href)).toEqual([
      `https://connect.test/gateway/connect${TOKEN}`,
    ]);
  });

  it('accepts a token_type in any case and a response with extra fields', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(200, createTokenBody(SECRETS.fulfillmentToken, { token_type: 'bearer', x: 1 })),
      }),
    );
    await expect(client.getFulfillmentToken()).resolves.toBe(SECRETS.fulfillmentToken);
  });

  it('maps invalid_client to InvalidClientError', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(401, {
            error: 'invalid_client',
            error_description: 'Client authentication failed',
          }),
      }),
    );
    const error = await captureRejection(client.getFulfillmentToken());
    expect(error).toBeInstanceOf(InvalidClientError);
    expect(error).toMatchObject({ code: 'invalid_client', status: 401, error: 'invalid_client' });
  });
});

describe('getLinkStatus', () => {
  it('sends the fulfillment token and the documented headers, and no body', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () =>
          createJsonResponse(200, { instacartplus_member: true, express_member: true }),
      }),
      { retailerId: 'banner-7', acceptLanguage: 'en-CA' },
    );
    await client.getLinkStatus('u-1');
    const request = getOnlyRequest(fake.requestsTo(STATUS));
    expect(request.headers.get('authorization')).toBe(`Bearer ${SECRETS.fulfillmentToken}`);
    expect(request.headers.get('accept')).toBe('application/json');
    expect(request.headers.get('accept-language')).toBe('en-CA');
    expect(request.headers.get('x-retailer-id')).toBe('banner-7');
    expect(request.headers.has('content-type')).toBe(false);
    expect(request.rawBody).toBe('');
    expect(request.url.search).toBe('');
    // The token request carries the retailer and language headers too.
    expect(getOnlyRequest(fake.requestsTo(TOKEN)).headers.get('x-retailer-id')).toBe('banner-7');
  });

  it('sends neither Accept-Language nor X-Retailer-Id unless configured, and lets a call choose its language', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () => createJsonResponse(200, { instacartplus_member: false }),
      }),
    );
    await client.getLinkStatus('u-1');
    await client.getLinkStatus('u-1', { acceptLanguage: 'fr-CA' });
    const [first, second] = fake.requestsTo(STATUS);
    expect(first?.headers.has('accept-language')).toBe(false);
    expect(first?.headers.has('x-retailer-id')).toBe(false);
    expect(second?.headers.get('accept-language')).toBe('fr-CA');
  });

  it('parses an active membership with its expiry date', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () =>
          createJsonResponse(200, {
            express_member: true,
            instacartplus_member: true,
            expired_at: '2025-09-22T07:14:43Z',
            extra: 1,
          }),
      }),
    );
    const status = await client.getLinkStatus('u-1');
    expect(status).toEqual({
      instacartplusMember: true,
      expressMember: true,
      expiredAt: new Date('2025-09-22T07:14:43Z'),
    });
    expect(status.expiredAt).toBeInstanceOf(Date);
  });

  it('gives null for an absent expired_at and express_member', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () => createJsonResponse(200, { instacartplus_member: false }),
      }),
    );
    await expect(client.getLinkStatus('u-1')).resolves.toEqual({
      instacartplusMember: false,
      expressMember: null,
      expiredAt: null,
    });
  });

  it('accepts expired_at with milliseconds and an offset', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () =>
          createJsonResponse(200, {
            instacartplus_member: true,
            expired_at: '2025-09-22T09:14:43.250+02:00',
          }),
      }),
    );
    const status = await client.getLinkStatus('u-1');
    expect(status.expiredAt?.toISOString()).toBe('2025-09-22T07:14:43.250Z');
  });

  it('percent-encodes the user id as one path segment', async () => {
    const { client, fake } = createTestClient((request) =>
      request.path === TOKEN
        ? createJsonResponse(200, createTokenBody())
        : createJsonResponse(200, { instacartplus_member: false }),
    );
    await client.getLinkStatus('a b/c?d#e%f');
    expect(fake.requests[1]?.url.pathname).toBe('/v2/fulfillment/users/a%20b%2Fc%3Fd%23e%25f/link');
    expect(fake.requests[1]?.url.search).toBe('');
  });

  it.each(['', '.', '..'])('refuses the user id %j before any request', async (userId) => {
    const { client, fake } = createTestClient(createFakeConnect({}));
    await expect(client.getLinkStatus(userId)).rejects.toBeInstanceOf(TypeError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('linkUser', () => {
  it('posts the linking token as JSON with the fulfillment token', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${STATUS}`]: () => createJsonResponse(200, { success: true }) }),
    );
    await expect(client.linkUser('u-1', SECRETS.linkingToken)).resolves.toBeUndefined();
    const request = getOnlyRequest(fake.requestsTo(STATUS));
    expect(request.body).toEqual({ linking_token: SECRETS.linkingToken });
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.get('authorization')).toBe(`Bearer ${SECRETS.fulfillmentToken}`);
  });

  it.each([
    ['success: false', { success: false }],
    ['an empty object', {}],
    ['another shape', { unexpected: 'shape' }],
    ['success as a string', { success: 'true' }],
  ])('refuses %s in a 2xx body: only {"success": true} says the accounts are linked', async (_name, body) => {
    const { client } = createTestClient(
      createFakeConnect({ [`POST ${STATUS}`]: () => createJsonResponse(200, body) }),
    );
    const error = await captureRejection(client.linkUser('u-1', SECRETS.linkingToken));
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 200 });
  });

  it('refuses an empty linking token before any request', async () => {
    const { client, fake } = createTestClient(createFakeConnect({}));
    await expect(client.linkUser('u-1', '')).rejects.toBeInstanceOf(TypeError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('createUser', () => {
  it('posts the user in snake_case and reads the echo', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${USERS}`]: (request) => {
          const body = request.body as Record<string, unknown>;
          return createJsonResponse(200, { ...body, last_name: null, created: true });
        },
      }),
    );
    const user = await client.createUser({
      userId: 'u-1',
      firstName: 'Alex',
      phoneNumber: '+15551234567',
      locale: 'en-US',
    });
    expect(getOnlyRequest(fake.requestsTo(USERS)).body).toEqual({
      user_id: 'u-1',
      first_name: 'Alex',
      phone_number: '+15551234567',
      locale: 'en-US',
    });
    expect(user).toEqual({
      userId: 'u-1',
      firstName: 'Alex',
      lastName: null,
      phoneNumber: '+15551234567',
      locale: 'en-US',
    });
  });

  it('gives null for fields the echo leaves out', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`POST ${USERS}`]: () => createJsonResponse(201, { user_id: 'u-2', first_name: 'Blair' }),
      }),
    );
    await expect(client.createUser({ userId: 'u-2', firstName: 'Blair', lastName: 'Doe' })).resolves.toEqual({
      userId: 'u-2',
      firstName: 'Blair',
      lastName: null,
      phoneNumber: null,
      locale: null,
    });
  });
});

describe('exchangeAuthorizationCode', () => {
  it('posts the authorization_code grant with the verifier and returns the linking token', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(
            200,
            {
              access_token: SECRETS.linkingToken,
              token_type: 'Bearer',
              expires_in: 86_400,
              refresh_token: SECRETS.refreshToken,
              scope: 'account_linking',
              created_at: 1_757_025_142,
            },
            { 'Cache-Control': 'no-store' },
          ),
      }),
    );
    const token = await client.exchangeAuthorizationCode({
      code: SECRETS.code,
      redirectUri: 'https://shop.test/account/profile',
      codeVerifier: SECRETS.codeVerifier,
    });
    expect(token).toEqual({
      accessToken: SECRETS.linkingToken,
      tokenType: 'Bearer',
      expiresIn: 86_400,
      scope: 'account_linking',
      createdAt: 1_757_025_142,
      refreshToken: SECRETS.refreshToken,
    });
    const request = getOnlyRequest(fake.requestsTo(TOKEN));
    expect(request.body).toEqual({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: SECRETS.clientSecret,
      code: SECRETS.code,
      redirect_uri: 'https://shop.test/account/profile',
      code_verifier: SECRETS.codeVerifier,
    });
    expect(request.url.search).toBe('');
    expect(request.headers.has('authorization')).toBe(false);
  });

  it('sends no code_verifier without PKCE, and fills in what the reference response leaves out', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(200, {
            access_token: SECRETS.linkingToken,
            token_type: 'BEARER',
            expires_in: 86_400,
          }),
      }),
    );
    const token = await client.exchangeAuthorizationCode({
      code: SECRETS.code,
      redirectUri: 'https://shop.test/cb',
    });
    expect(getOnlyRequest(fake.requestsTo(TOKEN)).body).not.toHaveProperty('code_verifier');
    expect(token).toEqual({
      accessToken: SECRETS.linkingToken,
      tokenType: 'Bearer',
      expiresIn: 86_400,
      scope: null,
      createdAt: Math.floor(NOW / 1000),
      refreshToken: null,
    });
  });
});

describe('revokeToken', () => {
  it.each([
    ['{}', () => createJsonResponse(200, {})],
    ['an empty body', () => new Response(null, { status: 200 })],
  ])('posts client credentials and the token, and accepts %s', async (_, respond) => {
    const { client, fake } = createTestClient(createFakeConnect({ [`POST ${REVOKE}`]: respond }));
    await expect(client.revokeToken(SECRETS.revokedToken)).resolves.toBeUndefined();
    expect(getOnlyRequest(fake.requestsTo(REVOKE)).body).toEqual({
      client_id: CLIENT_ID,
      client_secret: SECRETS.clientSecret,
      token: SECRETS.revokedToken,
    });
  });
});

describe('sandbox', () => {
  it('creates an Instacart user', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${SANDBOX_USERS}`]: () => createJsonResponse(200, { id: 42 }) }),
    );
    await expect(
      client.sandbox.createInstacartUser({
        email: 'plus@instacart.test',
        password: SECRETS.password,
        instacartplusMember: true,
      }),
    ).resolves.toEqual({ id: 42 });
    const request = getOnlyRequest(fake.requestsTo(SANDBOX_USERS));
    expect(request.body).toEqual({
      email: 'plus@instacart.test',
      password: SECRETS.password,
      instacartplus_member: true,
    });
    expect(request.headers.get('authorization')).toBe(`Bearer ${SECRETS.fulfillmentToken}`);
  });

  it('sends phone and express_member when given', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${SANDBOX_USERS}`]: () => createJsonResponse(200, { id: 7 }) }),
    );
    await client.sandbox.createInstacartUser({
      email: 'basic@instacart.test',
      phone: '+15550000000',
      password: SECRETS.password,
      instacartplusMember: false,
      expressMember: false,
    });
    expect(getOnlyRequest(fake.requestsTo(SANDBOX_USERS)).body).toEqual({
      email: 'basic@instacart.test',
      phone: '+15550000000',
      password: SECRETS.password,
      instacartplus_member: false,
      express_member: false,
    });
  });

  it('authorizes with the default scope and an S256 challenge', async () => {
    const path = `${SANDBOX_USERS}/42/authorize`;
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${path}`]: () => createJsonResponse(200, { code: SECRETS.code }) }),
    );
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    await expect(
      client.sandbox.authorize(42, { redirectUri: 'https://shop.test/cb', codeChallenge: challenge }),
    ).resolves.toEqual({ code: SECRETS.code });
    expect(getOnlyRequest(fake.requestsTo(path)).body).toEqual({
      redirect_uri: 'https://shop.test/cb',
      scope: 'account_linking',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
  });

  it('authorizes without PKCE', async () => {
    const path = `${SANDBOX_USERS}/3/authorize`;
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${path}`]: () => createJsonResponse(200, { code: SECRETS.code }) }),
    );
    await client.sandbox.authorize(3, { redirectUri: 'https://shop.test/cb', scope: 'account_linking' });
    expect(getOnlyRequest(fake.requestsTo(path)).body).toEqual({
      redirect_uri: 'https://shop.test/cb',
      scope: 'account_linking',
    });
  });

  it('refuses an instacart user id that is not an integer', async () => {
    const { client, fake } = createTestClient(createFakeConnect({}));
    await expect(
      client.sandbox.authorize(1.5, { redirectUri: 'https://shop.test/cb' }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(fake.requests).toHaveLength(0);
  });
});

type ErrorClass = abstract new (...args: never[]) => ConnectError;

interface MappingCase {
  name: string;
  call: (client: ConnectClient) => Promise<unknown>;
  route: string;
  respond: () => Response;
  expected: ErrorClass;
  fields: Record<string, unknown>;
}

const apiBody = (message: string, key?: string, code: number | null = 1001) => ({
  error: { message, code },
  ...(key === undefined ? {} : { meta: { key } }),
});
const getStatus = (client: ConnectClient) => client.getLinkStatus('u-1');
const link = (client: ConnectClient) => client.linkUser('u-1', SECRETS.linkingToken);
const createUser = (client: ConnectClient) => client.createUser({ userId: 'u-1', firstName: 'Alex' });
const exchange = (client: ConnectClient) =>
  client.exchangeAuthorizationCode({
    code: SECRETS.code,
    redirectUri: 'https://shop.test/cb',
    codeVerifier: SECRETS.codeVerifier,
  });

const mappingCases: MappingCase[] = [
  {
    name: 'status: 400 User Not Found',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => createJsonResponse(400, apiBody('User Not Found', 'user_id')),
    expected: UserNotFoundError,
    fields: {
      code: 'user_not_found',
      status: 400,
      message: 'User Not Found',
      errorCode: 1001,
      metaKey: 'user_id',
    },
  },
  {
    name: 'status: 400 User Not Linked',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => createJsonResponse(400, apiBody('User Not Linked', 'user_id')),
    expected: UserNotLinkedError,
    fields: { code: 'user_not_linked', status: 400, errorCode: 1001, metaKey: 'user_id' },
  },
  {
    name: 'status: 403 User Not Active',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => createJsonResponse(403, apiBody('User Not Active', undefined, null)),
    expected: UserNotActiveError,
    fields: { code: 'user_not_active', status: 403, errorCode: null, metaKey: null },
  },
  {
    name: 'status: 404 with the API shape',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => createJsonResponse(404, apiBody('Not Found', undefined, null)),
    expected: ConnectApiError,
    fields: { code: 'api_error', status: 404, message: 'Not Found' },
  },
  {
    name: 'status: 429',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => new Response(null, { status: 429, headers: { 'Retry-After': '1' } }),
    expected: RateLimitedError,
    fields: { code: 'rate_limited', status: 429, retryAfterSeconds: 1 },
  },
  ...[408, 500, 502, 503, 504].map(
    (status): MappingCase => ({
      name: `status: ${status}`,
      call: getStatus,
      route: `GET ${STATUS}`,
      respond: () => new Response('<html>busy</html>', { status }),
      expected: ConnectUnavailableError,
      fields: { code: 'unavailable', status, retryAfterSeconds: null },
    }),
  ),
  {
    name: 'link: 400 User Not Found',
    call: link,
    route: `POST ${STATUS}`,
    respond: () => createJsonResponse(400, apiBody('User Not Found', 'user_id')),
    expected: UserNotFoundError,
    fields: { code: 'user_not_found', metaKey: 'user_id' },
  },
  {
    name: 'link: 400 Linking token is invalid',
    call: link,
    route: `POST ${STATUS}`,
    respond: () => createJsonResponse(400, apiBody('Linking token is invalid', 'linking_token')),
    expected: InvalidLinkingTokenError,
    fields: { code: 'invalid_linking_token', status: 400, errorCode: 1001, metaKey: 'linking_token' },
  },
  {
    name: "link: 400 can't be blank",
    call: link,
    route: `POST ${STATUS}`,
    respond: () => createJsonResponse(400, apiBody("can't be blank", 'linking_token')),
    expected: InvalidLinkingTokenError,
    fields: { code: 'invalid_linking_token', metaKey: 'linking_token' },
  },
  {
    name: 'link: 400 Common identities (already linked to another user)',
    call: link,
    route: `POST ${STATUS}`,
    respond: () =>
      createJsonResponse(
        400,
        apiBody(
          'Validation failed: Common identities can only have one user per isolation context',
          'linking_token',
        ),
      ),
    expected: AlreadyLinkedError,
    fields: { code: 'already_linked', status: 400, metaKey: 'linking_token' },
  },
  {
    name: 'link: 403 User Not Active',
    call: link,
    route: `POST ${STATUS}`,
    respond: () => createJsonResponse(403, apiBody('User Not Active', undefined, null)),
    expected: UserNotActiveError,
    fields: { code: 'user_not_active', status: 403 },
  },
  {
    name: 'create user: 400 User already exists',
    call: createUser,
    route: `POST ${USERS}`,
    respond: () => createJsonResponse(400, apiBody('User already exists', 'user_id')),
    expected: UserAlreadyExistsError,
    fields: { code: 'user_already_exists', status: 400, metaKey: 'user_id' },
  },
  {
    name: "create user: 400 can't be blank about first_name stays a plain API error",
    call: createUser,
    route: `POST ${USERS}`,
    respond: () => createJsonResponse(400, apiBody("can't be blank", 'first_name')),
    expected: ConnectApiError,
    fields: { code: 'api_error', metaKey: 'first_name' },
  },
  {
    name: 'sandbox: 400 An account already exists with this email',
    call: (client) =>
      client.sandbox.createInstacartUser({
        email: 'a@b.test',
        password: SECRETS.password,
        instacartplusMember: true,
      }),
    route: `POST ${SANDBOX_USERS}`,
    respond: () => createJsonResponse(400, apiBody('An account already exists with this email', 'email')),
    expected: ConnectApiError,
    fields: { code: 'api_error', message: 'An account already exists with this email', metaKey: 'email' },
  },
  {
    name: 'sandbox: 400 Invalid user_id',
    call: (client) => client.sandbox.authorize(9, { redirectUri: 'https://shop.test/cb' }),
    route: `POST ${SANDBOX_USERS}/9/authorize`,
    respond: () => createJsonResponse(400, apiBody('Invalid user_id', 'user_id')),
    expected: ConnectApiError,
    fields: { code: 'api_error', message: 'Invalid user_id' },
  },
  {
    name: 'exchange: 400 invalid_grant',
    call: exchange,
    route: `POST ${TOKEN}`,
    respond: () =>
      createJsonResponse(400, {
        error: 'invalid_grant',
        error_description: 'The provided authorization grant is invalid',
      }),
    expected: InvalidGrantError,
    fields: {
      code: 'invalid_grant',
      status: 400,
      error: 'invalid_grant',
      errorDescription: 'The provided authorization grant is invalid',
    },
  },
  {
    name: 'exchange: 401 invalid_client',
    call: exchange,
    route: `POST ${TOKEN}`,
    respond: () => createJsonResponse(401, { error: 'invalid_client' }),
    expected: InvalidClientError,
    fields: { code: 'invalid_client', status: 401, error: 'invalid_client', errorDescription: null },
  },
  {
    name: 'exchange: 400 unsupported_grant_type',
    call: exchange,
    route: `POST ${TOKEN}`,
    respond: () => createJsonResponse(400, { error: 'unsupported_grant_type' }),
    expected: ConnectOAuthError,
    fields: { code: 'oauth_error', error: 'unsupported_grant_type' },
  },
  {
    name: 'exchange: 403 query_params_forbidden',
    call: exchange,
    route: `POST ${TOKEN}`,
    respond: () => createJsonResponse(403, { error: 'query_params_forbidden' }),
    expected: ConnectOAuthError,
    fields: { code: 'oauth_error', status: 403, error: 'query_params_forbidden' },
  },
  {
    name: 'exchange: 503',
    call: exchange,
    route: `POST ${TOKEN}`,
    respond: () => new Response(null, { status: 503 }),
    expected: ConnectUnavailableError,
    fields: { code: 'unavailable', status: 503 },
  },
  {
    name: 'revoke: 403 unauthorized_client',
    call: (client) => client.revokeToken(SECRETS.revokedToken),
    route: `POST ${REVOKE}`,
    respond: () =>
      createJsonResponse(403, { error: 'unauthorized_client', error_description: 'not the issuing app' }),
    expected: ConnectOAuthError,
    fields: { code: 'oauth_error', status: 403, error: 'unauthorized_client' },
  },
  {
    name: 'status: an unknown status without a body',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => new Response(null, { status: 418 }),
    expected: UnexpectedResponseError,
    fields: { code: 'unexpected_response', status: 418 },
  },
  {
    name: 'status: 400 with an HTML body',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => new Response('<html>Bad Request</html>', { status: 400 }),
    expected: UnexpectedResponseError,
    fields: { code: 'unexpected_response', status: 400 },
  },
  {
    name: 'status: a redirect (never followed)',
    call: getStatus,
    route: `GET ${STATUS}`,
    respond: () => new Response(null, { status: 302, headers: { Location: 'https://elsewhere.test/' } }),
    expected: UnexpectedResponseError,
    fields: { code: 'unexpected_response', status: 302 },
  },
];

describe('error mapping', () => {
  it.each(mappingCases)('$name', async ({ call, route, respond, expected, fields }) => {
    const { client } = createTestClient(createFakeConnect({ [route]: respond }), {
      retry: { maxAttempts: 1 },
    });
    const error = await captureRejection(call(client));
    expect(error).toBeInstanceOf(expected);
    expect(error).toBeInstanceOf(ConnectError);
    // The most specific class, not merely a subclass of the expected one.
    expect(Object.getPrototypeOf(error)).toBe(expected.prototype);
    expect(error).toMatchObject(fields);
  });

  it("keeps a token endpoint's body out of the message: error value and status only", async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(400, { error: 'invalid_grant', error_description: 'Grant expired at 12:00' }),
      }),
    );
    const error = await captureRejection(exchange(client));
    expect((error as Error).message).toBe(
      'Connect token endpoint answered 400 with OAuth error "invalid_grant"',
    );
    expect(error).toMatchObject({ errorDescription: 'Grant expired at 12:00' });
  });

  it('keeps secrets the server echoes out of errors', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(400, {
            error: 'invalid_grant',
            error_description: `code ${SECRETS.code} with verifier ${SECRETS.codeVerifier} for ${SECRETS.clientSecret}`,
          }),
        [`POST ${STATUS}`]: () =>
          createJsonResponse(
            400,
            apiBody(`Linking token is invalid: ${SECRETS.linkingToken}`, 'linking_token'),
          ),
      }),
    );
    const grant = await captureRejection(exchange(client));
    expect(grant).toBeInstanceOf(InvalidGrantError);
    expect((grant as InvalidGrantError).errorDescription).toBe(
      'code [redacted] with verifier [redacted] for [redacted]',
    );
    const linkClient = createTestClient(
      createFakeConnect({
        [`POST ${STATUS}`]: () =>
          createJsonResponse(
            400,
            apiBody(
              `Linking token is invalid: ${SECRETS.linkingToken} (${SECRETS.fulfillmentToken})`,
              'linking_token',
            ),
          ),
      }),
    ).client;
    const linkError = await captureRejection(link(linkClient));
    expect(linkError).toBeInstanceOf(InvalidLinkingTokenError);
    expect((linkError as Error).message).toBe('Linking token is invalid: [redacted] ([redacted])');
  });
});

describe('response validation', () => {
  const cases: Array<[string, string, () => Response, (client: ConnectClient) => Promise<unknown>]> = [
    [
      'a token that is not JSON',
      `POST ${TOKEN}`,
      () => new Response('access_token=x', { status: 200 }),
      exchange,
    ],
    [
      'a token without access_token',
      `POST ${TOKEN}`,
      () => createJsonResponse(200, { token_type: 'Bearer', expires_in: 1 }),
      exchange,
    ],
    [
      'a token of another type',
      `POST ${TOKEN}`,
      () =>
        createJsonResponse(200, {
          access_token: SECRETS.linkingToken,
          token_type: 'mac',
          expires_in: 1,
          created_at: 1,
        }),
      exchange,
    ],
    [
      'a token with a string expires_in',
      `POST ${TOKEN}`,
      () =>
        createJsonResponse(200, {
          access_token: SECRETS.linkingToken,
          token_type: 'Bearer',
          expires_in: 'soon',
        }),
      exchange,
    ],
    [
      'a fulfillment token without expires_in',
      `POST ${TOKEN}`,
      () => createJsonResponse(200, { access_token: SECRETS.fulfillmentToken, token_type: 'Bearer' }),
      (client) => client.getFulfillmentToken(),
    ],
    [
      'a status without instacartplus_member',
      `GET ${STATUS}`,
      () => createJsonResponse(200, { express_member: true }),
      getStatus,
    ],
    [
      'a status with a string member flag',
      `GET ${STATUS}`,
      () => createJsonResponse(200, { instacartplus_member: 'true' }),
      getStatus,
    ],
    [
      'a status with an unreadable expired_at',
      `GET ${STATUS}`,
      () => createJsonResponse(200, { instacartplus_member: true, expired_at: 'next year' }),
      getStatus,
    ],
    ['a status that is an array', `GET ${STATUS}`, () => createJsonResponse(200, [true]), getStatus],
    ['a link answer that is not JSON', `POST ${STATUS}`, () => new Response('OK', { status: 200 }), link],
    [
      'a created user without user_id',
      `POST ${USERS}`,
      () => createJsonResponse(200, { first_name: 'Alex' }),
      createUser,
    ],
    [
      'a sandbox user with a string id',
      `POST ${SANDBOX_USERS}`,
      () => createJsonResponse(200, { id: '42' }),
      (client) =>
        client.sandbox.createInstacartUser({
          email: 'a@b.test',
          password: SECRETS.password,
          instacartplusMember: true,
        }),
    ],
    [
      'a revocation answer that is not JSON',
      `POST ${REVOKE}`,
      () => new Response('done', { status: 200 }),
      (client) => client.revokeToken(SECRETS.revokedToken),
    ],
  ];

  it.each(cases)(
    'refuses %s with UnexpectedResponseError, keeping the status and no body',
    async (_, route, respond, call) => {
      const { client } = createTestClient(createFakeConnect({ [route]: respond }));
      const error = await captureRejection(call(client));
      expect(error).toBeInstanceOf(UnexpectedResponseError);
      expect(error).toMatchObject({ code: 'unexpected_response', status: 200 });
      expect((error as Error).message).not.toMatch(/access_token=|next year|soon|done|OK$/);
    },
  );

  it('names the fields that failed, not their values', async () => {
    const { client } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () => createJsonResponse(200, { instacartplus_member: 'yes-secretish-value' }),
      }),
    );
    const error = await captureRejection(getStatus(client));
    expect((error as Error).message).toContain('instacartplus_member');
    expect((error as Error).message).not.toContain('yes-secretish-value');
  });

  it('does not retry a response that fails validation', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`GET ${STATUS}`]: () => createJsonResponse(200, {}) }),
    );
    await captureRejection(getStatus(client));
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
  });
});

describe('401 from a fulfillment call', () => {
  it('is ConnectUnauthorizedError, never an OAuth error, even with an OAuth-looking body', async () => {
    const { client } = createTestClient(
      createFakeConnect({ [`GET ${STATUS}`]: () => createJsonResponse(401, { error: 'invalid_token' }) }),
    );
    const error = await captureRejection(getStatus(client));
    expect(Object.getPrototypeOf(error)).toBe(ConnectUnauthorizedError.prototype);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('createConnectClient options', () => {
  const base: ConnectClientOptions = {
    baseUrl: 'https://connect.test',
    clientId: CLIENT_ID,
    clientSecret: SECRETS.clientSecret,
    fetch: createFakeFetch(() => createJsonResponse(500, {})).fetch,
  };

  it.each<[string, Partial<ConnectClientOptions>, RegExp]>([
    ['a relative base URL', { baseUrl: '/connect' }, /^baseUrl must be an absolute URL$/],
    ['a non-http base URL', { baseUrl: 'ftp://connect.test' }, /^baseUrl must be an http or https URL$/],
    [
      'a base URL with a query',
      { baseUrl: `https://connect.test/?k=${SECRETS.clientSecret}` },
      /^baseUrl must not/,
    ],
    ['an empty client id', { clientId: '' }, /^clientId must/],
    ['an empty client secret', { clientSecret: '' }, /^clientSecret must/],
    ['a zero timeout', { timeoutMs: 0 }, /^timeoutMs must/],
    ['zero attempts', { retry: { maxAttempts: 0 } }, /^retry\.maxAttempts must/],
    ['fractional attempts', { retry: { maxAttempts: 1.5 } }, /^retry\.maxAttempts must be an integer$/],
    ['a negative delay', { retry: { baseDelayMs: -1 } }, /^retry\.baseDelayMs must/],
    ['a negative refresh margin', { tokenRefreshMarginSeconds: -5 }, /^tokenRefreshMarginSeconds must/],
    ['an unknown language', { acceptLanguage: 'de-DE' as 'en-US' }, /^acceptLanguage must be one of/],
    ['an empty retailer id', { retailerId: '' }, /^retailerId must/],
  ])('refuses %s with one line naming the option', (_, override, message) => {
    let thrown: unknown;
    try {
      createConnectClient({ ...base, ...override });
    } catch (error) {
      thrown = error;
      producedErrors.push(error);
    }
    expect(thrown).toBeInstanceOf(ConnectConfigurationError);
    expect(thrown).toMatchObject({ code: 'invalid_configuration' });
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
    expect((thrown as Error).message).not.toContain(SECRETS.clientSecret);
  });

  it('uses globalThis.fetch when none is given', async () => {
    const fake = createFakeFetch(() => createJsonResponse(200, createTokenBody()));
    const original = globalThis.fetch;
    globalThis.fetch = fake.fetch;
    try {
      const client = createConnectClient({
        baseUrl: 'https://connect.test',
        clientId: CLIENT_ID,
        clientSecret: 'x',
      });
      await expect(client.getFulfillmentToken()).resolves.toBe(SECRETS.fulfillmentToken);
      expect(fake.requests).toHaveLength(1);
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('two credential sets (a rotation)', () => {
  /** The token each set's grant issues: the current set's and the next set's differ. */
  const TOKEN_OF: Record<string, string> = {
    [CLIENT_ID]: SECRETS.fulfillmentToken,
    [NEXT_CLIENT_ID]: SECRETS.fulfillmentToken2,
  };
  const SECRET_OF: Record<string, string> = {
    [CLIENT_ID]: SECRETS.clientSecret,
    [NEXT_CLIENT_ID]: SECRETS.nextClientSecret,
  };

  /**
   * A Connect whose token endpoint accepts the sets in `accepted` (by client id, secret checked) and
   * answers `401 invalid_client` to the others, and whose status endpoint accepts every fulfillment
   * token it issued and did not revoke. Each token is new, and starts with its set's secret-looking
   * prefix (so the leak check finds it).
   */
  function createRotation(options: { accepted: string[] }) {
    const accepted = new Set(options.accepted);
    const clock = { now: NOW };
    const changes: CredentialsChangeEvent[] = [];
    /** Every fulfillment token issued, to the client id it was issued to. */
    const issued = new Map<string, string>();
    const revoked = new Set<string>();
    const handler = (request: RecordedRequest) => {
      if (request.path === TOKEN) {
        const body = request.body as Record<string, string>;
        const clientId = body.client_id ?? '';
        if (!accepted.has(clientId) || SECRET_OF[clientId] !== body.client_secret) {
          return createJsonResponse(401, {
            error: 'invalid_client',
            error_description: 'Client authentication failed',
          });
        }
        if (body.grant_type !== 'client_credentials') {
          return createJsonResponse(200, createTokenBody(SECRETS.linkingToken));
        }
        const token = `${TOKEN_OF[clientId]}_${issued.size + 1}`;
        issued.set(token, clientId);
        return createJsonResponse(200, createTokenBody(token));
      }
      if (request.path === REVOKE) return createJsonResponse(200, {});
      const bearer = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
      if (request.path === STATUS && issued.has(bearer) && !revoked.has(bearer)) {
        return createJsonResponse(200, { instacartplus_member: true });
      }
      return createJsonResponse(401, { error: { message: 'Unauthorized', code: null } });
    };
    const test = createTestClient(handler, {
      nextCredentials: { clientId: NEXT_CLIENT_ID, clientSecret: SECRETS.nextClientSecret },
      onCredentialsChange: (event) => changes.push(event),
      now: () => clock.now,
    });
    /** The client id of each token request, in order. */
    const tokenRequests = () =>
      test.fake.requestsTo(TOKEN).map((request) => (request.body as Record<string, string>).client_id);
    /** The client id whose token each status call carried, in order. */
    const bearers = () =>
      test.fake
        .requestsTo(STATUS)
        .map((request) => issued.get(request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''));
    return { ...test, accepted, clock, changes, issued, revoked, tokenRequests, bearers };
  }

  it('with one set asks for tokens, exchanges and revokes with it alone, as without rotation', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${REVOKE}`]: () => createJsonResponse(200, {}) }),
    );
    expect(client.listClientIds()).toEqual([CLIENT_ID]);
    expect(client.credentialsInUse()).toBe(CLIENT_ID);
    await client.getFulfillmentToken();
    await client.revokeToken(SECRETS.revokedToken, { clientId: CLIENT_ID });
    expect(fake.requests.map((request) => request.body)).toEqual([
      {
        client_id: CLIENT_ID,
        client_secret: SECRETS.clientSecret,
        grant_type: 'client_credentials',
        scope: 'connect:fulfillment',
      },
      { client_id: CLIENT_ID, client_secret: SECRETS.clientSecret, token: SECRETS.revokedToken },
    ]);
    expect(client.credentialsInUse()).toBe(CLIENT_ID);
  });

  it('takes its tokens from the next set when Connect accepts it, and tells that move once', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID, NEXT_CLIENT_ID] });
    expect(rotation.client.listClientIds()).toEqual([CLIENT_ID, NEXT_CLIENT_ID]);
    // Until Connect has accepted the next set, the current one is in use.
    expect(rotation.client.credentialsInUse()).toBe(CLIENT_ID);
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID]);
    expect(rotation.bearers()).toEqual([NEXT_CLIENT_ID]);
    expect(rotation.client.credentialsInUse()).toBe(NEXT_CLIENT_ID);
    expect(rotation.changes).toEqual([
      { clientId: NEXT_CLIENT_ID, previousClientId: CLIENT_ID, reason: 'next-accepted' },
    ]);
    // The next token comes from the next set again: no change, nothing told.
    rotation.clock.now += 86_400_000;
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, NEXT_CLIENT_ID]);
    expect(rotation.changes).toHaveLength(1);
  });

  it('falls back to the current set on invalid_client within the same call, which changes nothing', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID] });
    await expect(rotation.client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, CLIENT_ID]);
    expect(rotation.bearers()).toEqual([CLIENT_ID]);
    expect(rotation.client.credentialsInUse()).toBe(CLIENT_ID);
    // The current set was in use and still is: nothing to tell.
    expect(rotation.changes).toEqual([]);
    // The refused request is one refresh with its fallback: the events say which attempt was which.
    const tokenEvents = rotation.events.filter((event) => event.operation === 'token.client_credentials');
    expect(tokenEvents.map((event) => [event.status, event.errorCode, event.fallback])).toEqual([
      [401, 'invalid_client', undefined],
      [200, undefined, true],
    ]);

    // The token is cached: no more token requests while it lives.
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.tokenRequests()).toHaveLength(2);

    // Its replacement is asked of the next set again, refused again, and the set in use did not change.
    rotation.clock.now += 86_400_000;
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, CLIENT_ID, NEXT_CLIENT_ID, CLIENT_ID]);
    expect(rotation.changes).toEqual([]);
  });

  it('moves to the next set at the next new token once Connect accepts it, and tells that once', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID] });
    await rotation.client.getLinkStatus('u-1');
    rotation.accepted.add(NEXT_CLIENT_ID);
    // Still the current set's token until it is due for replacement.
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.client.credentialsInUse()).toBe(CLIENT_ID);
    rotation.clock.now += 86_400_000;
    await rotation.client.getLinkStatus('u-1');
    await rotation.client.getLinkStatus('u-1');
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, CLIENT_ID, NEXT_CLIENT_ID]);
    expect(rotation.bearers()).toEqual([CLIENT_ID, CLIENT_ID, NEXT_CLIENT_ID, NEXT_CLIENT_ID]);
    expect(rotation.client.credentialsInUse()).toBe(NEXT_CLIENT_ID);
    expect(rotation.changes).toEqual([
      { clientId: NEXT_CLIENT_ID, previousClientId: CLIENT_ID, reason: 'next-accepted' },
    ]);
  });

  it('shares one refresh and its fallback among concurrent callers', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID] });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => rotation.client.getFulfillmentToken()));
    expect(new Set(tokens.map((token) => rotation.issued.get(token)))).toEqual(new Set([CLIENT_ID]));
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, CLIENT_ID]);
  });

  it('tells one change for concurrent callers of the first token from the next set', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID, NEXT_CLIENT_ID] });
    await Promise.all(Array.from({ length: 50 }, () => rotation.client.getLinkStatus('u-1')));
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID]);
    expect(rotation.changes).toHaveLength(1);
  });

  it('does not fall back when the next set fails for another reason than its credentials', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${TOKEN}`]: () => createJsonResponse(503, {}) }),
      { nextCredentials: { clientId: NEXT_CLIENT_ID, clientSecret: SECRETS.nextClientSecret } },
    );
    const error = await captureRejection(client.getFulfillmentToken());
    expect(error).toBeInstanceOf(ConnectUnavailableError);
    // Three attempts (the retries of one request), all with the next set: Connect is down for both.
    expect(
      fake.requestsTo(TOKEN).map((request) => (request.body as Record<string, string>).client_id),
    ).toEqual([NEXT_CLIENT_ID, NEXT_CLIENT_ID, NEXT_CLIENT_ID]);
    expect(client.credentialsInUse()).toBe(CLIENT_ID);
  });

  it('fails with the current set’s InvalidClientError when both sets are refused', async () => {
    const rotation = createRotation({ accepted: [] });
    const error = await captureRejection(rotation.client.getFulfillmentToken());
    expect(error).toBeInstanceOf(InvalidClientError);
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, CLIENT_ID]);
    expect(rotation.changes).toEqual([]);
  });

  it('asks the next set again when a fulfillment call finds its token dead (401)', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID, NEXT_CLIENT_ID] });
    await rotation.client.getLinkStatus('u-1');
    for (const token of rotation.issued.keys()) rotation.revoked.add(token);
    await expect(rotation.client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
    expect(rotation.tokenRequests()).toEqual([NEXT_CLIENT_ID, NEXT_CLIENT_ID]);
    expect(rotation.bearers()).toEqual([NEXT_CLIENT_ID, NEXT_CLIENT_ID, NEXT_CLIENT_ID]);

    // And when the next set is refused by then, the retry's token comes from the current set.
    for (const token of rotation.issued.keys()) rotation.revoked.add(token);
    rotation.accepted.delete(NEXT_CLIENT_ID);
    await expect(rotation.client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
    expect(rotation.tokenRequests().slice(2)).toEqual([NEXT_CLIENT_ID, CLIENT_ID]);
    // On the next set, then back on the current one: each move told once.
    expect(rotation.changes).toEqual([
      { clientId: NEXT_CLIENT_ID, previousClientId: CLIENT_ID, reason: 'next-accepted' },
      { clientId: CLIENT_ID, previousClientId: NEXT_CLIENT_ID, reason: 'next-refused' },
    ]);
  });

  it('moves even when the change listener throws, and the call still succeeds', async () => {
    let told = 0;
    const { client } = createTestClient(createFakeConnect({}), {
      nextCredentials: { clientId: NEXT_CLIENT_ID, clientSecret: SECRETS.nextClientSecret },
      onCredentialsChange: () => {
        told++;
        throw new Error('listener broke');
      },
    });
    await expect(client.getFulfillmentToken()).resolves.toBe(SECRETS.fulfillmentToken);
    expect(told).toBe(1);
    expect(client.credentialsInUse()).toBe(NEXT_CLIENT_ID);
  });

  it('exchanges a code and revokes a token with the credentials of the client id named', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID, NEXT_CLIENT_ID] });
    for (const clientId of [CLIENT_ID, NEXT_CLIENT_ID]) {
      await rotation.client.exchangeAuthorizationCode({
        code: SECRETS.code,
        redirectUri: 'https://shop.test/cb',
        clientId,
      });
      await rotation.client.revokeToken(SECRETS.revokedToken, { clientId });
    }
    // Without a client id: the current set, as with one set.
    await rotation.client.exchangeAuthorizationCode({
      code: SECRETS.code,
      redirectUri: 'https://shop.test/cb',
    });
    await rotation.client.revokeToken(SECRETS.revokedToken);
    const credentials = rotation.fake.requests.map((request) => {
      const body = request.body as Record<string, string>;
      return [request.path, body.client_id, body.client_secret === SECRET_OF[body.client_id ?? '']];
    });
    expect(credentials).toEqual([
      [TOKEN, CLIENT_ID, true],
      [REVOKE, CLIENT_ID, true],
      [TOKEN, NEXT_CLIENT_ID, true],
      [REVOKE, NEXT_CLIENT_ID, true],
      [TOKEN, CLIENT_ID, true],
      [REVOKE, CLIENT_ID, true],
    ]);
    // Exchanging and revoking get no fulfillment token and change nothing in use.
    expect(rotation.changes).toEqual([]);
  });

  it('refuses a client id it has no credentials for, before any request', async () => {
    const rotation = createRotation({ accepted: [CLIENT_ID, NEXT_CLIENT_ID] });
    await expect(
      rotation.client.exchangeAuthorizationCode({
        code: SECRETS.code,
        redirectUri: 'https://shop.test/cb',
        clientId: 'someone-else',
      }),
    ).rejects.toThrow(TypeError);
    await expect(
      rotation.client.revokeToken(SECRETS.revokedToken, { clientId: 'someone-else' }),
    ).rejects.toThrow(/"someone-else" is not one of this client's credential sets/);
    expect(rotation.fake.requests).toEqual([]);
  });

  it.each<[string, ConnectClientOptions['nextCredentials'], RegExp]>([
    [
      'an empty next client id',
      { clientId: '', clientSecret: SECRETS.nextClientSecret },
      /^nextCredentials\.clientId must/,
    ],
    [
      'an empty next secret',
      { clientId: NEXT_CLIENT_ID, clientSecret: '' },
      /^nextCredentials\.clientSecret must/,
    ],
    [
      'a next client id equal to the current one',
      { clientId: CLIENT_ID, clientSecret: SECRETS.nextClientSecret },
      /^nextCredentials\.clientId must differ from clientId$/,
    ],
  ])('refuses %s with one line naming the option', (_, nextCredentials, message) => {
    let thrown: unknown;
    try {
      createTestClient(() => createJsonResponse(500, {}), { nextCredentials });
    } catch (error) {
      thrown = error;
      producedErrors.push(error);
    }
    expect(thrown).toBeInstanceOf(ConnectConfigurationError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain(SECRETS.nextClientSecret);
  });

  it('keeps the next secret out of errors Connect echoes it in', async () => {
    const { client } = createTestClient(
      () =>
        createJsonResponse(401, {
          error: 'invalid_client',
          error_description: `bad secret ${SECRETS.nextClientSecret} and ${SECRETS.clientSecret}`,
        }),
      { nextCredentials: { clientId: NEXT_CLIENT_ID, clientSecret: SECRETS.nextClientSecret } },
    );
    const error = await captureRejection(client.getFulfillmentToken());
    expect(JSON.stringify(error)).not.toContain(SECRETS.nextClientSecret);
    expect((error as InvalidClientError).errorDescription).toContain('bad secret');
  });
});

describe('secrets', () => {
  // Last in the file on purpose: it reads every error and event the tests above produced.
  it('never appear in an error message, string, stack, JSON or event produced above', () => {
    expect(producedErrors.length).toBeGreaterThan(55);
    expect(producedEvents.length).toBeGreaterThan(50);
    expect(findSecretLeaks()).toEqual([]);
  });

  it('are found by the leak check when they do appear', () => {
    const leaky = new UnexpectedResponseError(`body was ${SECRETS.code}`, 200);
    expect(findSecretLeaks([leaky], [{ path: `/x/${SECRETS.linkingToken}` }])).toEqual([
      'code',
      'linkingToken',
    ]);
  });
});
