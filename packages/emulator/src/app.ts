/**
 * Assembles the Hono app: shared middleware (request log, latency, faults, headers), the Connect
 * routes, the authorization pages, the stand-in instacart.com pages and the admin API.
 *
 * Middleware order: first, on every route, the `Host` check (421 for a name the emulator does not
 * serve, see `host-guard.ts`). Then, for everything outside `/_emulator/`: the request log wraps
 * everything (so a dropped connection is logged too), then the configured latency on `/v2/…`, then
 * faults, then the real handler.
 */
import { type Context, Hono } from 'hono';
import type { AppEnv, EmulatorContext } from './context.js';
import { ConnectionDroppedError, type FaultAction } from './faults.js';
import { isAllowedHost } from './host-guard.js';
import { connectError, jsonResponse } from './responses.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuthorizeRoutes } from './routes/authorize.js';
import { registerFulfillmentRoutes } from './routes/fulfillment.js';
import { registerPageRoutes } from './routes/pages.js';
import { registerSandboxRoutes } from './routes/sandbox.js';
import { registerTokenRoutes } from './routes/token.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isAdminPath(path: string): boolean {
  return path === '/_emulator' || path.startsWith('/_emulator/');
}

function faultResponse(fault: FaultAction & { status: number }): Response {
  const { status } = fault;
  let response: Response;
  if (status === 204 || status === 205 || status === 304) response = new Response(null, { status });
  else if (fault.rawBody !== undefined) {
    response = new Response(fault.rawBody, {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  } else {
    response = jsonResponse(
      fault.body === undefined ? { error: { message: 'Emulated fault', code: null } } : fault.body,
      status,
    );
  }
  for (const [name, value] of Object.entries(fault.headers ?? {})) response.headers.set(name, value);
  return response;
}

/**
 * Whether a request may be answered for the host it names. Over a socket both the `Host` header
 * (what a browser sends, and what DNS rebinding leaves pointing at the attacker's name) and the
 * URL built from the request target (an absolute-form target overrides `Host`) must name a host
 * the emulator serves. A request without a socket (`app.request()`, the emulator's in-process
 * `fetch`) passes: no name was resolved and no browser took part, so there is nothing to rebind,
 * and its URL is whatever the calling code chose (tests use `http://emulator.test`).
 */
function isServedHost(c: Context<AppEnv>, publicHosts: ReadonlySet<string>): boolean {
  const incoming = c.env?.incoming;
  if (!incoming) return true;
  return (
    isAllowedHost(incoming.headers?.host, publicHosts) && isAllowedHost(new URL(c.req.url).host, publicHosts)
  );
}

/** Builds the emulator's Hono app over `ctx`. */
export function createApp(ctx: EmulatorContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    if (!isServedHost(c, ctx.publicHosts)) {
      const refused = connectError(
        421,
        'Misdirected Request: this emulator does not serve the host named in the request (see --public-host)',
        null,
      );
      refused.headers.set('x-content-type-options', 'nosniff');
      return refused;
    }
    const path = c.req.path;
    if (isAdminPath(path)) {
      await next();
    } else {
      const at = ctx.clock.now();
      const started = performance.now();
      let status = 0;
      try {
        if (path.startsWith('/v2/') && ctx.settings.latencyMs > 0) await sleep(ctx.settings.latencyMs);
        const fault = ctx.faults.take(c.req.method, path);
        if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
        if (fault?.drop) throw new ConnectionDroppedError();
        if (fault?.status !== undefined) {
          c.res = faultResponse({ ...fault, status: fault.status });
        } else {
          await next();
        }
        status = c.res.status;
      } finally {
        ctx.requestLog.add({
          at,
          method: c.req.method,
          pathname: path,
          status,
          durationMs: performance.now() - started,
        });
      }
    }
    // Browsers must never guess a content type from a body the emulator sends.
    c.res.headers.set('x-content-type-options', 'nosniff');
    return undefined;
  });

  registerTokenRoutes(app, ctx);
  registerFulfillmentRoutes(app, ctx);
  registerSandboxRoutes(app, ctx);
  registerAuthorizeRoutes(app, ctx);
  registerPageRoutes(app);
  registerAdminRoutes(app, ctx);

  app.notFound(() => connectError(404, 'Not Found', null));
  app.onError((error) => {
    // A drop must reach the server (which destroys the socket) or the in-process fetch (which
    // rejects); turning it into a response would defeat it.
    if (error instanceof ConnectionDroppedError) throw error;
    console.error('[emulator] unexpected error', error);
    return jsonResponse({ error: { message: 'Internal Server Error', code: null } }, 500);
  });
  return app;
}
