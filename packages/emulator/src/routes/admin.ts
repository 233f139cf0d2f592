/**
 * The admin API under `/_emulator/` (docs/product.md, "Emulator admin API"), its HTML overview page and
 * the OpenAPI document. Snake_case JSON like Connect; errors in Connect's shape.
 *
 * Extensions beyond docs/product.md's table: `POST apps` (register or replace an OAuth application),
 * `POST authorizations` (the code "Allow" would issue, for tests that link without a browser),
 * `expired_at` as a date or a time relative to the emulator clock (`+365d`),
 * `GET faults`, `GET clock`, `DELETE requests`, `GET settings`, `latency_ms` in settings, the
 * optional `?client_id=` or `?retailer_id=` on `DELETE links/{user_id}` and
 * `PATCH connect-users/{user_id}`, and `GET openapi.json`.
 *
 * The application lifecycle (`GET apps`, `POST apps/{client_id}/clone`, `…/disable`, `…/enable`,
 * `DELETE apps/{client_id}`) follows the Developer Dashboard's "OAuth Applications" page
 * (docs.instacart.com/connect), as docs/product.md tables it.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { checkAdminWrite, getPeer, isAdminRequestAllowed, isReadOnlyMethod } from '../admin-guard.js';
import type {
  AppHasLiveTokensView,
  AppListView,
  AppView,
  ClonedAppView,
  ConnectUserView,
  EmulatorStateView,
  InstacartUserView,
  LinkView,
  SettingsView,
} from '../admin-types.js';
import { issueCodeAsIfAllowed } from '../authorization.js';
import { readOptionalJsonObject } from '../body.js';
import { formatConnectTime } from '../clock.js';
import type { AppEnv, EmulatorContext } from '../context.js';
import {
  type ConnectUser,
  DuplicateEmailError,
  type EmulatorState,
  getMembership,
  type InstacartUser,
  type Link,
  type OAuthApp,
  type Settings,
} from '../domain.js';
import { parseFaultInput } from '../faults.js';
import { html, renderPage } from '../html.js';
import { createOpenApiDocument } from '../openapi.js';
import { connectError, jsonResponse } from '../responses.js';
import {
  appBodySchema,
  authorizationBodySchema,
  cloneAppBodySchema,
  type FieldError,
  instacartUserBodySchema,
  instacartUserPatchSchema,
  resolveExpiryTime,
  settingsBodySchema,
  toFieldError,
} from '../validation.js';

// The bodies that a scenario can also hold are validated by the shared schemas of validation.ts;
// these two are the admin API's alone.
export const patchConnectUserSchema = z.strictObject({ active: z.boolean() });

export const clockSchema = z.union([
  z.strictObject({ advance_seconds: z.number().finite() }),
  z.strictObject({ now: z.iso.datetime({ offset: true }) }),
]);

/** An Instacart account without its password hash. */
export function instacartUserView(user: InstacartUser): InstacartUserView {
  return {
    id: user.id,
    email: user.email,
    phone: user.phone,
    instacartplus_member: user.instacartplusMember,
    expired_at: user.expiredAt === null ? null : formatConnectTime(user.expiredAt),
    active: user.active,
  };
}

/** An application as the admin API shows it: everything but its secret. */
export function appView(app: OAuthApp): AppView {
  return {
    client_id: app.clientId,
    retailer_id: app.retailerId,
    status: app.status,
    name: app.name,
    redirect_uris: [...app.redirectUris],
    scopes: [...app.scopes],
  };
}

/** An application as `GET apps` lists it, with its live tokens at `nowMs`. */
export function appListView(state: EmulatorState, app: OAuthApp, nowMs: number): AppListView {
  return { ...appView(app), live_tokens: state.liveTokens(app.clientId, nowMs).count };
}

/** A Connect user as the admin API shows it. */
export function connectUserView(user: ConnectUser): ConnectUserView {
  return {
    retailer_id: user.retailerId,
    client_id: user.clientId,
    user_id: user.userId,
    first_name: user.firstName,
    last_name: user.lastName,
    phone_number: user.phoneNumber,
    locale: user.locale,
    active: user.active,
  };
}

/** The emulator settings in snake_case. */
export function settingsView(settings: Settings): SettingsView {
  return {
    issuer_param: settings.issuerParam,
    require_pkce: settings.requirePkce,
    latency_ms: settings.latencyMs,
  };
}

/** A link as the admin API shows it. */
export function linkView(link: Link): LinkView {
  return {
    retailer_id: link.retailerId,
    client_id: link.clientId,
    user_id: link.userId,
    instacart_user_id: link.instacartUserId,
    linked_at: formatConnectTime(link.linkedAt),
  };
}

/**
 * `GET /_emulator/state`: everything but secrets (no client secret, password hash, code or token).
 * Nothing in it changes when only tokens are issued (no `live_tokens`: that is `GET apps`), so
 * reading Connect leaves it as it was.
 */
export function stateView(ctx: EmulatorContext): EmulatorStateView {
  const { state } = ctx;
  return {
    apps: [...state.apps.values()].map(appView),
    instacart_users: [...state.instacartUsers.values()].map(instacartUserView),
    connect_users: [...state.connectUsers.values()].map(connectUserView),
    links: [...state.links.values()].map(linkView),
  };
}

function validationError(error: FieldError): Response {
  return connectError(400, error.message, 1001, error.key);
}

function notFound(message: string, key: string): Response {
  return connectError(404, message, null, key);
}

/** Reads a JSON body (empty allowed) and validates it, or returns the 4xx to send. */
async function readBody<T>(
  c: Context<AppEnv>,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const parsed = await readOptionalJsonObject(c.req.raw);
  if (!parsed.ok) {
    return {
      ok: false,
      response: connectError(parsed.failure === 'too_large' ? 413 : 400, parsed.message, 1001, 'body'),
    };
  }
  const result = schema.safeParse(parsed.value);
  if (!result.success)
    return { ok: false, response: validationError(toFieldError(result.error, parsed.value)) };
  return { ok: true, value: result.data };
}

/** For calls that take no body: an empty body or `{}`, anything else is a 400 (or 413). */
async function readNoBody(c: Context<AppEnv>): Promise<Response | undefined> {
  const body = await readBody(c, z.strictObject({}));
  return body.ok ? undefined : body.response;
}

/**
 * A user id is unique per retailer only; `?retailer_id=`, or `?client_id=` for the retailer of that
 * application, makes the match exact; without either the single match across retailers is used, and
 * several matches are a 409.
 */
function pickOne<T extends { retailerId: string }>(
  state: EmulatorState,
  candidates: T[],
  query: { clientId: string | undefined; retailerId: string | undefined },
): { ok: true; value: T } | { ok: false; status: 404 | 409 } {
  let matching = candidates;
  if (query.clientId !== undefined) {
    const retailerId = state.retailerOf(query.clientId);
    matching = matching.filter((item) => item.retailerId === retailerId);
  }
  if (query.retailerId !== undefined) {
    matching = matching.filter((item) => item.retailerId === query.retailerId);
  }
  const [first] = matching;
  if (!first) return { ok: false, status: 404 };
  if (matching.length > 1) return { ok: false, status: 409 };
  return { ok: true, value: first };
}

const AMBIGUOUS = 'This user_id exists at several retailers; add ?retailer_id= or ?client_id=';

function retailerQuery(c: Context<AppEnv>) {
  return { clientId: c.req.query('client_id'), retailerId: c.req.query('retailer_id') };
}

function appNotFound(): Response {
  return notFound('Application not found', 'client_id');
}

/** Registers everything under `/_emulator/`. */
export function registerAdminRoutes(app: Hono<AppEnv>, ctx: EmulatorContext): void {
  const guard = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    const allowed = isAdminRequestAllowed({
      peer: getPeer(c),
      authorization: c.req.header('authorization'),
      adminToken: ctx.adminToken,
    });
    if (!allowed) {
      return connectError(
        403,
        'The emulator admin API answers loopback clients or the admin token only',
        null,
      );
    }
    if (!isReadOnlyMethod(c.req.method)) {
      const refusal = checkAdminWrite({
        origin: c.req.header('origin'),
        fetchSite: c.req.header('sec-fetch-site'),
        contentType: c.req.header('content-type'),
        // The origin the request was sent to (its host already passed the Host check) and the
        // public one, which differ behind a proxy that terminates TLS.
        ownOrigins: [
          new URL(c.req.url).origin,
          ...(URL.canParse(ctx.issuer()) ? [new URL(ctx.issuer()).origin] : []),
        ],
      });
      if (refusal) return connectError(refusal.status, refusal.message, null);
    }
    await next();
    return undefined;
  };
  app.use('/_emulator', guard);
  app.use('/_emulator/*', guard);

  app.post('/_emulator/reset', async (c) => {
    const refused = await readNoBody(c);
    if (refused) return refused;
    ctx.reset();
    return new Response(null, { status: 204 });
  });

  app.get('/_emulator/state', () => jsonResponse(stateView(ctx)));

  app.post('/_emulator/apps', async (c) => {
    const body = await readBody(c, appBodySchema);
    if (!body.ok) return body.response;
    const input = body.value;
    const { outcome, app: stored } = ctx.state.upsertApp({
      clientId: input.client_id,
      clientSecret: input.client_secret,
      name: input.name,
      redirectUris: input.redirect_uris,
      ...(input.retailer_id === undefined ? {} : { retailerId: input.retailer_id }),
      ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
    });
    return jsonResponse(appView(stored), outcome === 'created' ? 201 : 200);
  });

  app.get('/_emulator/apps', () => {
    const nowMs = ctx.clock.nowMs();
    return jsonResponse([...ctx.state.apps.values()].map((item) => appListView(ctx.state, item, nowMs)));
  });

  app.post('/_emulator/apps/:client_id/clone', async (c) => {
    const body = await readBody(c, cloneAppBodySchema);
    if (!body.ok) return body.response;
    const input = body.value;
    const cloned = ctx.state.cloneApp(c.req.param('client_id'), {
      ...(input.client_id === undefined ? {} : { clientId: input.client_id }),
      ...(input.client_secret === undefined ? {} : { clientSecret: input.client_secret }),
      ...(input.redirect_uris === undefined ? {} : { redirectUris: input.redirect_uris }),
    });
    if (!cloned.ok) {
      return cloned.reason === 'not_found'
        ? appNotFound()
        : connectError(409, 'An application with this client_id exists', 1001, 'client_id');
    }
    const answer: ClonedAppView = {
      client_id: cloned.app.clientId,
      client_secret: cloned.app.clientSecret,
      retailer_id: cloned.app.retailerId,
      status: cloned.app.status,
      redirect_uris: [...cloned.app.redirectUris],
      scopes: [...cloned.app.scopes],
    };
    return jsonResponse(answer, 201);
  });

  for (const [action, status] of [
    ['disable', 'disabled'],
    ['enable', 'enabled'],
  ] as const) {
    app.post(`/_emulator/apps/:client_id/${action}`, async (c) => {
      const refused = await readNoBody(c);
      if (refused) return refused;
      const changed = ctx.state.setAppStatus(c.req.param('client_id'), status);
      return changed ? jsonResponse(appListView(ctx.state, changed, ctx.clock.nowMs())) : appNotFound();
    });
  }

  app.delete('/_emulator/apps/:client_id', async (c) => {
    const refused = await readNoBody(c);
    if (refused) return refused;
    const deleted = ctx.state.deleteApp(c.req.param('client_id'), ctx.clock.nowMs());
    if (deleted.ok) return new Response(null, { status: 204 });
    if (deleted.reason === 'not_found') return appNotFound();
    const answer: AppHasLiveTokensView = {
      error: 'app_has_live_tokens',
      live_tokens: deleted.liveTokens.count,
      last_expires_at: new Date(deleted.liveTokens.lastExpiresAt ?? ctx.clock.nowMs()).toISOString(),
    };
    return jsonResponse(answer, 409);
  });

  app.post('/_emulator/instacart-users', async (c) => {
    const body = await readBody(c, instacartUserBodySchema);
    if (!body.ok) return body.response;
    const input = body.value;
    const nowMs = ctx.clock.nowMs();
    try {
      const user = ctx.state.createInstacartUser(
        {
          email: input.email,
          passwordHash: ctx.passwords.hash(input.password),
          phone: input.phone ?? null,
          instacartplusMember: input.instacartplus_member,
          ...(input.expired_at === undefined
            ? {}
            : { expiredAt: input.expired_at === null ? null : resolveExpiryTime(input.expired_at, nowMs) }),
        },
        nowMs,
      );
      return jsonResponse({ id: user.id }, 201);
    } catch (error) {
      if (error instanceof DuplicateEmailError) {
        return connectError(409, 'An account already exists with this email', 1001, 'email');
      }
      throw error;
    }
  });

  app.patch('/_emulator/instacart-users/:id', async (c) => {
    const body = await readBody(c, instacartUserPatchSchema);
    if (!body.ok) return body.response;
    const id = c.req.param('id');
    const input = body.value;
    const nowMs = ctx.clock.nowMs();
    const user = /^[1-9]\d{0,9}$/.test(id)
      ? ctx.state.updateInstacartUser(
          Number(id),
          {
            ...(input.instacartplus_member === undefined
              ? {}
              : { instacartplusMember: input.instacartplus_member }),
            ...(input.active === undefined ? {} : { active: input.active }),
            ...(input.expired_at === undefined
              ? {}
              : { expiredAt: input.expired_at === null ? null : resolveExpiryTime(input.expired_at, nowMs) }),
          },
          nowMs,
        )
      : undefined;
    if (!user) return notFound('Instacart user not found', 'id');
    return jsonResponse(instacartUserView(user));
  });

  app.delete('/_emulator/links/:user_id', async (c) => {
    const refused = await readNoBody(c);
    if (refused) return refused;
    const userId = c.req.param('user_id');
    const candidates = [...ctx.state.links.values()].filter((link) => link.userId === userId);
    const picked = pickOne(ctx.state, candidates, retailerQuery(c));
    if (!picked.ok) {
      return picked.status === 404
        ? notFound('User Not Linked', 'user_id')
        : connectError(409, AMBIGUOUS, null, 'retailer_id');
    }
    ctx.state.unlink(picked.value.retailerId, picked.value.userId);
    return new Response(null, { status: 204 });
  });

  app.patch('/_emulator/connect-users/:user_id', async (c) => {
    const body = await readBody(c, patchConnectUserSchema);
    if (!body.ok) return body.response;
    const picked = pickOne(
      ctx.state,
      ctx.state.findConnectUsersById(c.req.param('user_id')),
      retailerQuery(c),
    );
    if (!picked.ok) {
      return picked.status === 404
        ? notFound('User Not Found', 'user_id')
        : connectError(409, AMBIGUOUS, null, 'retailer_id');
    }
    const user = ctx.state.setConnectUserActive(
      picked.value.retailerId,
      picked.value.userId,
      body.value.active,
    );
    return user ? jsonResponse(connectUserView(user)) : notFound('User Not Found', 'user_id');
  });

  // The code the consent page's "Allow" would issue, without the browser and without a Connect call:
  // a test that has taken Connect down (a fault on /v2/**) can still link through the shop's callback.
  app.post('/_emulator/authorizations', async (c) => {
    const body = await readBody(c, authorizationBodySchema);
    if (!body.ok) return body.response;
    const input = body.value;
    const issued = issueCodeAsIfAllowed(ctx.state, ctx.settings.requirePkce, ctx.clock.nowMs(), {
      instacartUserId: input.instacart_user_id,
      clientId: input.client_id,
      redirectUri: input.redirect_uri,
      codeChallenge: input.code_challenge,
    });
    if (!issued.ok) return connectError(400, issued.message, 1001, issued.key);
    return jsonResponse({ code: issued.code }, 201);
  });

  app.post('/_emulator/faults', async (c) => {
    const parsed = await readOptionalJsonObject(c.req.raw);
    if (!parsed.ok)
      return connectError(parsed.failure === 'too_large' ? 413 : 400, parsed.message, 1001, 'body');
    const fault = parseFaultInput(parsed.value);
    if (!fault.ok) return validationError(fault.error);
    return jsonResponse({ id: ctx.faults.add(fault.spec) }, 201);
  });

  app.get('/_emulator/faults', () => jsonResponse(ctx.faults.list()));

  app.delete('/_emulator/faults', async (c) => {
    const refused = await readNoBody(c);
    if (refused) return refused;
    ctx.faults.clear();
    return new Response(null, { status: 204 });
  });

  app.get('/_emulator/clock', () => jsonResponse({ now: ctx.clock.now().toISOString() }));

  app.post('/_emulator/clock', async (c) => {
    const body = await readBody(c, clockSchema);
    if (!body.ok) return body.response;
    const input = body.value;
    const now =
      'advance_seconds' in input
        ? ctx.clock.advance(input.advance_seconds)
        : ctx.clock.set(new Date(input.now));
    ctx.changed();
    return jsonResponse({ now: now.toISOString() });
  });

  app.get('/_emulator/requests', () => jsonResponse(ctx.requestLog.list()));

  app.delete('/_emulator/requests', async (c) => {
    const refused = await readNoBody(c);
    if (refused) return refused;
    ctx.requestLog.clear();
    return new Response(null, { status: 204 });
  });

  app.get('/_emulator/settings', () => jsonResponse(settingsView(ctx.settings)));

  app.patch('/_emulator/settings', async (c) => {
    const body = await readBody(c, settingsBodySchema);
    if (!body.ok) return body.response;
    const input = body.value;
    if (input.issuer_param !== undefined) ctx.settings.issuerParam = input.issuer_param;
    if (input.require_pkce !== undefined) ctx.settings.requirePkce = input.require_pkce;
    if (input.latency_ms !== undefined) ctx.settings.latencyMs = input.latency_ms;
    ctx.changed();
    return jsonResponse(settingsView(ctx.settings));
  });

  app.get('/_emulator/openapi.json', () => jsonResponse(createOpenApiDocument(ctx.issuer())));

  const overview = () => renderAdminPage(ctx);
  app.get('/_emulator', overview);
  app.get('/_emulator/', overview);
}

function renderAdminPage(ctx: EmulatorContext): Response {
  const view = stateView(ctx);
  const nowMs = ctx.clock.nowMs();
  const requests = ctx.requestLog.list().slice(-50).reverse();
  const settings = settingsView(ctx.settings);
  return renderPage({
    title: 'Instacart Connect emulator',
    wide: true,
    body: html`<h1>Instacart Connect emulator</h1>
<p class="muted">Issuer <code>${ctx.issuer()}</code> · emulator clock <code>${ctx.clock.now().toISOString()}</code> ·
settings <code>${JSON.stringify(settings)}</code> · ${ctx.faults.list().length} active fault(s).
JSON: <a href="/_emulator/state">state</a>, <a href="/_emulator/requests">requests</a>,
<a href="/_emulator/openapi.json">OpenAPI</a>.</p>
<h2>OAuth applications</h2>
<p class="muted">Clone, disable, enable and delete with <code>POST /_emulator/apps/{client_id}/clone</code>,
<code>…/disable</code>, <code>…/enable</code>, <code>DELETE /_emulator/apps/{client_id}</code>, or
<code>cartlink-emulator apps</code>. JSON: <a href="/_emulator/apps">apps</a>.</p>
<table><thead><tr><th>client_id</th><th>retailer</th><th>status</th><th>live tokens</th><th>name</th><th>scopes</th><th>redirect URIs</th></tr></thead><tbody>
${[...ctx.state.apps.values()].map((app) => {
  const listed = appListView(ctx.state, app, nowMs);
  return html`<tr data-client-id="${listed.client_id}" data-status="${listed.status}"><td><code>${listed.client_id}</code></td><td><code>${listed.retailer_id}</code></td><td>${listed.status}</td><td>${listed.live_tokens}</td><td>${listed.name}</td><td>${listed.scopes.join(' ')}</td><td>${listed.redirect_uris.join(' ')}</td></tr>`;
})}
</tbody></table>
<h2>Instacart accounts</h2>
<table><thead><tr><th>id</th><th>email</th><th>Instacart+ now</th><th>expired_at</th><th>active</th></tr></thead><tbody>
${[...ctx.state.instacartUsers.values()].map((user) => {
  const membership = getMembership(user, nowMs);
  return html`<tr><td>${user.id}</td><td>${user.email}</td><td>${membership.instacartplusMember ? 'yes' : 'no'}</td><td>${membership.expiredAt === null ? '—' : formatConnectTime(membership.expiredAt)}</td><td>${user.active ? 'yes' : 'no'}</td></tr>`;
})}
</tbody></table>
<h2>Connect users</h2>
<table><thead><tr><th>retailer</th><th>created through</th><th>user_id</th><th>name</th><th>active</th></tr></thead><tbody>
${view.connect_users.map((user) => html`<tr><td><code>${user.retailer_id}</code></td><td><code>${user.client_id}</code></td><td><code>${user.user_id}</code></td><td>${user.first_name} ${user.last_name ?? ''}</td><td>${user.active ? 'yes' : 'no'}</td></tr>`)}
</tbody></table>
<h2>Links</h2>
<table><thead><tr><th>retailer</th><th>made through</th><th>user_id</th><th>Instacart account</th><th>linked at</th></tr></thead><tbody>
${view.links.map((link) => html`<tr><td><code>${link.retailer_id}</code></td><td><code>${link.client_id}</code></td><td><code>${link.user_id}</code></td><td>${link.instacart_user_id}</td><td>${link.linked_at}</td></tr>`)}
</tbody></table>
<h2>Recent requests</h2>
<table><thead><tr><th>at</th><th>method</th><th>path</th><th>status</th><th>ms</th></tr></thead><tbody>
${requests.map((entry) => html`<tr><td>${entry.at}</td><td>${entry.method}</td><td><code>${entry.path}</code></td><td>${entry.status}</td><td>${entry.duration_ms}</td></tr>`)}
</tbody></table>`,
  });
}
