/**
 * Sign-in and sign-out as `auth-routes.ts` answers them, in process: what a refused sign-in keeps and
 * what it never echoes, a form left open past its session, the unlink notice at sign-in, and what a
 * signed-out visitor is left with. (`auth.test.ts` covers cookies, rotation and the CSRF refusal;
 * `redirects.test.ts` every hostile `next`.)
 */
import { createEmulator } from '@cartlink/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopClient, unescapeHtml } from '../../../../testing/shop-client';
import { createTestShop, EMULATOR_URL, linkAccount, type TestShop } from '../test-support.js';
import { DEMO_USERS } from '../users.js';

const CASEY = DEMO_USERS.find((user) => user.email === 'casey@example.com')?.id ?? '';

const WRONG_PASSWORD_MESSAGE = 'That email and password combination is not right. Check them and try again.';
const UNLINK_NOTICE =
  'Your Corner Market account is no longer linked to Instacart. Link it again on your account page to get $0 delivery.';

/** One shop for the tests that leave the clock alone; each uses its own clients. */
let shared: TestShop;
/** A shop of its own, for a test that moves the clock. */
let ownShop: TestShop | undefined;

beforeAll(async () => {
  // Many sign-ins from one (unknown) client address: the throttle is tested on its own.
  shared = await createTestShop({ env: { SIGNIN_ACCOUNT_LIMIT: '1000', SIGNIN_ADDRESS_LIMIT: '1000' } });
});

afterAll(async () => {
  await shared.close();
});

afterEach(async () => {
  await ownShop?.close();
  ownShop = undefined;
});

/** A shop and an emulator on one movable clock. */
async function startWithClock(
  env: Record<string, string> = {},
): Promise<{ shop: TestShop; clock: { now: Date } }> {
  const clock = { now: new Date('2030-03-10T12:00:00.000Z') };
  const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL, now: () => clock.now });
  ownShop = await createTestShop({ env, emulator, deps: { now: () => clock.now } });
  return { shop: ownShop, clock };
}

/** Whether the client's session belongs to a signed-in shopper (a protected page opens). */
async function isSignedIn(client: ShopClient): Promise<boolean> {
  const response = await client.get('/orders');
  return response.status === 200;
}

/** The sign-in page's error message, or undefined when it shows none. */
function errorOf(page: string): string | undefined {
  const text = /<p class="flash flash-error" role="alert" id="signin-error">([^<]*)<\/p>/.exec(page)?.[1];
  return text === undefined ? undefined : unescapeHtml(text);
}

/** The value of the sign-in form's email field. */
function emailFieldOf(page: string): string | undefined {
  const value = /<input id="email" name="email"[^>]* value="([^"]*)">/.exec(page)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
}

/** The sign-in form's hidden `next`, or undefined when it has none. */
function hiddenNextOf(page: string): string | undefined {
  const value = /<input type="hidden" name="next" value="([^"]*)">/.exec(page)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
}

/** The flash message of a page (`role="status"`), or undefined. */
function flashOf(page: string): string | undefined {
  const text = /<div class="flash" role="status">([^<]*)<\/div>/.exec(page)?.[1];
  return text === undefined ? undefined : unescapeHtml(text);
}

describe('a refused sign-in', () => {
  it('answers a wrong password with 401, keeping the email and next but never the password', async () => {
    const client = shared.client();
    await client.get('/signin?next=%2Fcheckout');
    const cookie = client.cookies.get('cm_session');
    const refused = await client.post('/signin', {
      email: 'alex@example.com',
      password: 'Wrong-Pa55word',
      next: '/checkout',
    });
    expect(refused.status).toBe(401);
    expect(errorOf(refused.text)).toBe(WRONG_PASSWORD_MESSAGE);
    expect(emailFieldOf(refused.text)).toBe('alex@example.com');
    expect(hiddenNextOf(refused.text)).toBe('/checkout');
    expect(refused.text).not.toContain('Wrong-Pa55word');
    // The visitor's session goes on, unbound: no new cookie, nobody signed in.
    expect(refused.setCookies).toEqual([]);
    expect(client.cookies.get('cm_session')).toBe(cookie);
    expect(await isSignedIn(client)).toBe(false);

    // The form it answered with signs in, and still goes where the shopper was heading.
    const accepted = await client.post('/signin', {
      email: 'alex@example.com',
      password: 'cartlink-demo',
      next: hiddenNextOf(refused.text) ?? '',
    });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/checkout');
  });

  it('keeps the email typed for an unknown account, with the same message', async () => {
    const refused = await shared.client().signIn('nobody@example.com', 'cartlink-demo');
    expect(refused.status).toBe(401);
    expect(errorOf(refused.text)).toBe(WRONG_PASSWORD_MESSAGE);
    expect(emailFieldOf(refused.text)).toBe('nobody@example.com');
    expect(hiddenNextOf(refused.text)).toBeUndefined();
  });

  it.each([
    ['a blank email', { email: '', password: 'cartlink-demo' }, ''],
    ['an email of spaces', { email: '   ', password: 'cartlink-demo' }, '   '],
    ['a blank password', { email: 'alex@example.com', password: '' }, 'alex@example.com'],
    ['no fields at all', {}, ''],
  ])('asks for both fields on %s, with 400 and no sign-in', async (_name, fields, email) => {
    const client = shared.client();
    await client.get('/signin');
    const response = await client.post('/signin', fields);
    expect(response.status).toBe(400);
    expect(errorOf(response.text)).toBe('Enter your email and password.');
    expect(emailFieldOf(response.text)).toBe(email);
    expect(await isSignedIn(client)).toBe(false);
  });

  it('answers a form left open past its session with a fresh form, which then signs in', async () => {
    const { shop, clock } = await startWithClock({ SESSION_IDLE_SECONDS: '600' });
    const client = shop.client();
    await client.get('/signin?next=%2Forders');
    const staleToken = client.csrfToken;
    clock.now = new Date(clock.now.getTime() + 11 * 60_000);
    const stale = await client.post('/signin', {
      email: 'alex@example.com',
      password: 'cartlink-demo',
      next: '/orders',
    });
    expect(stale.status).toBe(403);
    expect(errorOf(stale.text)).toBe('Your sign-in form expired. Please try again.');
    expect(emailFieldOf(stale.text)).toBe('alex@example.com');
    expect(hiddenNextOf(stale.text)).toBe('/orders');
    // A new visitor session, with its own token in the new form.
    expect(stale.setCookies).toHaveLength(1);
    expect(client.csrfToken).not.toBe(staleToken);

    const retried = await client.post('/signin', {
      email: 'alex@example.com',
      password: 'cartlink-demo',
      next: '/orders',
    });
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe('/orders');
    expect(await isSignedIn(client)).toBe(true);
  });
});

describe('the unlink notice at sign-in', () => {
  it('tells a shopper once that Instacart unlinked the accounts, and says nothing to one never linked', async () => {
    const casey = shared.client();
    await casey.signIn('casey@example.com');
    const member = shared.emulator.createInstacartUser({
      email: 'notice@instacart.test',
      password: 'instacart',
      instacartplusMember: true,
    });
    expect((await linkAccount(shared, casey, member.id)).outcome).toBe('linked');
    await casey.get('/');
    await casey.post('/signout');
    // Customer service unlinks the accounts at Instacart; the shop hears of it at the next sign-in.
    expect(shared.emulator.unlink('cartlink-demo', CASEY)).toBe(true);

    expect((await casey.signIn('casey@example.com')).headers.get('location')).toBe('/');
    expect(flashOf((await casey.get('/')).text)).toBe(UNLINK_NOTICE);
    // A flash is shown once.
    expect(flashOf((await casey.get('/')).text)).toBeUndefined();
    // The next sign-in has nothing new to tell.
    await casey.post('/signout');
    await casey.signIn('casey@example.com');
    expect(flashOf((await casey.get('/')).text)).toBeUndefined();

    const blair = shared.client();
    await blair.signIn('blair@example.com');
    expect(flashOf((await blair.get('/')).text)).toBeUndefined();
  });
});

describe('sign-out', () => {
  it('leaves a visitor: no Sign out, Add to cart leads to sign-in, and the old token adds nothing', async () => {
    const client = shared.client();
    await client.signIn('blair@example.com');
    const shopPage = await client.get('/');
    expect(shopPage.text).toContain('>Sign out</button>');
    const oldToken = client.csrfToken ?? '';
    const signedOut = await client.post('/signout');
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/');

    const after = await client.get('/');
    expect(after.text).not.toContain('>Sign out</button>');
    expect(after.text).toContain('<li><a href="/signin">Sign in</a></li>');
    expect(after.text).not.toContain('action="/cart/items"');
    const added = await client.post('/cart/items', { _csrf: oldToken, product_id: 'milk' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/signin?next=%2F');
    const blairsCart = await shared.shop.db
      .selectFrom('shop_cart_items')
      .selectAll()
      .where('user_id', '=', DEMO_USERS.find((user) => user.email === 'blair@example.com')?.id ?? '')
      .execute();
    expect(blairsCart).toEqual([]);
  });

  it.each([
    ['no cookie', {}],
    ['the cookie of a session that no longer exists', { cookie: `cm_session=${'A'.repeat(43)}` }],
  ])('clears the cookie of a visitor with %s and goes home', async (_name, headers) => {
    const response = await shared.client().request('/signout', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://shop.test',
        ...headers,
      },
      body: '',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(response.setCookies).toHaveLength(1);
    expect(response.setCookies[0]).toMatch(/^cm_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0;/);
  });

  it('refuses a sign-out posted from another site, and the shopper stays signed in', async () => {
    const client = shared.client();
    await client.signIn('alex@example.com');
    await client.get('/');
    const response = await client.post('/signout', {}, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.text).toContain('<h1>Request refused</h1>');
    expect(response.text).toContain('This form was sent from another site, so it was not accepted.');
    expect(await isSignedIn(client)).toBe(true);
  });

  it('is a POST only: GET /signout answers 405 with Allow: POST and ends nothing', async () => {
    const client = shared.client();
    await client.signIn('alex@example.com');
    const response = await client.get('/signout');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.text).toContain('<h1>Method not allowed</h1>');
    expect(await isSignedIn(client)).toBe(true);
  });
});
