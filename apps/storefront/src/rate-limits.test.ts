import { createEmulator } from '@cartlink/emulator';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../../../testing/postgres.js';
import type { ShopClient, ShopResponse } from '../../../testing/shop-client';
import type { StorefrontDeps } from './app.js';
import { createConcurrencyLimiter } from './load-shedding.js';
import { createRateLimits, RATE_LIMIT_TABLE } from './rate-limits.js';
import type { RunningStorefront } from './server-node.js';
import {
  createMemoryLogger,
  createTestShop,
  EMULATOR_URL,
  startTestServer,
  type TestShop,
} from './test-support.js';
import { DEMO_PASSWORD, DEMO_USERS } from './users.js';

const WRONG = 'not-the-password';
const alexId = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id;

/**
 * A client whose requests arrive from `remoteAddress`, as the Node server passes the socket's peer
 * in the Hono env (see `server-node.ts`).
 */
function clientFrom(testShop: TestShop, remoteAddress: string): ShopClient {
  return testShop.client({ remoteAddress });
}

/** Loads the sign-in form, then posts it. */
async function attempt(
  client: ShopClient,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<ShopResponse> {
  await client.get('/signin');
  return client.post('/signin', { email, password }, headers);
}

/** The audit lines of `throttled` events. */
function throttledEvents(lines: () => Array<Record<string, unknown>>) {
  return lines().filter((line) => line.audit === true && line.event === 'throttled');
}

describe('sign-in and link-start throttling (memory store, one instance)', () => {
  let testShop: TestShop | undefined;

  afterEach(async () => {
    await testShop?.close();
    testShop = undefined;
  });

  async function start(env: Record<string, string> = {}, deps: StorefrontDeps = {}) {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ env, deps: { logger: memory.logger, ...deps } });
    return { testShop, lines: memory.lines };
  }

  it('refuses the 11th attempt for an account even with the right password, with 429 and Retry-After', async () => {
    const { testShop, lines } = await start();
    const client = clientFrom(testShop, '198.51.100.7');
    for (let index = 0; index < 10; index++) {
      expect((await attempt(client, 'alex@example.com', WRONG)).status).toBe(401);
    }
    const refused = await attempt(client, 'alex@example.com', DEMO_PASSWORD);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(refused.text).toContain('Too many sign-in attempts');
    expect(refused.text).toContain('lang="en-US"');
    // Not signed in: the shop still greets nobody.
    expect((await client.get('/')).text).not.toContain('Hi, Alex');
    expect(throttledEvents(lines)).toEqual([
      expect.objectContaining({ userId: alexId, limit: 'sign-in-account', retryAfterSeconds: retryAfter }),
    ]);
  });

  it("clears the account's count on a successful sign-in", async () => {
    const { testShop } = await start({ SIGNIN_ACCOUNT_LIMIT: '3' });
    const client = clientFrom(testShop, '198.51.100.7');
    expect((await attempt(client, 'alex@example.com', WRONG)).status).toBe(401);
    expect((await attempt(client, 'alex@example.com', WRONG)).status).toBe(401);
    expect((await attempt(client, 'alex@example.com', DEMO_PASSWORD)).status).toBe(303);
    // Three more failures are allowed again (without the reset the first of them would be the 4th).
    const other = clientFrom(testShop, '198.51.100.7');
    for (let index = 0; index < 3; index++) {
      expect((await attempt(other, 'alex@example.com', WRONG)).status).toBe(401);
    }
    expect((await attempt(other, 'alex@example.com', DEMO_PASSWORD)).status).toBe(429);
  });

  it('answers an unknown email exactly as a known one, so the limit tells no one which accounts exist', async () => {
    const { testShop, lines } = await start({ SIGNIN_ACCOUNT_LIMIT: '2' });
    const answers: ShopResponse[] = [];
    for (const email of ['alex@example.com', 'nobody@example.com']) {
      const client = clientFrom(testShop, '198.51.100.7');
      expect((await attempt(client, email, WRONG)).status).toBe(401);
      expect((await attempt(client, email, WRONG)).status).toBe(401);
      answers.push(await attempt(client, email, WRONG));
    }
    const [known, unknown] = answers as [ShopResponse, ShopResponse];
    expect([known.status, unknown.status]).toEqual([429, 429]);
    expect(unknown.headers.get('retry-after')).toMatch(/^\d+$/);
    const withoutNumbers = (text: string) => text.replace(/\d+/g, 'N');
    expect(withoutNumbers(unknown.text)).toBe(withoutNumbers(known.text));
    expect(throttledEvents(lines).map((line) => line.userId)).toEqual([alexId, null]);
  });

  it('counts case and space variants of an email as one account', async () => {
    const { testShop } = await start({ SIGNIN_ACCOUNT_LIMIT: '2' });
    const client = clientFrom(testShop, '198.51.100.7');
    expect((await attempt(client, 'alex@example.com', WRONG)).status).toBe(401);
    expect((await attempt(client, ' ALEX@Example.com ', WRONG)).status).toBe(401);
    expect((await attempt(client, 'Alex@EXAMPLE.COM', DEMO_PASSWORD)).status).toBe(429);
  });

  it('limits attempts per client address across accounts', async () => {
    const { testShop, lines } = await start({ SIGNIN_ADDRESS_LIMIT: '3' });
    const attacker = clientFrom(testShop, '198.51.100.7');
    for (const email of ['blair@example.com', 'casey@example.com', 'nobody@example.com']) {
      expect((await attempt(attacker, email, WRONG)).status).toBe(401);
    }
    expect((await attempt(attacker, 'alex@example.com', DEMO_PASSWORD)).status).toBe(429);
    expect(throttledEvents(lines)).toEqual([expect.objectContaining({ limit: 'sign-in-address' })]);
    // Another address is not affected.
    expect(
      (await attempt(clientFrom(testShop, '198.51.100.8'), 'alex@example.com', DEMO_PASSWORD)).status,
    ).toBe(303);
  });

  it('counts the addresses of one IPv6 /64 as one address', async () => {
    const { testShop } = await start({ SIGNIN_ADDRESS_LIMIT: '2' });
    expect((await attempt(clientFrom(testShop, '2001:db8:1:2::a'), 'blair@example.com', WRONG)).status).toBe(
      401,
    );
    expect((await attempt(clientFrom(testShop, '2001:db8:1:2::b'), 'casey@example.com', WRONG)).status).toBe(
      401,
    );
    expect(
      (await attempt(clientFrom(testShop, '2001:db8:1:2:ffff::c'), 'alex@example.com', DEMO_PASSWORD)).status,
    ).toBe(429);
    expect(
      (await attempt(clientFrom(testShop, '2001:db8:1:3::a'), 'alex@example.com', DEMO_PASSWORD)).status,
    ).toBe(303);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a forged header does not buy more attempts', async () => {
    const { testShop } = await start({ SIGNIN_ADDRESS_LIMIT: '2' });
    const attacker = clientFrom(testShop, '198.51.100.7');
    const forged = (n: number) => ({ 'x-forwarded-for': `203.0.113.${n}` });
    expect((await attempt(attacker, 'blair@example.com', WRONG, forged(1))).status).toBe(401);
    expect((await attempt(attacker, 'casey@example.com', WRONG, forged(2))).status).toBe(401);
    expect((await attempt(attacker, 'alex@example.com', DEMO_PASSWORD, forged(3))).status).toBe(429);
  });

  it("honours X-Forwarded-For from a trusted proxy: the right-most untrusted address is the client's", async () => {
    const { testShop } = await start({ SIGNIN_ADDRESS_LIMIT: '2', TRUST_PROXY: '10.0.0.0/8' });
    const proxy = clientFrom(testShop, '10.0.0.2');
    // Three shoppers behind the proxy each have their own count.
    for (const n of [1, 2, 3]) {
      expect(
        (await attempt(proxy, 'nobody@example.com', WRONG, { 'x-forwarded-for': `203.0.113.${n}` })).status,
      ).toBe(401);
    }
    // One client counts as one, whatever it writes to the left of what the proxy appended.
    const from = (value: string) => ({ 'x-forwarded-for': value });
    expect((await attempt(proxy, 'blair@example.com', WRONG, from('203.0.113.9, 10.0.0.3'))).status).toBe(
      401,
    );
    expect((await attempt(proxy, 'casey@example.com', WRONG, from('6.6.6.6, 203.0.113.9'))).status).toBe(401);
    expect(
      (await attempt(proxy, 'alex@example.com', DEMO_PASSWORD, from('7.7.7.7, 203.0.113.9'))).status,
    ).toBe(429);
  });

  it('limits link starts per session and records it in the audit trail', async () => {
    const { testShop, lines } = await start({ LINK_START_LIMIT: '2' });
    const client = testShop.client();
    expect((await client.signIn('alex@example.com')).status).toBe(303);
    await client.get('/account/profile');
    for (let index = 0; index < 2; index++) {
      const started = await client.post('/cartlink/authorize');
      expect(started.status).toBe(303);
      expect(started.headers.get('location')).toMatch(new RegExp(`^${EMULATOR_URL}/oauth/authorize\\?`));
    }
    const refused = await client.post('/cartlink/authorize');
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/account/profile?cartlink_outcome=throttled');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttledEvents(lines)).toEqual([
      expect.objectContaining({ userId: alexId, limit: 'link-start' }),
    ]);

    // The count is the session's: another session of the same shopper starts a link.
    const elsewhere = testShop.client();
    await elsewhere.signIn('alex@example.com');
    await elsewhere.get('/account/profile');
    const started = await elsewhere.post('/cartlink/authorize');
    expect(started.headers.get('location')).toMatch(new RegExp(`^${EMULATOR_URL}/oauth/authorize\\?`));
  });

  it("speaks the shopper's language on the 429 page", async () => {
    const { testShop } = await start({ SIGNIN_ACCOUNT_LIMIT: '1' });
    const client = clientFrom(testShop, '198.51.100.7');
    await attempt(client, 'nobody@example.com', WRONG);
    const french = await attempt(client, 'nobody@example.com', WRONG, {
      'accept-language': 'fr-CA,fr;q=0.9',
    });
    expect(french.status).toBe(429);
    expect(french.text).toContain('lang="fr-CA"');
    expect(french.text).toContain('Trop de tentatives de connexion');
    expect(french.headers.get('content-language')).toBe('fr-CA');
    const canadian = await attempt(client, 'nobody@example.com', WRONG, { 'accept-language': 'en-CA' });
    expect(canadian.text).toContain('lang="en-CA"');
    expect(canadian.text).toContain('Too many sign-in attempts');
  });

  it("answers 503 with Retry-After, in the shopper's language, when no password check can start in time", async () => {
    const passwordHashing = createConcurrencyLimiter({ concurrency: 1, queueDeadlineMs: 0 });
    const { testShop } = await start({ SIGNIN_ACCOUNT_LIMIT: '1' }, { passwordHashing });
    // Every slot is busy until the test lets go.
    let release!: () => void;
    const busy = passwordHashing.run(() => new Promise<void>((resolve) => (release = resolve)));
    const client = clientFrom(testShop, '198.51.100.7');
    const shed = await attempt(client, 'alex@example.com', DEMO_PASSWORD, { 'accept-language': 'fr-CA' });
    expect(shed.status).toBe(503);
    expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(shed.text).toContain('lang="fr-CA"');
    expect(shed.text).toContain('Nous sommes très occupés en ce moment');
    release();
    await busy;
    // The shed attempt checked no password, so it did not use up the account's single attempt.
    expect((await attempt(client, 'alex@example.com', DEMO_PASSWORD)).status).toBe(303);
  });
});

describe('createRateLimits on a PostgreSQL store that fails', () => {
  it('keeps limiting, in memory, and warns', async () => {
    const memory = createMemoryLogger();
    const broken = {
      executeQuery: () => Promise.reject(new Error('connection refused')),
    } as unknown as Kysely<unknown>;
    const limits = createRateLimits(
      { signInAccount: 2, signInAddress: 100, linkStart: 10, windowSeconds: 900 },
      { dialect: 'postgres', db: broken },
      memory.logger,
    );
    const attempt = { email: 'alex@example.com', address: '198.51.100.7' };
    expect(await limits.countSignInAttempt(attempt)).toBeNull();
    expect(await limits.countSignInAttempt(attempt)).toBeNull();
    expect(await limits.countSignInAttempt(attempt)).toMatchObject({ limit: 'sign-in-account' });
    expect(
      memory.lines().some((line) => line.msg === 'rate limit store failed; counting in memory for now'),
    ).toBe(true);
  });
});

describe('over a real socket', () => {
  let running: RunningStorefront | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  /** Signs in over HTTP (cookie and CSRF token from the form), with extra headers on the post. */
  async function attemptOverHttp(url: string, email: string, headers: Record<string, string>) {
    const form = await fetch(`${url}/signin`);
    const cookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const response = await fetch(`${url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url, cookie, ...headers },
      body: new URLSearchParams({ _csrf: csrf, email, password: WRONG }).toString(),
    });
    await response.text();
    return response.status;
  }

  it("takes the client address from the socket's peer (here a trusted proxy on loopback)", async () => {
    running = await startTestServer({ SIGNIN_ADDRESS_LIMIT: '2', TRUST_PROXY: '127.0.0.1' });
    const { url } = running;
    // The peer is 127.0.0.1, trusted, so each forwarded client has its own count...
    for (const n of [1, 2, 3]) {
      expect(await attemptOverHttp(url, 'nobody@example.com', { 'x-forwarded-for': `203.0.113.${n}` })).toBe(
        401,
      );
    }
    // ...and one forwarded client is refused at its third attempt.
    const same = { 'x-forwarded-for': '203.0.113.9' };
    expect(await attemptOverHttp(url, 'blair@example.com', same)).toBe(401);
    expect(await attemptOverHttp(url, 'casey@example.com', same)).toBe(401);
    expect(await attemptOverHttp(url, 'alex@example.com', same)).toBe(429);
  });
});

// Without a PostgreSQL server this suite says so and is skipped; under CI=true a missing server fails.
const available = await isPostgresAvailable();

describe.skipIf(!available)('two storefront instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let shops: TestShop[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL });
    const env = { DATABASE_URL: database.url, SIGNIN_ACCOUNT_LIMIT: '4', SIGNIN_ADDRESS_LIMIT: '6' };
    // Started together: the rate-limit table comes from the migrations, which lock.
    shops = await Promise.all([createTestShop({ env, emulator }), createTestShop({ env, emulator })]);
  });

  afterAll(async () => {
    for (const shop of shops) await shop.close();
    await database?.drop();
  });

  // The per-account tests spread their attempts over many addresses, as a botnet would.
  let lastHost = 0;
  const anywhere = (shop: TestShop) => clientFrom(shop, `192.0.2.${++lastHost}`);

  it('counts failures on either instance against one per-account limit', async () => {
    const [a, b] = shops as [TestShop, TestShop];
    for (const shop of [a, b, a, b]) {
      expect((await attempt(anywhere(shop), 'alex@example.com', WRONG)).status).toBe(401);
    }
    // Two failures on each instance: four in all, the limit. The fifth is refused on both.
    expect((await attempt(anywhere(a), 'alex@example.com', DEMO_PASSWORD)).status).toBe(429);
    expect((await attempt(anywhere(b), 'alex@example.com', DEMO_PASSWORD)).status).toBe(429);
  });

  it('clears the count on both instances when the shopper signs in on one', async () => {
    const [a, b] = shops as [TestShop, TestShop];
    for (const shop of [a, b, a]) {
      expect((await attempt(anywhere(shop), 'blair@example.com', WRONG)).status).toBe(401);
    }
    expect((await attempt(anywhere(b), 'blair@example.com', DEMO_PASSWORD)).status).toBe(303);
    for (const shop of [a, b, a, b]) {
      expect((await attempt(anywhere(shop), 'blair@example.com', WRONG)).status).toBe(401);
    }
    expect((await attempt(anywhere(a), 'blair@example.com', DEMO_PASSWORD)).status).toBe(429);
  });

  it('counts one client address across both instances', async () => {
    const [a, b] = shops as [TestShop, TestShop];
    for (let index = 0; index < 6; index++) {
      const shop = index % 2 === 0 ? a : b;
      const response = await attempt(clientFrom(shop, '198.51.100.3'), `nobody-${index}@example.com`, WRONG);
      expect(response.status).toBe(401);
    }
    expect((await attempt(clientFrom(a, '198.51.100.3'), 'casey@example.com', DEMO_PASSWORD)).status).toBe(
      429,
    );
  });

  it('keeps the counts in the database without emails or addresses', async () => {
    const [a] = shops as [TestShop];
    // Its own rows, so that the test does not lean on what the tests before it wrote.
    expect((await attempt(clientFrom(a, '198.51.100.9'), 'keys@example.com', WRONG)).status).toBe(401);
    const { rows } = await sql<{ key: string }>`select key from ${sql.table(RATE_LIMIT_TABLE)}`.execute(
      a.shop.db,
    );
    const keys = rows.map((row) => row.key);
    expect(keys.length).toBeGreaterThan(0);
    expect(
      keys.every((key) => /^(sign-in-account|sign-in-address|link-start):[A-Za-z0-9_-]{43}$/.test(key)),
    ).toBe(true);
    expect(keys.join(' ')).not.toContain('keys@example.com');
    expect(keys.join(' ')).not.toContain('198.51.100.9');
  });
});
