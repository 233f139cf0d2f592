import { describe, expect, it } from 'vitest';
import { ConnectUnauthorizedError, InvalidClientError } from './errors.js';
import {
  captureRejection,
  createFakeConnect,
  createJsonResponse,
  createTestClient,
  createTokenBody,
  findSecretLeaks,
  NOW,
  producedErrors,
  SECRETS,
  STATUS,
  TOKEN,
} from './test-support.js';
import { createTokenCache, type IssuedToken } from './token-cache.js';

/** A controllable clock. */
function createClock(start = NOW) {
  let now = start;
  return {
    now: () => now,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

/** A token endpoint handing out `tok-1`, `tok-2`, ... with the given lifetime. */
function issueTokens(expiresIn = 3_600) {
  let issued = 0;
  return () => {
    issued++;
    return createJsonResponse(200, createTokenBody(`tok-${issued}`, { expires_in: expiresIn }));
  };
}

const statusOk = () => createJsonResponse(200, { instacartplus_member: true });

describe('fulfillment token cache (through the client)', () => {
  it('reuses one token for every call until it nears expiry', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`GET ${STATUS}`]: statusOk,
        [`POST ${STATUS}`]: () => createJsonResponse(200, { success: true }),
      }),
    );
    await client.getLinkStatus('u-1');
    await client.getLinkStatus('u-1');
    await client.linkUser('u-1', SECRETS.linkingToken);
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
    const bearers = fake.requestsTo(STATUS).map((request) => request.headers.get('authorization'));
    expect(new Set(bearers)).toEqual(new Set([`Bearer ${SECRETS.fulfillmentToken}`]));
  });

  it('refreshes tokenRefreshMarginSeconds before expiry, not earlier', async () => {
    const clock = createClock();
    const { client, fake } = createTestClient(createFakeConnect({ [`POST ${TOKEN}`]: issueTokens(3_600) }), {
      now: clock.now,
      tokenRefreshMarginSeconds: 300,
    });
    expect(await client.getFulfillmentToken()).toBe('tok-1');
    clock.advance(3_299);
    expect(await client.getFulfillmentToken()).toBe('tok-1');
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
    clock.advance(1);
    expect(await client.getFulfillmentToken()).toBe('tok-2');
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
  });

  it('counts the lifetime from the local clock, whatever created_at says', async () => {
    const clock = createClock();
    // A server clock a day behind: created_at + expires_in is already past locally.
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          createJsonResponse(
            200,
            createTokenBody(SECRETS.fulfillmentToken, { expires_in: 3_600, created_at: NOW / 1000 - 86_400 }),
          ),
      }),
      { now: clock.now },
    );
    await client.getFulfillmentToken();
    clock.advance(60);
    await client.getFulfillmentToken();
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
  });

  it('refreshes a token shorter-lived than the margin at half its lifetime instead of on every call', async () => {
    const clock = createClock();
    const { client, fake } = createTestClient(createFakeConnect({ [`POST ${TOKEN}`]: issueTokens(60) }), {
      now: clock.now,
      tokenRefreshMarginSeconds: 300,
    });
    await client.getFulfillmentToken();
    clock.advance(29);
    expect(await client.getFulfillmentToken()).toBe('tok-1');
    clock.advance(1);
    expect(await client.getFulfillmentToken()).toBe('tok-2');
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
  });

  it('makes exactly one token request for 1,000 concurrent first calls', async () => {
    const { client, fake } = createTestClient(createFakeConnect({ [`POST ${TOKEN}`]: issueTokens() }));
    const tokens = await Promise.all(Array.from({ length: 1_000 }, () => client.getFulfillmentToken()));
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
  });

  it('makes exactly one token request for 1,000 concurrent status calls', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${TOKEN}`]: issueTokens(), [`GET ${STATUS}`]: statusOk }),
    );
    await Promise.all(Array.from({ length: 1_000 }, () => client.getLinkStatus('u-1')));
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
    expect(fake.requestsTo(STATUS)).toHaveLength(1_000);
  });

  it('does not cache a failure: concurrent callers share it, the next call asks again', async () => {
    let fail = true;
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: () =>
          fail
            ? createJsonResponse(401, { error: 'invalid_client' })
            : createJsonResponse(200, createTokenBody('tok-ok')),
      }),
    );
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.getFulfillmentToken()));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    for (const result of results) {
      if (result.status === 'rejected') {
        producedErrors.push(result.reason);
        expect(result.reason).toBeInstanceOf(InvalidClientError);
      }
    }
    expect(fake.requestsTo(TOKEN)).toHaveLength(1);
    fail = false;
    expect(await client.getFulfillmentToken()).toBe('tok-ok');
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
  });

  it('keeps serving the previous token when a refresh inside the margin fails', async () => {
    const clock = createClock();
    let fail = false;
    const tokens = issueTokens(3_600);
    const { client, fake } = createTestClient(
      createFakeConnect({ [`POST ${TOKEN}`]: () => (fail ? new Response(null, { status: 503 }) : tokens()) }),
      { now: clock.now, retry: { maxAttempts: 1 } },
    );
    expect(await client.getFulfillmentToken()).toBe('tok-1');
    clock.advance(3_400);
    fail = true;
    expect(await client.getFulfillmentToken()).toBe('tok-1');
    // Past the real expiry there is nothing left to fall back on.
    clock.advance(200);
    await captureRejection(client.getFulfillmentToken());
    fail = false;
    expect(await client.getFulfillmentToken()).toBe('tok-2');
    expect(fake.requestsTo(TOKEN)).toHaveLength(4);
  });
});

describe('401 from a fulfillment call', () => {
  it('drops the token, fetches one new token and retries the call once', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: issueTokens(),
        [`GET ${STATUS}`]: (request) =>
          request.headers.get('authorization') === 'Bearer tok-1' ? createJsonResponse(401, {}) : statusOk(),
      }),
    );
    await expect(client.getLinkStatus('u-1')).resolves.toMatchObject({ instacartplusMember: true });
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
    expect(fake.requestsTo(STATUS).map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
    // The new token is cached for the next call.
    await client.getLinkStatus('u-1');
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
  });

  it('gives ConnectUnauthorizedError on a second 401, after exactly one refresh', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: issueTokens(),
        [`POST ${STATUS}`]: () => createJsonResponse(401, { error: { message: 'Unauthorized', code: null } }),
      }),
    );
    const error = await captureRejection(client.linkUser('u-1', SECRETS.linkingToken));
    expect(error).toBeInstanceOf(ConnectUnauthorizedError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
    expect(fake.requestsTo(STATUS)).toHaveLength(2);
  });

  it('refreshes once for many concurrent calls refused with the same token', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: issueTokens(),
        [`GET ${STATUS}`]: (request) =>
          request.headers.get('authorization') === 'Bearer tok-1' ? createJsonResponse(401, {}) : statusOk(),
      }),
    );
    await client.getFulfillmentToken();
    await Promise.all(Array.from({ length: 50 }, () => client.getLinkStatus('u-1')));
    expect(fake.requestsTo(TOKEN)).toHaveLength(2);
    expect(fake.requestsTo(STATUS)).toHaveLength(100);
  });

  it('also applies to a call that is never retried (createUser)', async () => {
    const { client, fake } = createTestClient(
      createFakeConnect({
        [`POST ${TOKEN}`]: issueTokens(),
        'POST /v2/fulfillment/users': (request) =>
          request.headers.get('authorization') === 'Bearer tok-1'
            ? createJsonResponse(401, {})
            : createJsonResponse(200, { user_id: 'u-1', first_name: 'Alex' }),
      }),
    );
    await expect(client.createUser({ userId: 'u-1', firstName: 'Alex' })).resolves.toMatchObject({
      userId: 'u-1',
    });
    expect(fake.requestsTo('/v2/fulfillment/users')).toHaveLength(2);
  });
});

describe('createTokenCache', () => {
  function createCache(fetchToken: () => Promise<IssuedToken>, clock = createClock()) {
    return createTokenCache({ fetchToken, now: clock.now, refreshMarginMs: 300_000 });
  }

  it('forgets a token on invalidate only if it is still the cached one', async () => {
    let issued = 0;
    const cache = createCache(async () => ({ accessToken: `t${++issued}`, expiresIn: 3_600 }));
    expect(await cache.get()).toBe('t1');
    cache.invalidate('something-else');
    expect(await cache.get()).toBe('t1');
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
    // A late 401 for t1 must not throw away t2.
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
    expect(issued).toBe(2);
  });

  it('survives a fetchToken that throws synchronously', async () => {
    let calls = 0;
    const cache = createCache((() => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.resolve({ accessToken: 'ok', expiresIn: 60 });
    }) as () => Promise<IssuedToken>);
    await expect(cache.get()).rejects.toThrow('boom');
    await expect(cache.get()).resolves.toBe('ok');
  });

  it('does not fall back to a token invalidated by a 401 when the refresh fails', async () => {
    let fail = false;
    const cache = createCache(async () => {
      if (fail) throw new Error('token endpoint down');
      return { accessToken: 'first', expiresIn: 3_600 };
    });
    await cache.get();
    cache.invalidate('first');
    fail = true;
    await expect(cache.get()).rejects.toThrow('token endpoint down');
  });
});

describe('secrets', () => {
  it('never appear in an error or event produced above', () => {
    expect(producedErrors.length).toBeGreaterThan(10);
    expect(findSecretLeaks()).toEqual([]);
  });
});
