import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLinkingExpressMiddleware } from './express.js';
import { createLinkingHandler, type LinkingHandlerOptions, type LinkingRequestSubject } from './handler.js';
import { createLinkingHonoApp } from './hono.js';
import {
  AUTH_ENDPOINT,
  CLIENT_ID,
  createLinkingFixture,
  type LinkingFixture,
  REDIRECT_URI,
  readAuthorizationUrl,
} from './test-support/fake-connect.js';

const SHOP = 'https://shop.example';
const ALEX_CSRF = 'csrf-alex-3f9a7c1e0b5d4e2a9c8b7a6f5e4d3c2b1a0f9e8d7c6';
const BLAIR_CSRF = 'csrf-blair-0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5';
const sessions: Record<string, LinkingRequestSubject> = {
  'cookie-alex': { sessionId: 'session-alex', userId: 'user-alex', csrfToken: ALEX_CSRF },
  'cookie-blair': { sessionId: 'session-blair', userId: 'user-blair', csrfToken: BLAIR_CSRF },
  // A host that supplies no CSRF token for this session.
  'cookie-casey': { sessionId: 'session-casey', userId: 'user-casey' },
};

let f: LinkingFixture;
let options: LinkingHandlerOptions;
let handle: (request: Request) => Promise<Response>;

beforeEach(async () => {
  f = await createLinkingFixture();
  options = {
    linking: f.linking,
    allowedOrigins: [SHOP],
    getSubject: async (request) => {
      const cookie = /sid=([\w-]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return (cookie && sessions[cookie]) || null;
    },
  };
  handle = createLinkingHandler(options);
});
afterEach(async () => {
  await f.close();
});

function get(path: string, cookie = 'cookie-alex'): Request {
  return new Request(`${SHOP}${path}`, { headers: { cookie: `sid=${cookie}` } });
}

/** The "Link Instacart account" form as a browser posts it from the shop's own page. */
function authorizeForm(
  fields: string | Record<string, string> = { _csrf: ALEX_CSRF },
  headers: Record<string, string> = {},
  cookie = 'cookie-alex',
): Request {
  return new Request(`${SHOP}/cartlink/authorize`, {
    method: 'POST',
    headers: {
      cookie: `sid=${cookie}`,
      origin: SHOP,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  });
}

/** Presses "Link Instacart account" and returns the state and challenge Instacart receives. */
async function startLink(): Promise<{ state: string; codeChallenge: string | null }> {
  const response = await handle(authorizeForm());
  expect(response.status).toBe(303);
  return readAuthorizationUrl(response.headers.get('location'));
}

async function countLinkTransactions(): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from cartlink_link_transactions`.execute(f.db);
  return Number(result.rows[0]?.n);
}

function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  cookie = 'cookie-alex',
): Request {
  return new Request(`${SHOP}${path}`, {
    method: 'POST',
    headers: { cookie: `sid=${cookie}`, origin: SHOP, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('the linking handler', () => {
  it('answers the status of the session user as JSON that nothing caches', async () => {
    f.fake.users.set('user-alex', { linkedTo: 1, active: true });
    const response = await handle(get('/cartlink/status'));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await response.json()).toMatchObject({ state: 'linked-active' });
  });

  it("adds the host's headers to every answer, JSON, error or redirect, its own policy winning", async () => {
    const withHost = createLinkingHandler({
      ...options,
      headers: {
        'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
        'Content-Security-Policy': "default-src 'self'",
        'Referrer-Policy': 'strict-origin-when-cross-origin',
      },
    });
    const answers = [
      await withHost(get('/cartlink/status')),
      await withHost(new Request(`${SHOP}/cartlink/status`)),
      await withHost(new Request(`${SHOP}/cartlink/status`, { method: 'DELETE' })),
      await withHost(authorizeForm()),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 401, 405, 303]);
    for (const answer of answers) {
      expect(answer.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect(answers[2]?.headers.get('allow')).toBe('GET');
  });

  it('reads the endpoint from the path alone, whatever the query or fragment', async () => {
    f.fake.users.set('user-alex', { linkedTo: 1, active: true });
    const withQuery = await handle(get('/cartlink/status?next=/cartlink/verify#/cartlink/link'));
    expect(await withQuery.json()).toMatchObject({ state: 'linked-active' });
    expect((await handle(get('/cartlink/statusx?/cartlink/status'))).status).toBe(404);
    expect((await handle(get('/cartlink?/cartlink/status'))).status).toBe(404);
  });

  it('never lets an id sent by the browser choose the subject', async () => {
    f.fake.users.set('user-blair', { linkedTo: 1, active: true });
    const response = await handle(get('/cartlink/status?user_id=user-blair&userId=user-blair'));
    expect(await response.json()).toMatchObject({ state: 'unlinked' });
    const refused = await handle(post('/cartlink/link', { state: 'x', user_id: 'user-blair' }));
    expect(refused.status).toBe(400);
  });

  it('answers 401 without a session', async () => {
    const response = await handle(new Request(`${SHOP}/cartlink/status`));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'not_signed_in', message: 'Sign in first' } });
  });

  it('answers a status without an authorization URL, and writes no link transaction in a hundred reads', async () => {
    for (let read = 0; read < 100; read++) {
      const response = await handle(get('/cartlink/status'));
      expect(await response.json()).not.toHaveProperty('authorizationUrl');
    }
    expect(
      await handle(
        new Request(`${SHOP}/cartlink/status`, { method: 'HEAD', headers: { cookie: 'sid=cookie-alex' } }),
      ).then((r) => r.status),
    ).toBe(200);
    expect(await countLinkTransactions()).toBe(0);
  });

  it('completes a link started from the form and posted from the page', async () => {
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    const response = await handle(post('/cartlink/link', { code, state }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'linked', status: { state: 'linked-active' } });
  });

  it('does not echo error_description', async () => {
    const { state } = await startLink();
    const response = await handle(
      post('/cartlink/link', {
        state,
        error: 'access_denied',
        error_description: '<script>alert(1)</script>',
      }),
    );
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ outcome: 'cancelled' });
    expect(text).not.toContain('script');
  });

  it('verifies with a fresh Connect call', async () => {
    f.fake.users.set('user-alex', { linkedTo: 1, active: true });
    await handle(get('/cartlink/status'));
    await handle(post('/cartlink/verify', {}));
    expect(f.fake.count('status')).toBe(2);
  });

  describe('refuses cross-site requests', () => {
    it.each(['/cartlink/link', '/cartlink/verify'])('%s from another origin', async (path) => {
      const response = await handle(post(path, { state: 'x' }, { origin: 'https://evil.example' }));
      expect(response.status).toBe(403);
      expect(f.fake.calls).toEqual([]);
    });

    it('without Origin unless Sec-Fetch-Site says same-origin', async () => {
      const verify = (headers: Record<string, string>) =>
        handle(
          new Request(`${SHOP}/cartlink/verify`, {
            method: 'POST',
            headers: { cookie: 'sid=cookie-alex', 'content-type': 'application/json', ...headers },
            body: '{}',
          }),
        );
      expect((await verify({})).status).toBe(403);
      expect((await verify({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await verify({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
      expect((await verify({ 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    });

    it('sent as a form (a content type a page may send cross-site without CORS)', async () => {
      const response = await handle(
        post('/cartlink/link', 'state=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      );
      expect(response.status).toBe(415);
    });
  });

  it('changes nothing on GET: link and verify answer 405', async () => {
    expect((await handle(get('/cartlink/link?code=c&state=s'))).status).toBe(405);
    expect((await handle(get('/cartlink/verify'))).status).toBe(405);
    expect(f.fake.calls).toEqual([]);
    const wrong = await handle(post('/cartlink/status', {}));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it.each([
    ['malformed JSON', '{"state":', 400],
    ['a wrong type', { state: 42 }, 400],
    ['an unknown field', { state: 'x', extra: 1 }, 400],
    ['an oversized body', { state: 'x'.repeat(10_000) }, 413],
    ['an oversized state', { state: 'x'.repeat(600) }, 400],
  ])('refuses %s', async (_name, body, status) => {
    const response = await handle(post('/cartlink/link', body));
    expect(response.status).toBe(status);
    expect(await response.json()).toHaveProperty('error.code');
  });

  it('answers 404 outside its routes', async () => {
    expect((await handle(get('/cartlink/unknown'))).status).toBe(404);
    expect((await handle(get('/elsewhere'))).status).toBe(404);
  });
});

describe('POST /cartlink/authorize', () => {
  it('starts a link: 303 to the authorization URL with a fresh state and PKCE challenge, one transaction', async () => {
    const response = await handle(authorizeForm());
    expect(response.status).toBe(303);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const url = new URL(response.headers.get('location') ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(AUTH_ENDPOINT);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      scope: 'account_linking',
      redirect_uri: REDIRECT_URI,
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await countLinkTransactions()).toBe(1);
    const second = readAuthorizationUrl((await handle(authorizeForm())).headers.get('location'));
    expect(second.state).not.toBe(url.searchParams.get('state'));
    expect(await countLinkTransactions()).toBe(2);
    // Starting asks nothing of Connect.
    expect(f.fake.calls).toEqual([]);
  });

  it.each([
    ['Origin: null and Sec-Fetch-Site: same-origin (a form on a no-referrer page)', { origin: 'null' }],
    ['no Origin and Sec-Fetch-Site: same-origin', { origin: '' }],
    ['no Origin and no Sec-Fetch-Site (an older client)', { origin: '', 'sec-fetch-site': '' }],
    ['Origin: null and no Sec-Fetch-Site', { origin: 'null', 'sec-fetch-site': '' }],
  ])('accepts the form with %s', async (_name, headers) => {
    const request = authorizeForm();
    for (const [name, value] of Object.entries(headers)) {
      if (value === '') request.headers.delete(name);
      else request.headers.set(name, value);
    }
    expect((await handle(request)).status).toBe(303);
  });

  describe('refuses a forged form (CSRF), writing nothing', () => {
    it.each([
      ['without a token', {}, 'csrf_token_invalid'],
      ['with an empty token', { _csrf: '' }, 'csrf_token_invalid'],
      ['with a wrong token', { _csrf: `${ALEX_CSRF.slice(0, -1)}x` }, 'csrf_token_invalid'],
      ["with another session's token", { _csrf: BLAIR_CSRF }, 'csrf_token_invalid'],
      ['with the token twice', `_csrf=${ALEX_CSRF}&_csrf=${ALEX_CSRF}`, 'csrf_token_invalid'],
    ])('%s', async (_name, fields, code) => {
      const limitLinkStart = vi.fn(async () => null);
      handle = createLinkingHandler({ ...options, limitLinkStart });
      const response = await handle(
        authorizeForm(fields as Record<string, string>, { accept: 'application/json' }),
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code } });
      expect(response.headers.get('location')).toBeNull();
      // A browser's form navigation is sent back to the profile page with the failure dialog (a page
      // left open past its session), never on to Instacart.
      const navigation = await handle(authorizeForm(fields as Record<string, string>));
      expect(navigation.status).toBe(303);
      expect(navigation.headers.get('location')).toBe(
        `${new URL(REDIRECT_URI).pathname}?cartlink_outcome=failed`,
      );
      expect(await countLinkTransactions()).toBe(0);
      // A forged post must not use up the shopper's link starts either.
      expect(limitLinkStart).not.toHaveBeenCalled();
    });

    it('when the host supplies no CSRF token for the session, whatever the form holds', async () => {
      for (const fields of [{ _csrf: '' }, { _csrf: 'anything' }, {}] as Record<string, string>[]) {
        const response = await handle(authorizeForm(fields, {}, 'cookie-casey'));
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ error: { code: 'csrf_token_unavailable' } });
      }
      expect(await countLinkTransactions()).toBe(0);
    });

    it.each([
      ['a foreign Origin', { origin: 'https://evil.example' }],
      [
        'a foreign Origin claiming same-origin',
        { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      ],
      ['Sec-Fetch-Site: cross-site with Origin: null', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: cross-site without Origin', { origin: '', 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: cross-site with our Origin', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site with Origin: null', { origin: 'null', 'sec-fetch-site': 'same-site' }],
    ])('sent cross-site: %s, even with the right token', async (_name, headers) => {
      const request = authorizeForm();
      for (const [name, value] of Object.entries(headers)) {
        if (value === '') request.headers.delete(name);
        else request.headers.set(name, value);
      }
      const response = await handle(request);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'cross_origin' } });
      expect(await countLinkTransactions()).toBe(0);
    });
  });

  it.each([
    ['application/json', JSON.stringify({ _csrf: ALEX_CSRF })],
    ['text/plain', `_csrf=${ALEX_CSRF}`],
    [
      'multipart/form-data; boundary=x',
      `--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${ALEX_CSRF}\r\n--x--`,
    ],
  ])('refuses a body sent as %s', async (contentType, body) => {
    const response = await handle(authorizeForm(body, { 'content-type': contentType }));
    expect(response.status).toBe(415);
    expect(await countLinkTransactions()).toBe(0);
  });

  it('refuses an oversized form', async () => {
    const response = await handle(authorizeForm({ _csrf: ALEX_CSRF, padding: 'x'.repeat(9000) }));
    expect(response.status).toBe(413);
  });

  it('refuses a chunked body once it passes the limit, without reading the rest', async () => {
    const piece = new TextEncoder().encode(`_csrf=${ALEX_CSRF}&padding=${'x'.repeat(4096)}`);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(piece);
      },
    });
    const request = new Request(`${SHOP}/cartlink/authorize`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: {
        cookie: 'sid=cookie-alex',
        origin: SHOP,
        'content-type': 'application/x-www-form-urlencoded',
      },
    } as RequestInit);
    const response = await handle(request);
    expect(response.status).toBe(413);
    // 8 KiB is passed by the third piece: the endless body was not read to its (non-existent) end.
    expect(pulled).toBeLessThanOrEqual(4);
    expect(await countLinkTransactions()).toBe(0);
  });

  it.each(['GET', 'HEAD'])('answers %s with 405 and writes nothing', async (method) => {
    const response = await handle(
      new Request(`${SHOP}/cartlink/authorize?_csrf=${ALEX_CSRF}`, {
        method,
        headers: { cookie: 'sid=cookie-alex' },
      }),
    );
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await countLinkTransactions()).toBe(0);
  });

  it('sends a signed-out Link form back to the profile page (which asks to sign in), scripts get 401', async () => {
    const signedOut = authorizeForm({ _csrf: ALEX_CSRF }, {}, 'cookie-nobody');
    const navigation = await handle(signedOut);
    expect(navigation.status).toBe(303);
    expect(navigation.headers.get('location')).toBe(new URL(REDIRECT_URI).pathname);
    const script = await handle(
      authorizeForm({ _csrf: ALEX_CSRF }, { accept: 'application/json' }, 'cookie-nobody'),
    );
    expect(script.status).toBe(401);
    expect(await countLinkTransactions()).toBe(0);
  });

  describe('when the host limits link starts', () => {
    /** Allows `limit` starts per user, then asks for a wait, like a host's rate limiter. */
    function limitTo(limit: number) {
      const starts = new Map<string, number>();
      return vi.fn(async (subject: { sessionId: string; userId: string }, _request: Request) => {
        const used = starts.get(subject.userId) ?? 0;
        if (used >= limit) return { retryAfterSeconds: 299.2 };
        starts.set(subject.userId, used + 1);
        return null;
      });
    }

    it('sends a browser back to the profile page with cartlink_outcome=throttled and Retry-After', async () => {
      const limitLinkStart = limitTo(3);
      handle = createLinkingHandler({ ...options, limitLinkStart });
      for (let start = 0; start < 3; start++) expect((await handle(authorizeForm())).status).toBe(303);
      const response = await handle(authorizeForm({ _csrf: ALEX_CSRF }, { accept: 'text/html,*/*;q=0.8' }));
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/account/profile?cartlink_outcome=throttled');
      expect(response.headers.get('retry-after')).toBe('300');
      expect(await countLinkTransactions()).toBe(3);
      // The limiter sees the session's shopper, never the CSRF token.
      expect(limitLinkStart).toHaveBeenLastCalledWith(
        { sessionId: 'session-alex', userId: 'user-alex' },
        expect.any(Request),
      );
      // Another shopper is not affected.
      expect((await handle(authorizeForm({ _csrf: BLAIR_CSRF }, {}, 'cookie-blair'))).status).toBe(303);
    });

    it('never sends the shopper off the shop, even when the redirect URI path reads as another host', async () => {
      await f.close();
      f = await createLinkingFixture({ redirectUri: 'https://shop.example//evil.example/profile' });
      handle = createLinkingHandler({ ...options, linking: f.linking, limitLinkStart: limitTo(0) });
      const throttled = await handle(authorizeForm());
      expect(throttled.headers.get('location')).toBe('/?cartlink_outcome=throttled');
      const stale = await handle(authorizeForm({ _csrf: 'stale' }));
      expect(stale.headers.get('location')).toBe('/?cartlink_outcome=failed');
      const signedOut = await handle(authorizeForm({ _csrf: ALEX_CSRF }, {}, 'cookie-nobody'));
      expect(signedOut.headers.get('location')).toBe('/');
    });

    it('answers 429 JSON with Retry-After to a client that accepts only JSON', async () => {
      handle = createLinkingHandler({ ...options, limitLinkStart: limitTo(0) });
      const response = await handle(authorizeForm({ _csrf: ALEX_CSRF }, { accept: 'application/json' }));
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('300');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        error: { code: 'throttled', message: expect.any(String) },
        retry_after_seconds: 300,
      });
      expect(await countLinkTransactions()).toBe(0);
    });

    it('keeps the redirect on the shop whatever the redirect URI names', async () => {
      await f.close();
      f = await createLinkingFixture({
        redirectUri: 'https://elsewhere.example/account/profile?tab=instacart',
      });
      handle = createLinkingHandler({ ...options, linking: f.linking, limitLinkStart: limitTo(0) });
      const response = await handle(authorizeForm());
      expect(response.headers.get('location')).toBe(
        '/account/profile?tab=instacart&cartlink_outcome=throttled',
      );
    });
  });
});

describe('the adapters', () => {
  it('serves the endpoints as a Hono sub-app, leaving other routes to the host app', async () => {
    f.fake.users.set('user-alex', { linkedTo: 2, active: true });
    const app = new Hono();
    app.route('/', createLinkingHonoApp(options));
    app.get('/', (c) => c.text('home'));
    expect(await (await app.request(get('/cartlink/status'))).json()).toMatchObject({
      state: 'linked-inactive',
    });
    expect(await (await app.request(get('/'))).text()).toBe('home');
  });

  it('mounts the endpoints under a base path given with a trailing slash', async () => {
    f.fake.users.set('user-alex', { linkedTo: 2, active: true });
    const app = new Hono();
    app.route('/', createLinkingHonoApp({ ...options, basePath: '/api/cartlink/' }));
    expect(await (await app.request(get('/api/cartlink/status'))).json()).toMatchObject({
      state: 'linked-inactive',
    });
    expect((await app.request(get('/cartlink/status'))).status).toBe(404);
  });

  describe('Express', () => {
    let server: Server;
    let base: string;
    beforeEach(async () => {
      const app = express();
      app.use(createLinkingExpressMiddleware({ ...options, allowedOrigins: ['http://shop.test'] }));
      app.get('/', (_req, res) => {
        res.send('home');
      });
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('serves status, authorize and link through a real Express server, with bodies and headers intact', async () => {
      const status = (await (
        await fetch(`${base}/cartlink/status`, { headers: { cookie: 'sid=cookie-alex' } })
      ).json()) as { state: string };
      expect(status.state).toBe('unlinked');
      const started = await fetch(`${base}/cartlink/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: 'sid=cookie-alex',
          origin: 'http://shop.test',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: ALEX_CSRF }),
      });
      expect(started.status).toBe(303);
      const { state, codeChallenge } = readAuthorizationUrl(started.headers.get('location'));
      const response = await fetch(`${base}/cartlink/link`, {
        method: 'POST',
        headers: {
          cookie: 'sid=cookie-alex',
          origin: 'http://shop.test',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ code: f.fake.issueCode(1, { codeChallenge }), state }),
      });
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ outcome: 'linked' });
      expect(await (await fetch(`${base}/`)).text()).toBe('home');
    });
  });
});
