import { afterEach, describe, expect, it } from 'vitest';
import type { ShopClient } from '../../../testing/shop-client';
import { hashSessionId } from './sessions.js';
import { createMemoryLogger, createTestShop, type TestShop } from './test-support.js';
import { DEMO_USERS } from './users.js';

const ALEX = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id ?? '';
const WRONG_PASSWORD = 'not-the-password-7f3a9c';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

/**
 * A shop whose log is kept in memory, and every secret its clients handled: passwords, emails,
 * session cookies (and their hashes, the linking core's session ids), CSRF tokens, states and codes.
 */
async function startAuditedShop() {
  const memory = createMemoryLogger();
  const clock = { now: new Date() };
  const shop = await createTestShop({
    env: { DELIVERY_GRACE_SECONDS: '900' },
    deps: { logger: memory.logger, now: () => clock.now },
  });
  testShop = shop;
  const secrets = new Set<string>([
    'cartlink-demo',
    WRONG_PASSWORD,
    'alex@example.com',
    'nobody@example.com',
  ]);

  /** A client whose cookies and CSRF tokens are all remembered as secrets. */
  function client(): ShopClient {
    const created = shop.client();
    const send = created.request.bind(created);
    created.request = async (path, init) => {
      const response = await send(path, init);
      for (const value of created.cookies.values()) {
        secrets.add(value);
        secrets.add(hashSessionId(value));
      }
      if (created.csrfToken) secrets.add(created.csrfToken);
      return response;
    };
    return created;
  }

  /**
   * Links Alex to a new Instacart+ account: starts a link for the client's session (what
   * `POST /cartlink/authorize` does), has "Instacart" authorize it, and posts the callback as the
   * status element does.
   */
  async function linkAlex(signedIn: ShopClient): Promise<string> {
    const instacartUserId = shop.emulator.createInstacartUser({
      email: `audit-${Math.random().toString(36).slice(2)}@instacart.test`,
      password: 'instacart',
      instacartplusMember: true,
    }).id;
    const cookie = [...signedIn.cookies.values()][0] ?? '';
    const { authorizationUrl } = await shop.shop.linking.startLink({
      sessionId: hashSessionId(cookie),
      userId: ALEX,
    });
    const url = new URL(authorizationUrl);
    const state = url.searchParams.get('state') ?? '';
    const code = shop.emulator.authorizeForTest({
      instacartUserId,
      clientId: url.searchParams.get('client_id') ?? '',
      redirectUri: url.searchParams.get('redirect_uri') ?? '',
      ...(url.searchParams.get('code_challenge')
        ? { codeChallenge: url.searchParams.get('code_challenge') ?? '' }
        : {}),
    });
    secrets.add(state);
    secrets.add(code);
    const response = await signedIn.postJson('/cartlink/link', { code, state });
    return (JSON.parse(response.text) as { outcome: string }).outcome;
  }

  /** The audit lines, oldest first. */
  const auditLines = () => memory.lines().filter((line) => line.audit === true);
  return { shop, clock, memory, secrets, client, linkAlex, auditLines };
}

describe('the audit trail', () => {
  it('records each sign-in failure with the user id only when the account exists', async () => {
    const { client, auditLines } = await startAuditedShop();
    const visitor = client();
    await visitor.get('/signin');
    expect(
      (await visitor.post('/signin', { email: 'alex@example.com', password: WRONG_PASSWORD })).status,
    ).toBe(401);
    expect(
      (await visitor.post('/signin', { email: 'nobody@example.com', password: WRONG_PASSWORD })).status,
    ).toBe(401);
    expect(auditLines()).toMatchObject([
      {
        level: 30,
        event: 'sign-in-failed',
        userId: ALEX,
        reason: 'wrong-password',
        msg: 'audit sign-in-failed',
      },
      { level: 30, event: 'sign-in-failed', userId: null, reason: 'unknown-account' },
    ]);
  });

  it('records sign-in, link start and completion, discounts (fresh and grace), unlink and sign-out, and never a secret', async () => {
    const { shop, clock, memory, secrets, client, linkAlex, auditLines } = await startAuditedShop();
    const alex = client();
    expect((await alex.signIn('alex@example.com')).status).toBe(303);
    expect(await linkAlex(alex)).toBe('linked');

    // A discounted order on a fresh verification.
    await alex.get('/');
    await alex.post('/cart/items', { product_id: 'bananas' });
    await alex.get('/checkout');
    expect((await alex.post('/checkout', { expected_fee_cents: '0' })).status).toBe(303);
    // And one on the grace rule: Instacart down, a verification five minutes old.
    clock.now = new Date(clock.now.getTime() + 5 * 60_000);
    shop.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
    await alex.post('/cart/items', { product_id: 'coffee' });
    await alex.get('/checkout');
    expect((await alex.post('/checkout', { expected_fee_cents: '0' })).status).toBe(303);
    shop.emulator.clearFaults();

    // Customer service unlinks at Instacart; the next fresh status call notices.
    expect(shop.emulator.unlink(shop.shop.config.connect.clientId, ALEX)).toBe(true);
    expect((await alex.postJson('/cartlink/verify', {})).status).toBe(200);

    await alex.get('/');
    expect((await alex.post('/signout')).status).toBe(303);

    const orders = await shop.shop.db
      .selectFrom('shop_orders')
      .select(['id', 'placed_at'])
      .orderBy('placed_at')
      .execute();
    expect(auditLines()).toMatchObject([
      { event: 'sign-in-succeeded', userId: ALEX },
      { event: 'link-started', userId: ALEX },
      { event: 'link-completed', userId: ALEX, outcome: 'linked', detail: null },
      {
        event: 'discount-granted',
        userId: ALEX,
        orderId: orders[0]?.id,
        waivedCents: 399,
        verification: 'fresh',
      },
      {
        event: 'discount-granted',
        userId: ALEX,
        orderId: orders[1]?.id,
        waivedCents: 399,
        verification: 'grace',
      },
      { event: 'unlink-noticed', userId: ALEX },
      { event: 'signed-out', userId: ALEX, everywhere: false },
    ]);
    for (const line of auditLines()) {
      expect(line).toMatchObject({ audit: true, level: 30, msg: `audit ${String(line.event)}` });
      expect(typeof line.time).toBe('string');
    }

    // No secret anywhere in the log, at any level (the memory logger keeps debug lines too).
    const log = memory.lines().map((line) => JSON.stringify(line));
    expect(log.length).toBeGreaterThan(auditLines().length);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      const leaking = log.filter((line) => line.includes(secret));
      expect(leaking, `a log line holds ${secret.slice(0, 4)}…`).toEqual([]);
    }
  });

  it('records a failed link with its outcome', async () => {
    const { client, shop, auditLines } = await startAuditedShop();
    const alex = client();
    await alex.signIn('alex@example.com');
    const cookie = [...alex.cookies.values()][0] ?? '';
    await shop.shop.linking.startLink({ sessionId: hashSessionId(cookie), userId: ALEX });
    await alex.postJson('/cartlink/link', { error: 'access_denied', state: 'x'.repeat(43) });
    expect(auditLines().filter((line) => line.event === 'link-completed')).toMatchObject([
      { event: 'link-completed', userId: ALEX, outcome: 'state-invalid' },
    ]);
  });

  it('records sign out everywhere once, for the account', async () => {
    const { client, auditLines } = await startAuditedShop();
    const first = client();
    const second = client();
    await first.signIn('alex@example.com');
    await second.signIn('alex@example.com');
    await first.get('/account/profile');
    expect((await first.post('/signout/everywhere')).status).toBe(303);
    expect(auditLines().filter((line) => line.event === 'signed-out')).toMatchObject([
      { event: 'signed-out', userId: ALEX, everywhere: true },
    ]);
  });
});
