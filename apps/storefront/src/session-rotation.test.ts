import { afterEach, describe, expect, it } from 'vitest';
import type { ShopClient } from '../../../testing/shop-client';
import { ABSOLUTE_LIFETIME_SECONDS, createSessionStore, hashSessionId } from './sessions.js';
import { createTestShop, type TestShop } from './test-support.js';
import { DEMO_USERS } from './users.js';

const ALEX = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id ?? '';
const COOKIE = 'cm_session';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

async function start(): Promise<TestShop> {
  testShop = await createTestShop();
  return testShop;
}

/** A state and code for the client's session, as `POST /cartlink/authorize` and "Allow" would give. */
async function callbackFor(shop: TestShop, client: ShopClient): Promise<{ code: string; state: string }> {
  const instacartUserId = shop.emulator.createInstacartUser({
    email: `rotation-${Math.random().toString(36).slice(2)}@instacart.test`,
    password: 'instacart',
    instacartplusMember: true,
  }).id;
  const { authorizationUrl } = await shop.shop.linking.startLink({
    sessionId: hashSessionId(client.cookies.get(COOKIE) ?? ''),
    userId: ALEX,
  });
  const url = new URL(authorizationUrl);
  const code = shop.emulator.authorizeForTest({
    instacartUserId,
    clientId: url.searchParams.get('client_id') ?? '',
    redirectUri: url.searchParams.get('redirect_uri') ?? '',
    ...(url.searchParams.get('code_challenge')
      ? { codeChallenge: url.searchParams.get('code_challenge') ?? '' }
      : {}),
  });
  return { code, state: url.searchParams.get('state') ?? '' };
}

/** A request carrying exactly this session cookie, outside any jar. */
function withCookie(shop: TestShop, value: string, path: string) {
  return shop.shop.app.request(`${shop.shop.config.publicUrl}${path}`, {
    headers: { cookie: `${COOKIE}=${value}` },
  });
}

describe('session rotation when a link completes', () => {
  it('gives the session a new id: the old cookie is dead, the new one works, user and CSRF token stay', async () => {
    const shop = await start();
    const alex = shop.client();
    await alex.signIn('alex@example.com');
    const profile = await alex.get('/account/profile');
    const pageToken = alex.csrfToken;
    const before = alex.cookies.get(COOKIE) ?? '';
    const row = await shop.shop.db
      .selectFrom('shop_sessions')
      .selectAll()
      .where('id_hash', '=', hashSessionId(before))
      .executeTakeFirstOrThrow();
    expect(profile.status).toBe(200);

    const answer = await alex.postJson('/cartlink/link', await callbackFor(shop, alex));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ outcome: 'linked' });
    const after = alex.cookies.get(COOKIE) ?? '';
    expect(answer.setCookies.some((line) => line.startsWith(`${COOKIE}=${after};`))).toBe(true);
    expect(after).not.toBe(before);

    // The old id no longer signs anyone in; the new one does.
    const old = await withCookie(shop, before, '/account/profile');
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toMatch(/^\/signin/);
    expect((await withCookie(shop, after, '/account/profile')).status).toBe(200);
    expect((await shop.shop.linking.getStatus({ sessionId: hashSessionId(after), userId: ALEX })).state).toBe(
      'linked-active',
    );

    // Same user, same CSRF token, same absolute lifetime: only the id changed.
    const rotated = await shop.shop.db
      .selectFrom('shop_sessions')
      .selectAll()
      .where('id_hash', '=', hashSessionId(after))
      .executeTakeFirstOrThrow();
    expect(rotated).toMatchObject({
      user_id: ALEX,
      csrf_token: row.csrf_token,
      created_at: row.created_at,
    });
    expect(
      await shop.shop.db
        .selectFrom('shop_sessions')
        .select('id_hash')
        .where('id_hash', '=', hashSessionId(before))
        .execute(),
    ).toEqual([]);

    // A form of the page that was open before the link still goes through with the new cookie.
    const added = await alex.post('/cart/items', { _csrf: pageToken ?? '', product_id: 'bananas' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/');
  });

  it('leaves the session alone when the callback is refused', async () => {
    const shop = await start();
    const alex = shop.client();
    await alex.signIn('alex@example.com');
    const before = alex.cookies.get(COOKIE) ?? '';
    const malformed = await alex.postJson('/cartlink/link', { code: 42 });
    expect(malformed.status).toBe(400);
    expect(malformed.setCookies).toEqual([]);
    expect((await withCookie(shop, before, '/account/profile')).status).toBe(200);
    // A well-formed callback that fails (a forged state) keeps the session, and with it the link the
    // shopper has in flight in another tab: that one still completes afterwards.
    const pending = await callbackFor(shop, alex);
    const forged = await alex.postJson('/cartlink/link', { code: 'forged', state: 'forged-state' });
    expect(forged.status).toBe(200);
    expect(JSON.parse(forged.text)).toMatchObject({ outcome: 'state-invalid' });
    expect(forged.setCookies).toEqual([]);
    expect(alex.cookies.get(COOKIE)).toBe(before);
    const completed = await alex.postJson('/cartlink/link', pending);
    expect(JSON.parse(completed.text)).toMatchObject({ outcome: 'linked' });
    // Nobody signed in: 401, and no cookie is minted.
    const visitor = await shop.client().postJson('/cartlink/link', { code: 'c', state: 's' });
    expect(visitor.status).toBe(401);
    expect(visitor.setCookies).toEqual([]);
  });

  it('rotates a session once even when two rotations race', async () => {
    const shop = await start();
    const alex = shop.client();
    await alex.signIn('alex@example.com');
    const id = alex.cookies.get(COOKIE);
    const sessions = createSessionStore(shop.shop.db, {
      idleSeconds: 3600,
      now: () => new Date(),
    });
    const results = await Promise.all([sessions.rotate(id), sessions.rotate(id)]);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    const live = await shop.shop.db
      .selectFrom('shop_sessions')
      .select('id_hash')
      .where('user_id', '=', ALEX)
      .execute();
    expect(live).toHaveLength(1);
    expect(await sessions.rotate('not-a-session')).toBeNull();
  });

  it('never rotates a session past its idle expiry or its absolute lifetime', async () => {
    const shop = await start();
    let nowMs = Date.parse('2026-03-02T10:00:00.000Z');
    const sessions = createSessionStore(shop.shop.db, { idleSeconds: 3600, now: () => new Date(nowMs) });
    const idle = await sessions.create(ALEX);
    nowMs += 3600 * 1000;
    expect(await sessions.rotate(idle.id)).toBeNull();

    // Kept alive by a request every half hour, it still ends a week after it began.
    const busy = await sessions.create(ALEX);
    for (let hour = 0; hour < ABSOLUTE_LIFETIME_SECONDS / 3600 - 1; hour++) {
      nowMs += 1800 * 1000;
      expect(await sessions.get(busy.id)).not.toBeNull();
      nowMs += 1800 * 1000;
      expect(await sessions.get(busy.id)).not.toBeNull();
    }
    const live = await sessions.rotate(busy.id);
    expect(live?.session).toMatchObject({ userId: ALEX, csrfToken: busy.session.csrfToken });
    nowMs += 3600 * 1000 - 1;
    expect(await sessions.get(live?.id)).not.toBeNull();
    nowMs += 1;
    expect(await sessions.rotate(live?.id)).toBeNull();
  });
});

describe('sign out everywhere', () => {
  it('ends every session of the account, and no other account’s', async () => {
    const shop = await start();
    const here = shop.client();
    const laptop = shop.client();
    const blair = shop.client();
    await here.signIn('alex@example.com');
    await laptop.signIn('alex@example.com');
    await blair.signIn('blair@example.com');
    expect((await laptop.get('/account/profile')).status).toBe(200);

    const profile = await here.get('/account/profile');
    expect(profile.text).toMatch(
      /<form method="post" action="\/signout\/everywhere">\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<button type="submit" class="button">Sign out everywhere<\/button>/,
    );
    const response = await here.post('/signout/everywhere');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(here.cookies.has(COOKIE)).toBe(false);

    // The other browser's session is gone too.
    const elsewhere = await laptop.get('/account/profile');
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get('location')).toMatch(/^\/signin/);
    expect(
      await shop.shop.db.selectFrom('shop_sessions').select('id_hash').where('user_id', '=', ALEX).execute(),
    ).toEqual([]);
    // Blair was not signed out.
    expect((await blair.get('/account/profile')).status).toBe(200);
  });

  it('refuses a post without the session’s CSRF token or from another origin, ending nothing', async () => {
    const shop = await start();
    const here = shop.client();
    const laptop = shop.client();
    await here.signIn('alex@example.com');
    await laptop.signIn('alex@example.com');
    await here.get('/account/profile');
    expect((await here.post('/signout/everywhere', { _csrf: 'forged' })).status).toBe(403);
    expect((await here.post('/signout/everywhere', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await laptop.get('/account/profile')).status).toBe(200);
    expect((await here.get('/account/profile')).status).toBe(200);
  });
});
