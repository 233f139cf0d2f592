/**
 * The authorization page in process: validation order, redirects, log-in, consent, CSRF and the
 * page headers. The same flow in a real browser is in `authorize.browser.test.ts`.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Base64Url } from '../random.js';
import { DEMO_SEED } from '../seed.js';
import { BASE, createTestEmulator, type TestEmulator } from '../test-support/harness.js';

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const CSP =
  /^default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'/;

let t: TestEmulator;
let cookies: Map<string, string>;
beforeEach(() => {
  t = createTestEmulator();
  cookies = new Map();
});

function authorizeUrl(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: clientId,
    scope: 'account_linking',
    state: 'state-123',
    redirect_uri: redirectUri,
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.append(name, value);
  return `/oauth/authorize?${query}`;
}

/** A request from "the browser": carries and stores cookies, never follows redirects. */
async function browse(
  path: string,
  form?: Record<string, string>,
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = { ...extraHeaders };
  if (cookies.size > 0) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await t.fetch(`${BASE}${path}`, {
    method: form ? 'POST' : 'GET',
    headers,
    redirect: 'manual',
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const [name, value] = (pair ?? '').split('=');
    if (name && value !== undefined) cookies.set(name, value);
  }
  return { response, html: await response.text() };
}

function hidden(html: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no hidden field ${name}`);
  return value;
}

async function logIn(
  email: string = DEMO_SEED.users.plus,
  password: string = DEMO_SEED.password,
  url = authorizeUrl(),
) {
  const page = await browse(url);
  const result = await browse('/oauth/login', {
    csrf_token: hidden(page.html, 'csrf_token'),
    authorization_id: hidden(page.html, 'authorization_id'),
    email,
    password,
  });
  return result;
}

async function consent(decision: 'allow' | 'deny', url = authorizeUrl()) {
  const loggedIn = await logIn(DEMO_SEED.users.plus, DEMO_SEED.password, url);
  expect(loggedIn.response.status).toBe(303);
  const page = await browse(String(loggedIn.response.headers.get('location')));
  return browse('/oauth/decision', {
    csrf_token: hidden(page.html, 'csrf_token'),
    authorization_id: hidden(page.html, 'authorization_id'),
    decision,
  });
}

function redirectParams(response: Response): URLSearchParams {
  const location = String(response.headers.get('location'));
  expect(location.startsWith(`${redirectUri}?`)).toBe(true);
  return new URL(location).searchParams;
}

describe('GET /oauth/authorize: untrusted client or redirect URI', () => {
  const badRedirects = [
    'http://localhost:3000/account/other',
    'http://localhost:3000/account/../account/profile',
    'http://localhost:3000/account/profile?x=1',
    'https://localhost:3000/account/profile',
    'http://localhost:3001/account/profile',
    'http://localhost:3000/account/profile/',
    'http://user@localhost:3000/account/profile',
    'http://LOCALHOST:3000/account/profile',
    'http://localhost:3000/Account/Profile',
    'http://evil.test/account/profile',
  ];

  it.each(badRedirects)('shows an error page, never a redirect, for redirect_uri %s', async (uri) => {
    const { response, html } = await browse(authorizeUrl({ redirect_uri: uri }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('not registered');
  });

  it('shows an error page for an unknown, missing or repeated client_id and a missing redirect_uri', async () => {
    const urls = [
      authorizeUrl({ client_id: 'nobody' }),
      authorizeUrl({ client_id: undefined }),
      `${authorizeUrl()}&client_id=${clientId}`,
      authorizeUrl({ redirect_uri: undefined }),
    ];
    for (const url of urls) {
      const { response } = await browse(url);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('escapes what it reflects', async () => {
    const { html } = await browse(authorizeUrl({ client_id: '<script>alert(1)</script>' }));
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('GET /oauth/authorize: bad parameters with a trusted redirect URI', () => {
  it.each([
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ response_type: undefined }, 'invalid_request'],
    [{ scope: 'connect:fulfillment' }, 'invalid_scope'],
    [{ scope: undefined }, 'invalid_scope'],
    [{ code_challenge: 'A'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge: 'A'.repeat(43) }, 'invalid_request'],
    [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    [{ code_challenge_method: 'S256' }, 'invalid_request'],
  ] as const)('redirects %o with error=%s and the state', async (overrides, error) => {
    const { response } = await browse(authorizeUrl(overrides));
    expect(response.status).toBe(302);
    const params = redirectParams(response);
    expect(params.get('error')).toBe(error);
    expect(params.get('state')).toBe('state-123');
    expect(params.get('code')).toBeNull();
  });

  it('requires a PKCE challenge when require_pkce is on', async () => {
    t.emulator.updateSettings({ requirePkce: true });
    const { response } = await browse(authorizeUrl());
    expect(redirectParams(response).get('error')).toBe('invalid_request');
    const withChallenge = await browse(
      authorizeUrl({ code_challenge: 'A'.repeat(43), code_challenge_method: 'S256' }),
    );
    expect(withChallenge.response.status).toBe(200);
  });

  it('leaves state out when the request had none', async () => {
    const { response } = await browse(authorizeUrl({ state: undefined, response_type: 'token' }));
    expect(redirectParams(response).has('state')).toBe(false);
  });

  it('adds iss to error redirects when issuer_param is on', async () => {
    t.emulator.updateSettings({ issuerParam: true });
    const { response } = await browse(authorizeUrl({ scope: 'nope' }));
    expect(redirectParams(response).get('iss')).toBe(BASE);
  });
});

describe('log-in page', () => {
  it('is a form with Email, Password and Log in, in a session cookie of its own', async () => {
    const { response, html } = await browse(authorizeUrl());
    expect(response.status).toBe(200);
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<button[^>]*>Log in<\/button>/);
    const cookie = response.headers.getSetCookie()[0] ?? '';
    expect(cookie).toMatch(/^instacart_[a-z_]+=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
  });

  it('sends the protective headers and no CORS header', async () => {
    const { response } = await browse(authorizeUrl(), undefined, { origin: 'http://evil.test' });
    expect(response.headers.get('content-security-policy')).toMatch(CSP);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a wrong password and escapes the email it shows again', async () => {
    const email = '"><script>alert(1)</script>';
    const { response, html } = await logIn(email, 'wrong');
    expect(response.status).toBe(401);
    expect(html).toContain('Incorrect email or password.');
    expect(html).not.toContain('<script>alert(1)</script>');
    const wrongPassword = await logIn(DEMO_SEED.users.plus, 'not-instacart');
    expect(wrongPassword.response.status).toBe(401);
  });

  it('refuses a deactivated account', async () => {
    t.emulator.updateInstacartUser(1, { active: false });
    const { response, html } = await logIn();
    expect(response.status).toBe(403);
    expect(html).toContain('disabled');
  });

  it('rotates the session on log-in and then shows the consent page', async () => {
    await browse(authorizeUrl());
    const before = [...cookies.values()][0];
    const { response } = await logIn();
    expect(response.status).toBe(303);
    expect([...cookies.values()][0]).not.toBe(before);
    const page = await browse(String(response.headers.get('location')));
    expect(page.html).toContain('<title>Authorization Required</title>');
    expect(page.html).toContain('Corner Market can read your name, email, and make requests on your behalf');
    expect(page.html).toMatch(/<button[^>]*value="allow">Allow<\/button>/);
    expect(page.html).toMatch(/<button[^>]*value="deny">Deny<\/button>/);
    expect(page.response.headers.get('content-security-policy')).toMatch(
      /form-action 'self' http:\/\/localhost:3000$/,
    );
  });

  it('goes straight to consent for a customer already logged in', async () => {
    await logIn();
    const again = await browse(authorizeUrl({ state: 'second' }));
    expect(again.html).toContain('Authorization Required');
    expect(again.html).not.toContain('Log in</button>');
  });

  it('lets the customer switch accounts', async () => {
    const loggedIn = await logIn();
    const page = await browse(String(loggedIn.response.headers.get('location')));
    const out = await browse('/oauth/logout', {
      csrf_token: hidden(page.html, 'csrf_token'),
      authorization_id: hidden(page.html, 'authorization_id'),
    });
    expect(out.response.status).toBe(303);
    const back = await browse(String(out.response.headers.get('location')));
    expect(back.html).toContain('Log in</button>');
  });
});

describe('consent', () => {
  it('Allow redirects with a code and the state; the code links the consenting account', async () => {
    const { response } = await consent('allow');
    expect(response.status).toBe(303);
    const params = redirectParams(response);
    expect(params.get('state')).toBe('state-123');
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.has('iss')).toBe(false);
    const exchanged = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code: params.get('code'),
        redirect_uri: redirectUri,
      },
    });
    expect(exchanged.status).toBe(200);
    const token = await t.fulfillmentToken();
    const auth = { authorization: `Bearer ${token}` };
    await t.request('POST', '/v2/fulfillment/users', {
      headers: auth,
      body: { user_id: 'browser', first_name: 'B' },
    });
    await t.request('POST', '/v2/fulfillment/users/browser/link', {
      headers: auth,
      body: { linking_token: exchanged.body.access_token },
    });
    expect(t.emulator.getLinks()[0]?.instacartUserId).toBe(1);
  });

  it('Deny redirects with error=access_denied and the state', async () => {
    const { response } = await consent('deny');
    const params = redirectParams(response);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('state-123');
    expect(params.has('code')).toBe(false);
  });

  it('adds iss to both redirects when issuer_param is on', async () => {
    t.emulator.updateSettings({ issuerParam: true });
    expect(redirectParams((await consent('allow')).response).get('iss')).toBe(BASE);
    cookies.clear();
    expect(redirectParams((await consent('deny')).response).get('iss')).toBe(BASE);
  });

  it('binds the code to the PKCE challenge of the request', async () => {
    const verifier = 'v'.repeat(64);
    const url = authorizeUrl({
      code_challenge: await sha256Base64Url(verifier),
      code_challenge_method: 'S256',
    });
    const code = redirectParams((await consent('allow', url)).response).get('code');
    const body = {
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: clientSecret,
      code,
      redirect_uri: redirectUri,
    };
    const withoutVerifier = await t.request('POST', '/v2/oauth/token', { body });
    expect(withoutVerifier.body.error).toBe('invalid_grant');
    const url2 = authorizeUrl({
      code_challenge: await sha256Base64Url(verifier),
      code_challenge_method: 'S256',
    });
    const code2 = redirectParams((await consent('allow', url2)).response).get('code');
    const ok = await t.request('POST', '/v2/oauth/token', {
      body: { ...body, code: code2, code_verifier: verifier },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a wrong CSRF token, a missing session, a foreign origin and a replay', async () => {
    const loggedIn = await logIn();
    const page = await browse(String(loggedIn.response.headers.get('location')));
    const form = {
      csrf_token: hidden(page.html, 'csrf_token'),
      authorization_id: hidden(page.html, 'authorization_id'),
      decision: 'allow',
    };
    const wrongCsrf = await browse('/oauth/decision', { ...form, csrf_token: 'forged' });
    expect(wrongCsrf.response.status).toBe(403);
    expect(wrongCsrf.response.headers.get('location')).toBeNull();
    const crossSite = await browse('/oauth/decision', form, { origin: 'http://evil.test' });
    expect(crossSite.response.status).toBe(403);
    const saved = new Map(cookies);
    cookies.clear();
    const noSession = await browse('/oauth/decision', form);
    expect(noSession.response.status).toBe(403);
    cookies = saved;
    const ok = await browse('/oauth/decision', form);
    expect(ok.response.status).toBe(303);
    const replay = await browse('/oauth/decision', form);
    expect(replay.response.status).toBe(400);
    expect(replay.response.headers.get('location')).toBeNull();
  });

  it("refuses another session's pending authorization", async () => {
    const loggedIn = await logIn();
    const page = await browse(String(loggedIn.response.headers.get('location')));
    const victimAuthorization = hidden(page.html, 'authorization_id');
    cookies.clear();
    const attacker = await logIn(DEMO_SEED.users.basic);
    const attackerPage = await browse(String(attacker.response.headers.get('location')));
    const result = await browse('/oauth/decision', {
      csrf_token: hidden(attackerPage.html, 'csrf_token'),
      authorization_id: victimAuthorization,
      decision: 'allow',
    });
    expect(result.response.status).toBe(400);
  });
});
