/**
 * The authorization endpoint: Instacart's log-in form, then the "Authorization Required" consent
 * page, then the redirect back to the retailer with a code (Allow) or `access_denied` (Deny).
 *
 * Validation order (RFC 6749 §4.1.2.1): an unknown or disabled `client_id` or an unregistered
 * `redirect_uri` gets an error page and never a redirect, since the redirect target itself is
 * untrusted (or, for a disabled application, no longer the retailer's to use); every other problem
 * is reported to the (now trusted) redirect URI.
 *
 * Forms carry the session's CSRF token and the id of a pending authorization stored server-side,
 * so the parameters shown on the consent page are the ones the code is bound to.
 *
 * @see docs/connect-api.md §1; RFC 6749 §4.1; RFC 7636; RFC 9207
 */
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { getPeer } from '../admin-guard.js';
import { appendQuery, checkPkceParameters } from '../authorization.js';
import { readForm } from '../body.js';
import type { AppEnv, EmulatorContext } from '../context.js';
import type { InstacartUser, OAuthApp } from '../domain.js';
import { html, renderPage, type SafeHtml } from '../html.js';
import { timingSafeEqualString } from '../random.js';
import { redirectResponse } from '../responses.js';
import { type BrowserSession, type PendingAuthorization, sessionCookieName } from '../sessions.js';

const MAX_STATE_LENGTH = 2048;

function sessionCookie(session: BrowserSession, secure: boolean): string {
  return `${sessionCookieName(secure)}=${session.id}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

function errorPage(message: string, status = 400, headers: Record<string, string> = {}): Response {
  return renderPage({
    title: 'Authorization error',
    status,
    headers,
    body: html`<h1>Authorization error</h1>
<p class="error" role="alert">${message}</p>
<p class="muted">Go back to the store and try linking your account again.</p>`,
  });
}

function disabledMessage(app: OAuthApp): string {
  return `${app.name} (client_id ${app.clientId}) is disabled and cannot link Instacart accounts.`;
}

function hiddenFields(session: BrowserSession, pending: PendingAuthorization): SafeHtml {
  return html`<input type="hidden" name="csrf_token" value="${session.csrfToken}">
<input type="hidden" name="authorization_id" value="${pending.id}">`;
}

function loginPage(
  app: OAuthApp,
  session: BrowserSession,
  pending: PendingAuthorization,
  options: { error?: string; email?: string; status?: number; headers?: Record<string, string> } = {},
): Response {
  return renderPage({
    title: 'Log in to Instacart',
    status: options.status ?? 200,
    headers: options.headers ?? {},
    body: html`<h1>Log in to Instacart</h1>
<p class="muted">to link your Instacart account with ${app.name}</p>
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<form method="post" action="/oauth/login">
${hiddenFields(session, pending)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${options.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions"><button class="primary" type="submit">Log in</button></div>
</form>`,
  });
}

function consentPage(
  app: OAuthApp,
  user: InstacartUser,
  session: BrowserSession,
  pending: PendingAuthorization,
  headers: Record<string, string>,
): Response {
  return renderPage({
    title: 'Authorization Required',
    headers,
    formActionOrigins: [new URL(pending.redirectUri).origin],
    body: html`<h1>Authorization Required</h1>
<p>${app.name} can read your name, email, and make requests on your behalf</p>
<p class="muted">Logged in to Instacart as ${user.email}</p>
<form method="post" action="/oauth/decision">
${hiddenFields(session, pending)}
<div class="actions">
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<form method="post" action="/oauth/logout">
${hiddenFields(session, pending)}
<p><button class="link" type="submit">Use another Instacart account</button></p>
</form>`,
  });
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are one client. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Names that appear more than once in a query (RFC 6749 §3.1: parameters must not repeat). */
function repeatedNames(params: URLSearchParams): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return repeated;
}

/** Registers `GET /oauth/authorize` and the forms it posts to. */
export function registerAuthorizeRoutes(app: Hono<AppEnv>, ctx: EmulatorContext): void {
  function liveUser(session: BrowserSession): InstacartUser | undefined {
    if (session.instacartUserId === null) return undefined;
    const user = ctx.state.instacartUsers.get(session.instacartUserId);
    return user?.active ? user : undefined;
  }

  function redirectToClient(
    redirectUri: string,
    params: Record<string, string | null | undefined>,
    status: 302 | 303,
  ): Response {
    // RFC 9207: when switched on, both success and error redirects name the issuer.
    const iss = ctx.settings.issuerParam ? ctx.issuer() : undefined;
    return redirectResponse(appendQuery(redirectUri, { ...params, iss }), status);
  }

  /**
   * The checks every form post shares: a live session from the cookie, a same-origin post, the
   * session's CSRF token, and a pending authorization of this session.
   */
  async function readSessionForm(
    c: Context<AppEnv>,
  ): Promise<
    | { ok: true; session: BrowserSession; pending: PendingAuthorization; fields: Map<string, string> }
    | { ok: false; response: Response }
  > {
    const nowMs = ctx.clock.nowMs();
    const form = await readForm(c.req.raw);
    if (!form.ok)
      return { ok: false, response: errorPage(form.message, form.failure === 'too_large' ? 413 : 400) };
    const session = ctx.sessions.get(
      getCookie(c, sessionCookieName(new URL(c.req.url).protocol === 'https:')),
      nowMs,
    );
    if (!session) {
      return {
        ok: false,
        response: errorPage('Your Instacart session has expired. Please start again.', 403),
      };
    }
    // Defence in depth beside the CSRF token. Under `Referrer-Policy: no-referrer` Chromium sends
    // `Origin: null` even for same-origin posts, so `null` is no evidence either way; Fetch
    // Metadata, where sent, is.
    const origin = c.req.header('origin');
    const fetchSite = c.req.header('sec-fetch-site');
    if (
      (origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin) ||
      (fetchSite !== undefined && fetchSite !== 'same-origin')
    ) {
      return { ok: false, response: errorPage('This form was posted from another site.', 403) };
    }
    if (!timingSafeEqualString(form.value.get('csrf_token') ?? '', session.csrfToken)) {
      return { ok: false, response: errorPage('This form has expired. Please start again.', 403) };
    }
    const pending = ctx.sessions.getPending(form.value.get('authorization_id'), session.id, nowMs);
    if (!pending) {
      return {
        ok: false,
        response: errorPage('This authorization request has expired. Please start again.'),
      };
    }
    return { ok: true, session, pending, fields: form.value };
  }

  app.get('/oauth/authorize', (c) => {
    const nowMs = ctx.clock.nowMs();
    const url = new URL(c.req.url);
    const params = url.searchParams;
    const repeated = repeatedNames(params);

    // Until client and redirect URI are trusted, nothing may be sent to the redirect URI.
    if (repeated.has('client_id') || repeated.has('redirect_uri')) {
      return errorPage('The client_id or redirect_uri parameter is repeated.');
    }
    const clientId = params.get('client_id');
    if (!clientId) return errorPage('The client_id parameter is missing.');
    const client = ctx.state.apps.get(clientId);
    if (!client) return errorPage(`Unknown client_id: ${clientId}`);
    if (client.status !== 'enabled') return errorPage(disabledMessage(client));
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) return errorPage('The redirect_uri parameter is missing.');
    if (!client.redirectUris.includes(redirectUri)) {
      return errorPage(`The redirect_uri is not registered for ${client.name}: ${redirectUri}`);
    }

    const state = repeated.has('state') ? null : params.get('state');
    const fail = (error: string, description: string) =>
      redirectToClient(redirectUri, { error, error_description: description, state }, 302);
    if (repeated.size > 0) return fail('invalid_request', `Repeated parameter: ${[...repeated].join(', ')}.`);
    const responseType = params.get('response_type');
    if (!responseType) return fail('invalid_request', 'response_type is required.');
    if (responseType !== 'code') return fail('unsupported_response_type', 'response_type must be code.');
    if (params.get('scope') !== 'account_linking')
      return fail('invalid_scope', 'scope must be account_linking.');
    if (!client.scopes.includes('account_linking'))
      return fail('invalid_scope', 'The application may not request account_linking.');
    if (state !== null && state.length > MAX_STATE_LENGTH)
      return fail('invalid_request', 'state is too long.');
    const pkce = checkPkceParameters(
      params.get('code_challenge') ?? undefined,
      params.get('code_challenge_method') ?? undefined,
      ctx.settings.requirePkce,
    );
    if (!pkce.ok) return fail('invalid_request', pkce.description);

    const existing = ctx.sessions.get(
      getCookie(c, sessionCookieName(new URL(c.req.url).protocol === 'https:')),
      nowMs,
    );
    const session = existing ?? ctx.sessions.create(nowMs);
    const headers: Record<string, string> = existing
      ? {}
      : { 'set-cookie': sessionCookie(session, url.protocol === 'https:') };
    const pending = ctx.sessions.addPending(
      {
        sessionId: session.id,
        clientId,
        redirectUri,
        state,
        codeChallenge: pkce.codeChallenge,
        query: url.search,
      },
      nowMs,
    );
    const user = liveUser(session);
    if (!user) return loginPage(client, session, pending, { headers });
    return consentPage(client, user, session, pending, headers);
  });

  app.post('/oauth/login', async (c) => {
    const read = await readSessionForm(c);
    if (!read.ok) return read.response;
    const { session, pending, fields } = read;
    const client = ctx.state.apps.get(pending.clientId);
    if (!client) return errorPage('This application is no longer registered.');
    if (client.status !== 'enabled') return errorPage(disabledMessage(client));
    const email = fields.get('email') ?? '';
    const password = fields.get('password') ?? '';
    // Counted before the (slow) password check, for any email, so that the answer does not tell
    // whether an account exists. In process there is no socket: all such callers are one client.
    const peer = getPeer(c);
    const attempt = await ctx.loginThrottle.begin(
      peer.inProcess ? 'in-process' : normalizeAddress(peer.address ?? 'unknown'),
      email,
    );
    if (!attempt.allowed) {
      const minutes = Math.ceil(attempt.retryAfterSeconds / 60);
      return loginPage(client, session, pending, {
        error: `Too many log-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        email,
        status: 429,
        headers: { 'retry-after': String(attempt.retryAfterSeconds) },
      });
    }
    const account = ctx.state.findInstacartUserByEmail(email);
    // The decoy keeps the answer time the same whether or not the email has an account.
    const valid = await ctx.passwords.verify(password, account?.passwordHash ?? ctx.passwords.decoyHash());
    if (account && valid) await ctx.loginThrottle.succeeded(email);
    if (!account || !valid) {
      return loginPage(client, session, pending, {
        error: 'Incorrect email or password.',
        email,
        status: 401,
      });
    }
    if (!account.active) {
      return loginPage(client, session, pending, {
        error: 'This Instacart account is disabled.',
        email,
        status: 403,
      });
    }
    const next = ctx.sessions.rotate(session, account.id, ctx.clock.nowMs());
    const response = redirectResponse(`/oauth/authorize${pending.query}`, 303);
    response.headers.append('set-cookie', sessionCookie(next, new URL(c.req.url).protocol === 'https:'));
    return response;
  });

  app.post('/oauth/logout', async (c) => {
    const read = await readSessionForm(c);
    if (!read.ok) return read.response;
    const next = ctx.sessions.rotate(read.session, null, ctx.clock.nowMs());
    const response = redirectResponse(`/oauth/authorize${read.pending.query}`, 303);
    response.headers.append('set-cookie', sessionCookie(next, new URL(c.req.url).protocol === 'https:'));
    return response;
  });

  app.post('/oauth/decision', async (c) => {
    const read = await readSessionForm(c);
    if (!read.ok) return read.response;
    const { session, pending, fields } = read;
    const user = liveUser(session);
    // Logged out (or disabled) since the consent page was shown: back to the log-in form.
    if (!user) return redirectResponse(`/oauth/authorize${pending.query}`, 303);
    const decision = fields.get('decision');
    if (decision !== 'allow' && decision !== 'deny') return errorPage('Choose Allow or Deny.');
    const client = ctx.state.apps.get(pending.clientId);
    if (!client?.redirectUris.includes(pending.redirectUri)) {
      return errorPage('This application or its redirect URI is no longer registered.');
    }
    // Disabled since the consent page was shown: no code, since it could not be exchanged anyway.
    if (client.status !== 'enabled') return errorPage(disabledMessage(client));
    ctx.sessions.deletePending(pending.id);
    if (decision === 'deny') {
      return redirectToClient(pending.redirectUri, { error: 'access_denied', state: pending.state }, 303);
    }
    const code = ctx.state.issueCode(
      {
        clientId: pending.clientId,
        redirectUri: pending.redirectUri,
        instacartUserId: user.id,
        codeChallenge: pending.codeChallenge,
      },
      ctx.clock.nowMs(),
    );
    return redirectToClient(pending.redirectUri, { code, state: pending.state }, 303);
  });
}
