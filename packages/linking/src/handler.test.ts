import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinkingExpressMiddleware } from './adapters/express';
import { createLinkingHonoApp } from './adapters/hono';
import { createLinkingHandler, type LinkingHandlerOptions } from './handler';
import { createLinkingFixture, type LinkingFixture, readAuthorizationUrl } from './test-support/fake-connect';

const SHOP = 'https://shop.example';
const sessions: Record<string, { sessionId: string; userId: string }> = {
  'cookie-alex': { sessionId: 'session-alex', userId: 'user-alex' },
  'cookie-blair': { sessionId: 'session-blair', userId: 'user-blair' },
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

  it('completes a link posted from the page', async () => {
    const status = (await (await handle(get('/cartlink/status'))).json()) as { authorizationUrl: string };
    const { state, codeChallenge } = readAuthorizationUrl(status.authorizationUrl);
    const code = f.fake.issueCode(1, { codeChallenge });
    const response = await handle(post('/cartlink/link', { code, state }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'linked', status: { state: 'linked-active' } });
  });

  it('does not echo error_description', async () => {
    const status = (await (await handle(get('/cartlink/status'))).json()) as { authorizationUrl: string };
    const { state } = readAuthorizationUrl(status.authorizationUrl);
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

    it('serves status and link through a real Express server, with bodies and headers intact', async () => {
      const status = (await (
        await fetch(`${base}/cartlink/status`, { headers: { cookie: 'sid=cookie-alex' } })
      ).json()) as {
        state: string;
        authorizationUrl: string;
      };
      expect(status.state).toBe('unlinked');
      const { state, codeChallenge } = readAuthorizationUrl(status.authorizationUrl);
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
