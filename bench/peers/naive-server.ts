/**
 * @module The peer's server: a small `node:http` app a retailer writes from Instacart's how-to page
 * (docs/account-linking.md), with `naive-linking.ts` for the Connect calls.
 *
 * - Sessions: a SQLite table keyed by the SHA-256 of the cookie value, one prepared statement per
 *   lookup (the same kind of lookup as the storefront's, with less around it).
 * - `GET /profile`: the account profile page, rendered without the status; the status element fetches
 *   it after the page has loaded ("pass the customer's ID to your server", "Update the status
 *   element"), with the same elements bundle, stylesheet, icon and script as the storefront's page.
 * - `GET /status`: the seed's get-account-information call, with a fresh fulfillment token each time;
 *   unlinked, a random CSRF token is stored in the session and the authorization URL carries it.
 * - `POST /link`: compares `state` with the session's token (constant time, single use), then the
 *   seed's four-call sequence.
 *
 * Bench-only control over IPC: `create-session`, `stop`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { announceReady, serveControl } from '../servers/control';
import { createNaiveIntegration } from './naive-linking';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const connectBaseUrl = env('PEER_CONNECT_BASE_URL');
const authUrl = env('PEER_CONNECT_AUTH_URL');
const clientId = env('PEER_CLIENT_ID');
const clientSecret = env('PEER_CLIENT_SECRET');
const instacartWebUrl = env('PEER_INSTACART_WEB_URL');
const elementsCode = readFileSync(env('BENCH_ELEMENTS_BUNDLE'), 'utf8');
// The same page weight as the storefront's profile page: its stylesheet, icon and small script, so that
// step 5 compares the two ways of getting the status, not two page designs. Their folder comes from the
// runner: this file runs compiled into the run's temporary directory.
const shopAssets = new Map(
  (
    [
      ['storefront.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
      ['storefront.js', 'text/javascript; charset=utf-8'],
    ] as const
  ).map(([file, type]) => [
    `/assets/${file}`,
    {
      type,
      body: readFileSync(join(env('PEER_ASSETS_DIR'), file), 'utf8'),
    },
  ]),
);
const COOKIE = 'peer_session';

const db = new Database(':memory:');
db.exec(`CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  first_name TEXT NOT NULL,
  link_state TEXT,
  expires_at INTEGER NOT NULL
)`);
const insertSession = db.prepare(
  'INSERT INTO sessions (id_hash, user_id, first_name, expires_at) VALUES (?, ?, ?, ?)',
);
const selectSession = db.prepare<
  [string],
  { id_hash: string; user_id: string; first_name: string; link_state: string | null; expires_at: number }
>('SELECT id_hash, user_id, first_name, link_state, expires_at FROM sessions WHERE id_hash = ?');
const updateLinkState = db.prepare('UPDATE sessions SET link_state = ? WHERE id_hash = ?');

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

function readSession(request: IncomingMessage) {
  const header = request.headers.cookie ?? '';
  const match = header.split(';').find((part) => part.trim().startsWith(`${COOKIE}=`));
  if (!match) return null;
  const row = selectSession.get(hash(match.trim().slice(COOKIE.length + 1)));
  return row && row.expires_at > Date.now() ? row : null;
}

// Known once listening: the profile page on this server's port is the registered redirect URI.
let redirectUri = '';
let integration: ReturnType<typeof createNaiveIntegration>;

const manageUrl = `${instacartWebUrl}/store/account/instacart-plus`;
const joinUrl = `${instacartWebUrl}/signup?next=${encodeURIComponent('/store/account/instacart-plus')}`;

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  response.end(body);
}
const sendJson = (response: ServerResponse, status: number, body: unknown) =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const PROFILE_PAGE = `<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your account</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/storefront.css">
<script type="module" src="/assets/cartlink-elements.js"></script>
<script type="module" src="/assets/storefront.js"></script>
</head>
<body>
<main id="main" class="wrap">
<h1>Your account</h1>
<section class="instacart">
<h2>Instacart+</h2>
<p class="badge badge-linked" data-linked-indicator hidden>Linked to Instacart</p>
<cartlink-status status-src="/status" link-endpoint="/link" dialog="cartlink-dialog" locale="en-US"
  shop-name="Peer Market" manage-url="${manageUrl}" join-url="${joinUrl}"></cartlink-status>
</section>
</main>
<cartlink-result-dialog id="cartlink-dialog" locale="en-US" shop-name="Peer Market"></cartlink-result-dialog>
</body>
</html>`;

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/assets/cartlink-elements.js') {
    return send(response, 200, 'text/javascript; charset=utf-8', elementsCode);
  }
  const asset = request.method === 'GET' ? shopAssets.get(path ?? '') : undefined;
  if (asset) return send(response, 200, asset.type, asset.body);
  const session = readSession(request);
  if (!session) return sendJson(response, 401, { error: 'not signed in' });

  if (request.method === 'GET' && path === '/profile') {
    return send(response, 200, 'text/html; charset=utf-8', PROFILE_PAGE);
  }
  if (request.method === 'GET' && path === '/status') {
    try {
      const status = await integration.getStatus(session.user_id);
      // The seed read literally: every unlinked status writes a state and hands out the URL. (Ours
      // starts a link only on POST /cartlink/authorize; the runner reads this URL directly, and the
      // elements bundle on this page no longer follows it, so its Link button is never pressed here.)
      let authorizationUrl: string | null = null;
      if (status.state === 'unlinked') {
        // "Use a cryptographic library to create a random, unique CSRF prevention token and associate
        // it with the user session."
        const state = randomBytes(32).toString('base64url');
        updateLinkState.run(state, session.id_hash);
        const url = new URL(authUrl);
        url.search = new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          scope: 'account_linking',
          state,
          redirect_uri: redirectUri,
        }).toString();
        authorizationUrl = url.toString();
      }
      return sendJson(response, 200, { ...status, authorizationUrl, manageUrl, joinUrl });
    } catch {
      return sendJson(response, 200, {
        state: 'unavailable',
        expiredAt: null,
        authorizationUrl: null,
        manageUrl,
        joinUrl,
      });
    }
  }
  if (request.method === 'POST' && path === '/link') {
    const body = JSON.parse((await readBody(request)) || '{}') as { code?: string; state?: string };
    const expected = session.link_state;
    updateLinkState.run(null, session.id_hash);
    const given = Buffer.from(body.state ?? '');
    if (
      !expected ||
      !body.code ||
      given.length !== expected.length ||
      !timingSafeEqual(given, Buffer.from(expected))
    ) {
      return sendJson(response, 200, { outcome: 'state-invalid' });
    }
    try {
      const linked = await integration.link(session.user_id, body.code, session.first_name);
      return sendJson(response, 200, { outcome: linked ? 'linked' : 'failed' });
    } catch {
      return sendJson(response, 200, { outcome: 'unavailable' });
    }
  }
  return sendJson(response, 404, { error: 'not found' });
}

const server = createServer((request, response) => {
  route(request, response).catch(() => {
    if (!response.headersSent) sendJson(response, 500, { error: 'internal' });
  });
});
// Same backlog as the storefront's bench server (see servers/emulator.ts).
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
redirectUri = `${url}/profile`;
integration = createNaiveIntegration({ baseUrl: connectBaseUrl, clientId, clientSecret, redirectUri });

serveControl({
  'create-session': (args) => {
    const { userId, firstName } = args as { userId: string; firstName: string };
    const id = randomBytes(32).toString('base64url');
    insertSession.run(hash(id), userId, firstName, Date.now() + 2 * 3600_000);
    return `${COOKIE}=${id}`;
  },
  counters: () => integration.counters,
  stop: () => {
    server.closeAllConnections();
    server.close();
    setImmediate(() => process.exit(0));
    return null;
  },
});
announceReady(url);
