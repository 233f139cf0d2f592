/**
 * The emulator as an authorization server, attacked from outside over HTTP as a client (or a thief
 * holding someone's code) would: code reuse, expiry, another client's code, another redirect URI,
 * PKCE, fulfillment-token expiry, parallel redemptions, and redirect-URI tricks at the authorization
 * endpoint. Only the emulator runs here: no storefront takes part in these attacks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startTestEmulator, type TestEmulator } from '@cartlink/emulator/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShopClient } from '../../testing/shop-client';
import { authorizePath, logInAtEmulator } from './harness';

let emulator: TestEmulator;
const SHOP = { clientId: 'cartlink-demo', secret: 'cartlink-demo-secret' };
const REGISTERED = 'http://localhost:3000/account/profile';
const OTHER = {
  clientId: 'other-shop',
  secret: 'other-shop-secret',
  redirectUri: 'http://localhost:3001/account/profile',
};
const TWO_URIS = {
  clientId: 'two-uris',
  secret: 'two-uris-secret',
  first: 'http://localhost:3002/account/profile',
  second: 'http://localhost:3002/account/profile-2',
};

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(method: string, path: string, body?: unknown, bearer?: string): Promise<Answer> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}

async function fulfillmentToken(client: { clientId: string; secret: string }): Promise<string> {
  const answer = await call('POST', '/v2/oauth/token', {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.secret,
    scope: 'connect:fulfillment',
  });
  expect(answer.status).toBe(200);
  return answer.json.access_token as string;
}

let shopToken: string;
let instacartUserId: number;

/** An authorization code from the sandbox authorize call (as if the account had pressed Allow). */
async function sandboxCode(
  options: { token?: string; redirectUri?: string; challenge?: string } = {},
): Promise<string> {
  const answer = await call(
    'POST',
    `/v2/fulfillment_sandbox/instacart_users/${instacartUserId}/authorize`,
    {
      redirect_uri: options.redirectUri ?? REGISTERED,
      scope: 'account_linking',
      ...(options.challenge ? { code_challenge: options.challenge, code_challenge_method: 'S256' } : {}),
    },
    options.token ?? shopToken,
  );
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  return answer.json.code as string;
}

function redeem(
  code: string,
  options: { client?: { clientId: string; secret: string }; redirectUri?: string; verifier?: string } = {},
): Promise<Answer> {
  const client = options.client ?? SHOP;
  return call('POST', '/v2/oauth/token', {
    grant_type: 'authorization_code',
    client_id: client.clientId,
    client_secret: client.secret,
    code,
    redirect_uri: options.redirectUri ?? REGISTERED,
    ...(options.verifier === undefined ? {} : { code_verifier: options.verifier }),
  });
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

let userCounter = 0;
async function newConnectUser(): Promise<string> {
  userCounter += 1;
  const userId = `oauth-attack-${userCounter}-${randomBytes(4).toString('hex')}`;
  const answer = await call(
    'POST',
    '/v2/fulfillment/users',
    { user_id: userId, first_name: 'Eve' },
    shopToken,
  );
  expect(answer.status).toBe(200);
  return userId;
}

function linkUser(userId: string, linkingToken: string): Promise<Answer> {
  return call(
    'POST',
    `/v2/fulfillment/users/${encodeURIComponent(userId)}/link`,
    { linking_token: linkingToken },
    shopToken,
  );
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  for (const app of [
    {
      client_id: OTHER.clientId,
      client_secret: OTHER.secret,
      name: 'Other Shop',
      redirect_uris: [OTHER.redirectUri],
    },
    {
      client_id: TWO_URIS.clientId,
      client_secret: TWO_URIS.secret,
      name: 'Two URIs',
      redirect_uris: [TWO_URIS.first, TWO_URIS.second],
    },
  ]) {
    // The admin client throws unless the emulator registered it.
    await emulator.admin.registerApp(app);
  }
  shopToken = await fulfillmentToken(SHOP);
  const created = await call(
    'POST',
    '/v2/fulfillment_sandbox/instacart_users',
    { email: 'oauth-attacks@instacart.test', password: 'instacart', instacartplus_member: true },
    shopToken,
  );
  instacartUserId = created.json.id as number;
});

afterEach(async () => {
  // Every test that moves the clock moves it back; this is the safety net.
  await emulator.admin.setClock({ now: new Date().toISOString() });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('the token endpoint', () => {
  it('refuses a second redemption of a code and revokes the linking token of the first', async () => {
    const code = await sandboxCode();
    const first = await redeem(code);
    expect(first.status).toBe(200);
    const linkingToken = first.json.access_token as string;
    // Control: the first token works.
    const victimUser = await newConnectUser();
    expect((await linkUser(victimUser, linkingToken)).status).toBe(200);

    const second = await redeem(code);
    expect(second.status).toBe(400);
    expect(second.json.error).toBe('invalid_grant');
    expect(second.json.access_token).toBeUndefined();

    const afterReuse = await linkUser(await newConnectUser(), linkingToken);
    expect(afterReuse.status).toBe(400);
    expect(afterReuse.json).toMatchObject({ error: { message: 'Linking token is invalid' } });
    expect((await linkUser(victimUser, linkingToken)).json).toMatchObject({
      error: { message: 'Linking token is invalid' },
    });
  });

  it('refuses an expired code (emulator clock moved past 10 minutes)', async () => {
    const early = await sandboxCode();
    const late = await sandboxCode();
    try {
      await emulator.admin.advanceClock(590);
      expect((await redeem(early)).status, 'a 590-second-old code still works').toBe(200);
      await emulator.admin.advanceClock(11);
      const expired = await redeem(late);
      expect(expired.status).toBe(400);
      expect(expired.json.error).toBe('invalid_grant');
    } finally {
      await emulator.admin.advanceClock(-601);
    }
  });

  it('refuses a code issued to another client, without spending it for its owner', async () => {
    const code = await sandboxCode();
    const stolen = await redeem(code, { client: OTHER, redirectUri: REGISTERED });
    expect(stolen.status).toBe(400);
    expect(stolen.json.error).toBe('invalid_grant');
    const stolenWithOwnUri = await redeem(code, { client: OTHER, redirectUri: OTHER.redirectUri });
    expect(stolenWithOwnUri.json.error).toBe('invalid_grant');
    const wrongSecret = await redeem(code, { client: { clientId: SHOP.clientId, secret: OTHER.secret } });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json.error).toBe('invalid_client');
    // Control: the owner still redeems it.
    expect((await redeem(code)).status).toBe(200);
  });

  it('refuses a code presented with another redirect_uri, even one registered for the same client', async () => {
    const variants = [
      TWO_URIS.second,
      `${TWO_URIS.first}/`,
      `${TWO_URIS.first}?x=1`,
      TWO_URIS.first.replace('localhost', 'LOCALHOST'),
      TWO_URIS.first.replace('http:', 'https:'),
    ];
    for (const redirectUri of variants) {
      const code = await sandboxCode({
        token: await fulfillmentToken({ clientId: TWO_URIS.clientId, secret: TWO_URIS.secret }),
        redirectUri: TWO_URIS.first,
      });
      const answer = await redeem(code, {
        client: { clientId: TWO_URIS.clientId, secret: TWO_URIS.secret },
        redirectUri,
      });
      expect(answer.status, redirectUri).toBe(400);
      expect(answer.json.error, redirectUri).toBe('invalid_grant');
    }
    // Control: the redirect URI the code was issued for works.
    const token = await fulfillmentToken({ clientId: TWO_URIS.clientId, secret: TWO_URIS.secret });
    const code = await sandboxCode({ token, redirectUri: TWO_URIS.first });
    const answer = await redeem(code, {
      client: { clientId: TWO_URIS.clientId, secret: TWO_URIS.secret },
      redirectUri: TWO_URIS.first,
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a PKCE-bound code with a wrong, missing or malformed verifier, and a verifier for a code without challenge', async () => {
    const pair = pkcePair();
    const wrong = await redeem(await sandboxCode({ challenge: pair.challenge }), {
      verifier: pkcePair().verifier,
    });
    expect(wrong.json.error).toBe('invalid_grant');
    const missing = await redeem(await sandboxCode({ challenge: pair.challenge }));
    expect(missing.json.error).toBe('invalid_grant');
    const malformed = await redeem(await sandboxCode({ challenge: pair.challenge }), { verifier: 'short' });
    expect(malformed.json.error).toBe('invalid_grant');
    const challengeAsVerifier = await redeem(await sandboxCode({ challenge: pair.challenge }), {
      verifier: pair.challenge,
    });
    expect(challengeAsVerifier.json.error).toBe('invalid_grant');
    const downgrade = await redeem(await sandboxCode(), { verifier: pair.verifier });
    expect(downgrade.json.error).toBe('invalid_grant');
    // Control: the right verifier works.
    const right = await redeem(await sandboxCode({ challenge: pair.challenge }), { verifier: pair.verifier });
    expect(right.status).toBe(200);
  });

  it('gives exactly one success to ten parallel redemptions of one code', async () => {
    const code = await sandboxCode();
    const answers = await Promise.all(Array.from({ length: 10 }, () => redeem(code)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    const failures = answers.filter((answer) => answer.status !== 200);
    expect(failures).toHaveLength(9);
    for (const failure of failures) expect(failure.json.error).toBe('invalid_grant');
  });
});

describe('bearer tokens', () => {
  it('refuses an expired fulfillment token, and a linking token used as a fulfillment token', async () => {
    const token = await fulfillmentToken(SHOP);
    const probe = (bearer: string) =>
      call('GET', '/v2/fulfillment/users/nobody-here/link', undefined, bearer);
    // Control: accepted (the user does not exist, which is answered only to an authenticated client).
    expect((await probe(token)).status).toBe(400);
    const linking = await redeem(await sandboxCode());
    const asBearer = await probe(linking.json.access_token as string);
    expect(asBearer.status).toBe(401);
    try {
      await emulator.admin.advanceClock(86_401);
      const expired = await probe(token);
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
    } finally {
      await emulator.admin.advanceClock(-86_401);
    }
  });
});

describe('the authorization endpoint', () => {
  let browserLike: ShopClient;
  const authorize = (redirectUri: string, extra: Record<string, string> = {}) =>
    authorizePath({ clientId: SHOP.clientId, redirectUri }, extra);

  beforeAll(async () => {
    // A logged-in Instacart session: a redirect URI that slipped through would reach consent and a code.
    browserLike = new ShopClient(emulator.url);
    const login = await logInAtEmulator(browserLike, authorize(REGISTERED), 'plus@instacart.test');
    expect(login.status).toBe(303);
  });

  it('shows the consent page for the registered redirect URI (control)', async () => {
    const response = await browserLike.get(authorize(REGISTERED));
    expect(response.status).toBe(200);
    expect(response.text).toContain('Authorization Required');
  });

  it.each([
    ['another path', 'http://localhost:3000/account/other'],
    ['a parent path', 'http://localhost:3000/account'],
    ['.. segments', 'http://localhost:3000/account/x/../profile'],
    ['.. segments before', 'http://localhost:3000/evil/../account/profile'],
    ['an encoded .. segment', 'http://localhost:3000/account/%2e%2e/account/profile'],
    ['an extra query', 'http://localhost:3000/account/profile?next=http://evil.test'],
    ['an empty query', 'http://localhost:3000/account/profile?'],
    ['https instead of http', 'https://localhost:3000/account/profile'],
    ['another port', 'http://localhost:3001/account/profile'],
    ['no port', 'http://localhost/account/profile'],
    ['a trailing slash', 'http://localhost:3000/account/profile/'],
    ['userinfo', 'http://evil@localhost:3000/account/profile'],
    ['the host in userinfo', 'http://localhost:3000@evil.test/account/profile'],
    ['an upper-case host', 'http://LOCALHOST:3000/account/profile'],
    ['an upper-case scheme', 'HTTP://localhost:3000/account/profile'],
    ['a fragment', 'http://localhost:3000/account/profile#fragment'],
    ['a percent-encoded path character', 'http://localhost:3000/account/%70rofile'],
    ['an encoded slash', 'http://localhost:3000/account%2Fprofile'],
    ['another host name for the machine', 'http://127.0.0.1:3000/account/profile'],
    ['a look-alike host', 'http://localhost:3000.evil.test/account/profile'],
    ['a trailing space', 'http://localhost:3000/account/profile '],
    ['a trailing dot in the host', 'http://localhost.:3000/account/profile'],
  ])('shows an error page, never a redirect, for a redirect_uri with %s', async (_label, redirectUri) => {
    for (const extra of [{}, { response_type: 'token' }] as Array<Record<string, string>>) {
      const response = await browserLike.get(authorize(redirectUri, extra));
      const body = response.text;
      expect(response.status, redirectUri).toBeGreaterThanOrEqual(400);
      expect(response.status, redirectUri).toBeLessThan(500);
      expect(response.headers.get('location'), redirectUri).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(body).toContain('Authorization error');
      expect(body).not.toContain('Authorization Required');
      expect(body, 'no link or form to the unregistered URI').not.toMatch(
        /<(a|form)\b[^>]*(href|action)="https?:/i,
      );
      expect(body).not.toMatch(/http-equiv="refresh"/i);
    }
  });
});
