import { describe, expect, it } from 'vitest';
import {
  ConnectNetworkError,
  ConnectTimeoutError,
  ConnectUnavailableError,
  InvalidGrantError,
  RateLimitedError,
  UserNotFoundError,
} from './errors.js';
import {
  captureRejection,
  createFakeConnect,
  createJsonResponse,
  createTestClient,
  findSecretLeaks,
  NOW,
  producedErrors,
  producedEvents,
  REVOKE,
  SANDBOX_USERS,
  SECRETS,
  STATUS,
  TOKEN,
  USERS,
  waitForAbort,
} from './test-support.js';
import type { ConnectClient } from './types.js';

/** Answers with each response in turn, then keeps answering with the last one. */
function respondInTurn(...responses: Array<() => Response>) {
  let index = 0;
  return () => {
    const respond = responses[Math.min(index, responses.length - 1)]!;
    index++;
    return respond();
  };
}

const networkFailure = () => {
  throw new TypeError('fetch failed');
};
const unavailable =
  (status = 503) =>
  () =>
    new Response(null, { status });
const statusOk = () => createJsonResponse(200, { instacartplus_member: true });

describe('retries', () => {
  it('retries link status after 5xx with full-jitter backoff, then succeeds', async () => {
    const { client, fake, sleeps } = createTestClient(
      createFakeConnect({ [`GET ${STATUS}`]: respondInTurn(unavailable(503), unavailable(500), statusOk) }),
      { retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 } },
    );
    await expect(client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
    expect(fake.requestsTo(STATUS)).toHaveLength(3);
    // random() = 0.5: half of 100 ms, then half of 200 ms.
    expect(sleeps).toEqual([50, 100]);
  });

  it.each([408, 429, 500, 502, 503, 504])('retries link status after %i', async (status) => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`GET ${STATUS}`]: respondInTurn(unavailable(status), statusOk) }),
    );
    await client.getLinkStatus('u-1');
    expect(fake.requestsTo(STATUS)).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { client, fake, sleeps } = createTestClient(
      createFakeConnect({ [`GET ${STATUS}`]: unavailable(502) }),
      {
        retry: { maxAttempts: 4 },
      },
    );
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toBeInstanceOf(ConnectUnavailableError);
    expect(error).toMatchObject({ status: 502 });
    expect(fake.requestsTo(STATUS)).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('retries a network error and keeps its cause when attempts run out', async () => {
    const { client, fake } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: networkFailure }));
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toBeInstanceOf(ConnectNetworkError);
    expect((error as ConnectNetworkError).cause).toBeInstanceOf(TypeError);
    expect(fake.requestsTo(STATUS)).toHaveLength(3);
  });

  it('retries linkUser on 5xx and network errors, resending the same linking token', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${STATUS}`]: respondInTurn(unavailable(500), networkFailure, () =>
          createJsonResponse(200, { success: true }),
        ),
      }),
    );
    await client.linkUser('u-1', SECRETS.linkingToken);
    const attempts = fake.requestsTo(STATUS);
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) expect(attempt.body).toEqual({ linking_token: SECRETS.linkingToken });
  });

  it('retries the client-credentials grant', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: respondInTurn(unavailable(503), () =>
          createJsonResponse(200, {
            access_token: SECRETS.fulfillmentToken,
            token_type: 'Bearer',
            expires_in: 60,
          }),
        ),
      }),
    );
    await expect(client.getFulfillmentToken()).resolves.toBe(SECRETS.fulfillmentToken);
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
  });

  it('does not retry a 4xx answer of a retryable call', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () =>
          createJsonResponse(400, { error: { message: 'User Not Found', code: 1001 } }),
      }),
    );
    expect(await captureRejection(client.getLinkStatus('u-1'))).toBeInstanceOf(UserNotFoundError);
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
  });

  const neverRetried: Array<[string, string, (client: ConnectClient) => Promise<unknown>]> = [
    [
      'exchangeAuthorizationCode',
      `POST ${TOKEN}`,
      (client) =>
        client.exchangeAuthorizationCode({ code: SECRETS.code, redirectUri: 'https://shop.test/cb' }),
    ],
    ['createUser', `POST ${USERS}`, (client) => client.createUser({ userId: 'u-1', firstName: 'Alex' })],
    ['revokeToken', `POST ${REVOKE}`, (client) => client.revokeToken(SECRETS.revokedToken)],
    [
      'sandbox.createInstacartUser',
      `POST ${SANDBOX_USERS}`,
      (client) =>
        client.sandbox.createInstacartUser({
          email: 'a@b.test',
          password: SECRETS.password,
          instacartplusMember: true,
        }),
    ],
    [
      'sandbox.authorize',
      `POST ${SANDBOX_USERS}/1/authorize`,
      (client) => client.sandbox.authorize(1, { redirectUri: 'https://shop.test/cb' }),
    ],
  ];

  describe.each(neverRetried)('%s', (_, route, call) => {
    it.each<[string, () => Response, abstract new (...args: never[]) => Error]>([
      ['503', unavailable(503), ConnectUnavailableError],
      ['429', () => new Response(null, { status: 429, headers: { 'Retry-After': '0' } }), RateLimitedError],
      ['a network error', networkFailure, ConnectNetworkError],
    ])('is never retried, even after %s', async (_, respond, expected) => {
      const { client, fake, sleeps } = createTestClient(createFakeConnect({ [route]: respond }), {
        retry: { maxAttempts: 5 },
      });
      expect(await captureRejection(call(client))).toBeInstanceOf(expected);
      const [method, path] = route.split(' ');
      expect(
        fake.requests.filter((request) => request.method === method && request.path === path),
      ).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('is never retried after a timeout', async () => {
      const { client, fake } = createTestClient(
        (request) =>
          `${request.method} ${request.path}` === route
            ? waitForAbort(request.signal)
            : createFakeConnect({})(request),
        { timeoutMs: 20, retry: { maxAttempts: 5 } },
      );
      expect(await captureRejection(call(client))).toBeInstanceOf(ConnectTimeoutError);
      const [method, path] = route.split(' ');
      expect(
        fake.requests.filter((request) => request.method === method && request.path === path),
      ).toHaveLength(1);
    });
  });

  it('never retries an invalid_grant', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${TOKEN}`]: () => createJsonResponse(400, { error: 'invalid_grant' }) }),
    );
    const error = await captureRejection(
      client.exchangeAuthorizationCode({ code: SECRETS.code, redirectUri: 'https://shop.test/cb' }),
    );
    expect(error).toBeInstanceOf(InvalidGrantError);
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('waits the seconds a 429 asks for instead of the backoff', async () => {
    const { client, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: respondInTurn(
          () => new Response(null, { status: 429, headers: { 'Retry-After': '2' } }),
          statusOk,
        ),
      }),
    );
    await client.getLinkStatus('u-1');
    expect(sleeps).toEqual([2_000]);
  });

  it('reads an HTTP-date on a 503 against the injected clock', async () => {
    const at = new Date(NOW + 3_000).toUTCString();
    const { client, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: respondInTurn(
          () => new Response(null, { status: 503, headers: { 'Retry-After': at } }),
          statusOk,
        ),
      }),
    );
    await client.getLinkStatus('u-1');
    expect(sleeps).toEqual([3_000]);
  });

  it('is ignored on a 500 (only 429 and 503 carry it)', async () => {
    const { client, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: respondInTurn(
          () => new Response(null, { status: 500, headers: { 'Retry-After': '9' } }),
          statusOk,
        ),
      }),
    );
    await client.getLinkStatus('u-1');
    expect(sleeps).toEqual([50]);
  });

  it('beyond the cap ends the retries at once with RateLimitedError carrying it', async () => {
    const { client, fake, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () => new Response(null, { status: 429, headers: { 'Retry-After': '60' } }),
      }),
    );
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 60, status: 429 });
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('beyond the cap on a 503 gives ConnectUnavailableError carrying it', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${STATUS}`]: () => new Response(null, { status: 503, headers: { 'Retry-After': '120' } }),
      }),
    );
    const error = await captureRejection(client.linkUser('u-1', SECRETS.linkingToken));
    expect(error).toBeInstanceOf(ConnectUnavailableError);
    expect(error).toMatchObject({ retryAfterSeconds: 120 });
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
  });

  it('up to the cap (5 x maxDelayMs) is still honoured', async () => {
    const { client, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: respondInTurn(
          () => new Response(null, { status: 429, headers: { 'Retry-After': '10' } }),
          statusOk,
        ),
      }),
      { retry: { maxDelayMs: 2_000 } },
    );
    await client.getLinkStatus('u-1');
    expect(sleeps).toEqual([10_000]);
  });

  it('is reported by the last RateLimitedError when attempts run out', async () => {
    const { client, sleeps } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: () => new Response(null, { status: 429, headers: { 'Retry-After': '1' } }),
      }),
    );
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1 });
    expect(sleeps).toEqual([1_000, 1_000]);
  });
});

describe('jitter', () => {
  it.each([
    [0, [0, 0, 0]],
    [0.999_999, [99, 199, 399]],
  ])('with random() = %d the delays stay within [0, base * 2^n)', async (value, expected) => {
    const { client, sleeps } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: unavailable(503) }), {
      random: () => value,
      retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 },
    });
    await captureRejection(client.getLinkStatus('u-1'));
    expect(sleeps).toEqual(expected);
  });

  it('caps the exponential growth at maxDelayMs', async () => {
    const { client, sleeps } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: unavailable(503) }), {
      random: () => 0.999_999,
      retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 300 },
    });
    await captureRejection(client.getLinkStatus('u-1'));
    expect(sleeps).toEqual([99, 199, 299, 299, 299]);
  });
});

describe('timeouts', () => {
  it('aborts an attempt that never answers and retries, then throws ConnectTimeoutError', async () => {
    const { client, fake } = createTestClient(
      (request) => (request.path === STATUS ? waitForAbort(request.signal) : createFakeConnect({})(request)),
      { timeoutMs: 20, retry: { maxAttempts: 2 } },
    );
    const started = Date.now();
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeoutMs: 20 });
    const attempts = fake.requestsTo(STATUS);
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) expect(attempt.signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('keeps a retried call within its budget: later attempts get only the time that is left', async () => {
    const { client, fake } = createTestClient(
      (request) => (request.path === STATUS ? waitForAbort(request.signal) : createFakeConnect({})(request)),
      { timeoutMs: 100, random: () => 0, retry: { maxAttempts: 5, budgetMs: 150 } },
    );
    const error = await captureRejection(client.getLinkStatus('u-1'));
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    // The first attempt had its 100 ms; the second only the ~50 ms left; no third was started.
    expect(fake.requestsTo(STATUS)).toHaveLength(2);
    expect((error as ConnectTimeoutError).timeoutMs).toBeLessThanOrEqual(50);
  });

  it('does not wait for a retry that the budget cannot cover', async () => {
    const { client, fake, sleeps } = createTestClient(
      (request) =>
        request.path === STATUS
          ? createJsonResponse(503, { error: { message: 'Service Unavailable', code: null } })
          : createFakeConnect({})(request),
      { random: () => 0.99, retry: { maxAttempts: 3, baseDelayMs: 1_000, budgetMs: 500 } },
    );
    expect(await captureRejection(client.getLinkStatus('u-1'))).toBeInstanceOf(ConnectUnavailableError);
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('also ends a fetch that ignores its signal', async () => {
    const { client } = createTestClient(
      (request) =>
        request.path === STATUS ? new Promise<Response>(() => {}) : createFakeConnect({})(request),
      { timeoutMs: 20, retry: { maxAttempts: 1 } },
    );
    expect(await captureRejection(client.getLinkStatus('u-1'))).toBeInstanceOf(ConnectTimeoutError);
  });

  it('covers reading the body: headers then silence is a timeout', async () => {
    const stalledBody = () =>
      new Response(
        new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('{')) }),
        {
          status: 200,
        },
      );
    const { client } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: stalledBody }), {
      timeoutMs: 30,
      retry: { maxAttempts: 1 },
    });
    expect(await captureRejection(client.getLinkStatus('u-1'))).toBeInstanceOf(ConnectTimeoutError);
  });

  it("ends at once when the caller's signal aborts, with its reason and no retry", async () => {
    const controller = new AbortController();
    const { client, fake, sleeps } = createTestClient(
      (request) => {
        if (request.path !== STATUS) return createFakeConnect({})(request);
        setTimeout(() => controller.abort(new Error('shopper left')), 5);
        return waitForAbort(request.signal);
      },
      { timeoutMs: 5_000 },
    );
    const error = await captureRejection(client.getLinkStatus('u-1', { signal: controller.signal }));
    expect(error).toEqual(new Error('shopper left'));
    expect(error).not.toBeInstanceOf(ConnectTimeoutError);
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("stops waiting for a shared token request when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const { client, fake } = createTestClient(
      (request) => {
        if (request.path !== TOKEN) return statusOk();
        setTimeout(() => controller.abort(new Error('shopper left')), 5);
        return waitForAbort(request.signal);
      },
      // The shared token request itself ends by its own timeout, after the test.
      { timeoutMs: 100, retry: { maxAttempts: 1 } },
    );
    const error = await captureRejection(client.getLinkStatus('u-1', { signal: controller.signal }));
    expect(error).toEqual(new Error('shopper left'));
    expect(fake.requestsTo(STATUS)).toHaveLength(0);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { client, fake } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: statusOk }));
    await captureRejection(client.getLinkStatus('u-1', { signal: AbortSignal.abort() }));
    expect(fake.requestsTo(STATUS)).toHaveLength(0);
  });

  it("cuts a backoff short when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const { client, fake } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: unavailable(503) }), {
      sleep: () => {
        controller.abort(new Error('gone'));
        return new Promise<void>(() => {});
      },
    });
    const error = await captureRejection(client.getLinkStatus('u-1', { signal: controller.signal }));
    expect(error).toEqual(new Error('gone'));
    expect(fake.requestsTo(STATUS)).toHaveLength(1);
  });
});

describe('onRequest', () => {
  it('reports every attempt with method, path, route, status, attempt and error code', async () => {
    const { client, events } = createTestClient(
      createFakeConnect({
        'GET /v2/fulfillment/users/a%20b/link': respondInTurn(unavailable(503), statusOk),
      }),
    );
    await client.getLinkStatus('a b');
    expect(events.map(({ durationMs: _, ...rest }) => rest)).toEqual([
      {
        operation: 'token.client_credentials',
        method: 'POST',
        path: TOKEN,
        route: TOKEN,
        status: 200,
        attempt: 1,
      },
      {
        operation: 'link.get',
        method: 'GET',
        path: '/v2/fulfillment/users/a%20b/link',
        route: '/v2/fulfillment/users/{user_id}/link',
        status: 503,
        attempt: 1,
        errorCode: 'unavailable',
      },
      {
        operation: 'link.get',
        method: 'GET',
        path: '/v2/fulfillment/users/a%20b/link',
        route: '/v2/fulfillment/users/{user_id}/link',
        status: 200,
        attempt: 2,
      },
    ]);
    for (const event of events) {
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
      expect(Object.keys(event).sort()).toEqual(
        [
          'attempt',
          'durationMs',
          'method',
          'operation',
          'path',
          'route',
          'status',
          ...('errorCode' in event ? ['errorCode'] : []),
        ].sort(),
      );
    }
  });

  it('reports a network error and a timeout without a status', async () => {
    const { client, events } = createTestClient(
      (request) => {
        if (request.path === TOKEN) return createFakeConnect({})(request);
        if (request.method === 'GET') throw new TypeError('fetch failed');
        return waitForAbort(request.signal);
      },
      { retry: { maxAttempts: 1 }, timeoutMs: 10 },
    );
    await captureRejection(client.getLinkStatus('u-1'));
    await captureRejection(client.linkUser('u-1', SECRETS.linkingToken));
    expect(events.slice(1).map((event) => [event.status, event.errorCode])).toEqual([
      [undefined, 'network'],
      [undefined, 'timeout'],
    ]);
  });

  it('names the operation of every call, telling the two grants of the token endpoint apart', async () => {
    const { client, events } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: statusOk,
        [`POST ${STATUS}`]: () => createJsonResponse(200, { success: true }),
        [`POST ${USERS}`]: () =>
          createJsonResponse(200, { user_id: 'u-1', first_name: 'Ann', last_name: null }),
      }),
    );
    await client.getLinkStatus('u-1');
    await client.exchangeAuthorizationCode({ code: SECRETS.code, redirectUri: 'https://shop.test/cb' });
    await client.linkUser('u-1', SECRETS.linkingToken);
    await client.createUser({ userId: 'u-1', firstName: 'Ann' });
    expect(events.map((event) => event.operation)).toEqual([
      'token.client_credentials',
      'link.get',
      'token.authorization_code',
      'link.create',
      'user.create',
    ]);
  });

  it('does not let a throwing hook break the call', async () => {
    const { client } = createTestClient(createFakeConnect({ [`GET ${STATUS}`]: statusOk }), {
      onRequest: () => {
        throw new Error('metrics down');
      },
    });
    await expect(client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
  });
});

describe('secrets', () => {
  // Last in the file on purpose: it reads every error and event the tests above produced.
  it('never appear in an error message, string, stack, JSON or event produced above', () => {
    expect(producedErrors.length).toBeGreaterThan(30);
    expect(producedEvents.length).toBeGreaterThan(60);
    expect(findSecretLeaks()).toEqual([]);
  });
});
