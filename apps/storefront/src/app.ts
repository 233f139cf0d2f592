/**
 * @module `createStorefront`: Corner Market as a Hono app built from a config object, using Cartlink's
 * packages the way a retailer would: `@cartlink/connect` to call Instacart, `@cartlink/linking` for
 * the linking flow, storage and the delivery-discount ledger, `@cartlink/elements` on the profile page.
 * Everything a second instance would need (sessions, carts, orders, link transactions) lives in the
 * database, so several instances can share one PostgreSQL database.
 */

import { type ConnectClient, createConnectClient } from '@cartlink/connect';
import {
  createDeliveryDiscountPolicy,
  createLinking,
  createLinkingHandler,
  createSqlStorage,
  type Linking,
  type LinkingEvent,
  migrateToLatest,
} from '@cartlink/linking';
import { type OpenDatabaseOptions, openDatabase } from '@cartlink/linking/node';
import { createOpenTelemetryInstrumentation } from '@cartlink/linking/opentelemetry';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { type AssetBundle, type ElementsBundleSource, loadAssets } from './assets.js';
import { auditEventForLinking, createAuditLog } from './audit.js';
import { type ClientConnection, createClientAddressResolver } from './client-address.js';
import { migrateStorefront } from './db/migrations.js';
import type { StorefrontDatabase } from './db/schema.js';
import type { StorefrontConfig } from './env.js';
import { type AppContext, type AppEnv, createAllowedMethodsLookup, HttpError } from './http.js';
import { type ConcurrencyLimiter, createConcurrencyLimiter } from './load-shedding.js';
import { negotiateLocale } from './locale.js';
import { createLogger, type Logger } from './logger.js';
import { hashPassword } from './passwords.js';
import { createRateLimits } from './rate-limits.js';
import { registerAccountRoutes } from './routes/account-routes.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerShopRoutes } from './routes/shop-routes.js';
import { createNonce, securityHeaders } from './security.js';
import { renderHtml, type StorefrontServices } from './services.js';
import {
  createSessionStore,
  randomToken,
  readCookie,
  serializeSessionCookie,
  sessionCookieSettings,
} from './sessions.js';
import type { StorefrontTelemetry } from './telemetry-node.js';
import { findUserById, seedDemoUsers } from './users.js';
import { errorView } from './views/account-views.js';

/** What tests (and other hosts) may replace. */
export interface StorefrontDeps {
  /** The `fetch` the Connect client uses; tests pass an in-process emulator's. */
  fetch?: typeof fetch;
  /** The clock of sessions, verifications, the grace rule and orders. */
  now?: () => Date;
  logger?: Logger;
  /**
   * The linking elements' bundle. Built with `buildElementsBundle()` when absent (about a second);
   * tests that start many shops build it once and pass it in.
   */
  elementsBundle?: ElementsBundleSource;
  /**
   * The limiter of password checks; built from `PASSWORD_HASH_CONCURRENCY` and `QUEUE_DEADLINE_MS`
   * when absent. Tests pass one whose slots they hold, to see the overloaded answer.
   */
  passwordHashing?: ConcurrencyLimiter;
  /**
   * Told of every database statement (`openDatabase`'s `log`): the bench counts statements per
   * request with it. Absent: nothing is told, at no cost.
   */
  databaseLog?: OpenDatabaseOptions['log'];
}

/** A built storefront. */
export interface Storefront {
  app: Hono<AppEnv>;
  /** The web-standard handler: `(request) => response`. */
  /** The web-standard handler; `connection` carries the TCP peer's address (see `client-address.ts`). */
  fetch: (request: Request, connection?: ClientConnection) => Promise<Response>;
  config: StorefrontConfig;
  db: Kysely<StorefrontDatabase>;
  dialect: 'sqlite' | 'postgres';
  linking: Linking;
  connect: ConnectClient;
  assets: AssetBundle;
  logger: Logger;
  /** Closes the database. */
  close(): Promise<void>;
}

/** The linking endpoints' paths: the linking handler serves everything below it. */
const LINKING_PATH_PREFIX = '/cartlink/';
/** The status endpoint, which the front door serves itself (see `serve` in {@link createStorefront}). */
const STATUS_PATH = `${LINKING_PATH_PREFIX}status`;

/**
 * Whether a request URL's path is the status endpoint's, exactly, whatever its query. A `Request`'s
 * URL is absolute and normalised, so cutting it is enough; any other spelling of the path (percent
 * escapes) goes through the app, as before.
 */
function isStatusRequest(url: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1 || !url.startsWith(STATUS_PATH, start)) return false;
  const end = start + STATUS_PATH.length;
  return end === url.length || url[end] === '?' || url[end] === '#';
}

/** A page rendered on a path whose request got no nonce (the linking endpoints) needs one now. */
function ensurePageNonce(c: AppContext): void {
  if (c.get('nonce') === undefined) c.set('nonce', createNonce());
}

/**
 * The OpenTelemetry SDK, when the configuration asks for one (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `METRICS_TOKEN`); imported only then, so a shop without telemetry never loads it.
 */
async function startConfiguredTelemetry(config: StorefrontConfig): Promise<StorefrontTelemetry | null> {
  if (config.otlpEndpoint === undefined && config.metricsToken === undefined) return null;
  const { startTelemetry } = await import('./telemetry-node.js');
  return startTelemetry({ otlpEndpoint: config.otlpEndpoint, metricsToken: config.metricsToken });
}

async function buildDefaultElementsBundle(): Promise<ElementsBundleSource> {
  const { loadElementsBundle } = await import('./elements-bundle-node.js');
  return loadElementsBundle();
}

/**
 * Builds the storefront: opens the database, runs the linking and storefront migrations, seeds the
 * demo accounts (idempotently), builds the elements bundle and wires the routes.
 * @example
 * const shop = await createStorefront(parseEnv({ DATABASE_URL: ':memory:' }), { fetch: emulatorFetch });
 * const response = await shop.app.request('/');
 */
export async function createStorefront(
  config: StorefrontConfig,
  deps: StorefrontDeps = {},
): Promise<Storefront> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const now = deps.now ?? (() => new Date());

  const { db, dialect } = await openDatabase<StorefrontDatabase>(
    config.databaseUrl,
    deps.databaseLog ? { log: deps.databaseLog } : {},
  );
  let assets: AssetBundle;
  let dummyPasswordHash: string;
  try {
    await migrateToLatest(db);
    await migrateStorefront(db);
    const seeded = await seedDemoUsers(db, now());
    if (seeded > 0) logger.info({ seeded }, 'demo accounts created');
    [assets, dummyPasswordHash] = await Promise.all([
      loadAssets(deps.elementsBundle ?? (await buildDefaultElementsBundle())),
      hashPassword(randomToken()),
    ]);
  } catch (error) {
    await db.destroy();
    throw error;
  }

  // Always made: with no SDK started (nor registered by the host) the API's no-op tracer and meter
  // answer, at no measurable cost (bench/, `telemetry_overhead_ratio`).
  const telemetry = await startConfiguredTelemetry(config);
  const audit = createAuditLog(logger);
  const otel = createOpenTelemetryInstrumentation({
    ...(telemetry?.tracerProvider ? { tracerProvider: telemetry.tracerProvider } : {}),
    ...(telemetry?.meterProvider ? { meterProvider: telemetry.meterProvider } : {}),
    onRequest: (event) => logger.debug({ connect: event }, 'connect request'),
    // Link started, completed and unlink noticed go to the audit trail (one line each); Connect being
    // unreachable is a warning; verifications happen on most page loads, so they are debug.
    onEvent: (event: LinkingEvent) => {
      const entry = auditEventForLinking(event);
      if (entry !== null) audit.record(entry);
      else if (event.type === 'membership-unverifiable') logger.warn({ linking: event }, event.type);
      else logger.debug({ linking: event }, event.type);
    },
  });

  const connect = createConnectClient({
    baseUrl: config.connect.baseUrl,
    clientId: config.connect.clientId,
    clientSecret: config.connect.clientSecret,
    // During a credential rotation (CONNECT_CLIENT_ID_NEXT, CONNECT_CLIENT_SECRET_NEXT): tokens come
    // from the next application when Connect accepts it, from the current one when it refuses it.
    ...(config.connect.next
      ? {
          nextCredentials: {
            clientId: config.connect.next.clientId,
            clientSecret: config.connect.next.clientSecret,
          },
        }
      : {}),
    // One line each time the application in use changes (client ids only). Falling back to the current
    // application means Connect refused the next one: an operator should look.
    onCredentialsChange: (event) => {
      const line = { connect: event };
      if (event.reason === 'next-refused') logger.warn(line, 'connect credentials changed');
      else logger.info(line, 'connect credentials changed');
    },
    // CONNECT_TIMEOUT_MS bounds a whole call, retries included, not each attempt: a page that waits on
    // a hanging Connect waits this long, not attempts times this long.
    timeoutMs: config.connect.timeoutMs,
    retry: { budgetMs: config.connect.timeoutMs },
    acceptLanguage: 'en-US',
    ...(config.connect.retailerId ? { retailerId: config.connect.retailerId } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now: () => now().getTime(),
    ...otel.connect,
  });
  const storage = createSqlStorage(db);
  // On PostgreSQL the counts live in the shared database, so every instance enforces one limit.
  const rateLimits = createRateLimits(
    config.rateLimits,
    dialect === 'postgres' ? { dialect, db: db as unknown as Kysely<unknown> } : { dialect },
    logger,
  );
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: config.connect.authUrl,
    clientId: config.connect.clientId,
    redirectUri: config.connect.redirectUri,
    usePkce: config.connect.usePkce,
    ...(config.connect.issuer
      ? { issuer: config.connect.issuer, requireIssuer: config.connect.requireIssuer }
      : {}),
    instacartWebUrl: config.instacartWebUrl,
    now,
    loadConnectUserProfile: async (userId) => {
      const user = await findUserById(db, userId);
      if (user === undefined) throw new Error(`No shop account ${userId} to create a Connect user for`);
      return { firstName: user.firstName, lastName: user.lastName, locale: 'en-US' };
    },
    ...otel.linking,
  });
  const cookie = sessionCookieSettings(config.publicUrl);
  const sessions = createSessionStore(db, { idleSeconds: config.sessionIdleSeconds, now });
  const services: StorefrontServices = {
    config,
    db,
    storage,
    linking,
    discountPolicy: createDeliveryDiscountPolicy({
      linking,
      graceSeconds: config.deliveryGraceSeconds,
      now,
      ...otel.discountPolicy,
    }),
    sessions,
    cookie,
    assets,
    logger,
    audit,
    now,
    dummyPasswordHash,
    rateLimits,
    passwordHashing:
      deps.passwordHashing ??
      createConcurrencyLimiter({
        concurrency: config.passwordHashConcurrency,
        queueDeadlineMs: config.queueDeadlineMs,
      }),
    clientAddress: createClientAddressResolver(config.trustProxy),
  };
  const secure = new URL(config.publicUrl).protocol === 'https:';
  // The page policy minus its CSP, whose nonce is per page: the linking handler's own CSP (nothing may
  // load) and referrer policy are stricter and win over the rest.
  const linkingResponseHeaders = Object.fromEntries(
    Object.entries(securityHeaders(createNonce(), secure)).filter(
      ([name]) => name.toLowerCase() !== 'content-security-policy',
    ),
  );

  const app = new Hono<AppEnv>();

  // One line per request: method, path without its query (which may hold a code or state), status, time.
  // These four fields are all it ever holds, so it skips redaction, which costs ~15 µs a line (16.5
  // against 1.2, measured), a tenth of a cached status call's CPU.
  const accessLogger = logger.child({}, { redact: [] });
  const logRequest = (method: string, path: string, status: number, started: number) => {
    accessLogger.info(
      { method, path, status, durationMs: Math.round((performance.now() - started) * 10) / 10 },
      'request',
    );
  };
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    logRequest(c.req.method, c.req.path, c.res.status, started);
  });

  // Security headers on every page; a handler's own (the profile page) win. The linking endpoints
  // render no page: their answers carry the linking handler's own headers plus the rest of this policy,
  // handed to the handler once below (`headers`), so they need neither a nonce (128 random bits) nor
  // any header work per request. Whatever renders a page on their paths (the error handler) makes its
  // nonce itself, and then gets the page headers here too.
  app.use('*', async (c, next) => {
    if (!c.req.path.startsWith(LINKING_PATH_PREFIX)) c.set('nonce', createNonce());
    await next();
    const nonce = c.get('nonce');
    if (nonce === undefined) return;
    for (const [name, value] of Object.entries(securityHeaders(nonce, secure))) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  });

  app.get('/assets/:file', (c) => {
    const asset = assets.byPath.get(c.req.path);
    if (asset === undefined) return c.text('Not found\n', 404);
    return c.body(asset.body, 200, {
      'Content-Type': asset.contentType,
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
  });

  // Prometheus metrics, to a bearer of METRICS_TOKEN only; without it the route does not exist (404).
  // Before the session middleware: a scrape has no session and needs no database statement.
  const serveMetrics = telemetry?.serveMetrics;
  if (serveMetrics) app.get('/metrics', (c) => serveMetrics(c.req.raw));

  app.get('/healthz', async (c) => {
    await db.selectFrom('shop_users').select('id').limit(1).execute();
    c.header('Cache-Control', 'no-store');
    return c.text('ok\n');
  });

  // A link that succeeded changes what the session stands for, so it gets a new id, as at sign-in: an
  // id observed before the link (a fixation or a leak) is dead after it. User and CSRF token stay, so
  // the forms of the page that is open keep working. Only `linked` rotates: the shopper's other
  // pending link transactions are bound to the session id, and a failed or replayed callback must
  // not void the attempt still in flight in another tab. `app.post`, not `app.use`, so that no other
  // method gains a route here.
  app.post('/cartlink/link', async (c, next) => {
    await next();
    if (c.res.status !== 200) return;
    const answer = (await c.res
      .clone()
      .json()
      .catch(() => null)) as { outcome?: unknown } | null;
    if (answer?.outcome !== 'linked') return;
    // The link is already made: a failed rotation is logged, never turned into a failure dialog.
    try {
      const rotated = await sessions.rotate(readCookie(c.req.header('cookie'), cookie.name));
      if (rotated !== null) c.res.headers.append('Set-Cookie', serializeSessionCookie(cookie, rotated.id));
    } catch (error) {
      logger.error({ err: error }, 'rotating the session after a link failed');
    }
  });

  // The browser's linking endpoints: GET /cartlink/status, POST /cartlink/authorize (the Link form),
  // /cartlink/link and /cartlink/verify.
  // The subject is the session's user, read from the session cookie; the browser never names it.
  const handleLinking = createLinkingHandler({
    linking,
    allowedOrigins: [config.publicUrl],
    headers: linkingResponseHeaders,
    getSubject: async (request) => {
      const session = await sessions.get(readCookie(request.headers.get('cookie'), cookie.name));
      if (session?.userId == null) return null;
      return {
        sessionId: session.idHash,
        userId: session.userId,
        locale: negotiateLocale(request.headers.get('accept-language')),
        // Checked against the Link form's `_csrf` by POST /cartlink/authorize.
        csrfToken: session.csrfToken,
      };
    },
    // At most LINK_START_LIMIT link starts per session and window.
    limitLinkStart: async (subject) => {
      const throttle = await rateLimits.countLinkStart(subject.sessionId);
      if (throttle === null) return null;
      audit.record({ event: 'throttled', userId: subject.userId, ...throttle });
      return { retryAfterSeconds: throttle.retryAfterSeconds };
    },
  });
  // A status request the front door below could not answer: the error it threw, rethrown here so that
  // the app's error handler renders the page (the request is not run twice).
  const failedStatusRequests = new WeakMap<Request, unknown>();
  app.all(`${LINKING_PATH_PREFIX}*`, (c) => {
    const request = c.req.raw;
    if (failedStatusRequests.has(request)) throw failedStatusRequests.get(request);
    return handleLinking(request);
  });

  // The session and its user, for every page (the linking endpoints and assets above do without).
  app.use('*', async (c, next) => {
    const session = await sessions.get(readCookie(c.req.header('cookie'), cookie.name));
    let user = null;
    if (session?.userId) {
      user = (await findUserById(db, session.userId)) ?? null;
    }
    c.set('session', session);
    c.set('user', user);
    await next();
  });

  registerAuthRoutes(app, services);
  registerShopRoutes(app, services);
  registerAccountRoutes(app, services);
  registerAdminRoutes(app, services);

  // Every route is registered by now: a path that one of them serves, asked for with another method,
  // is answered 405 with `Allow`, not "Page not found".
  const allowedMethods = createAllowedMethodsLookup(app.routes);

  app.notFound(async (c) => {
    ensurePageNonce(c);
    if (c.get('session') === undefined) c.set('session', null);
    if (c.get('user') === undefined) c.set('user', null);
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      c.header('Allow', allowed.join(', '));
      return renderHtml(
        c,
        services,
        { title: 'Method not allowed', current: null, status: 405 },
        errorView(
          'Method not allowed',
          "This page can't be used that way. Use the shop's own links and buttons.",
        ),
      );
    }
    return renderHtml(
      c,
      services,
      { title: 'Page not found', current: null, status: 404 },
      errorView(
        'Page not found',
        "We couldn't find that page. It may have moved, or the address may be mistyped.",
      ),
    );
  });

  app.onError(async (error, c) => {
    ensurePageNonce(c);
    if (error instanceof HttpError) {
      try {
        if (c.get('session') === undefined) c.set('session', null);
        if (c.get('user') === undefined) c.set('user', null);
        return await renderHtml(
          c,
          services,
          { title: error.title, current: null, status: error.status },
          errorView(error.title, error.message),
        );
      } catch (renderError) {
        logger.error({ err: renderError }, 'rendering an error page failed');
      }
    } else {
      logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    }
    // A plain page without the shopper's details: whatever failed may fail again while rendering them.
    c.set('session', null);
    c.set('user', null);
    try {
      return await renderHtml(
        c,
        services,
        { title: 'Something went wrong', current: null, status: 500 },
        errorView(
          'Something went wrong',
          'Sorry, something went wrong on our side. Please try again in a moment.',
        ),
      );
    } catch {
      return c.text('Something went wrong on our side. Please try again in a moment.\n', 500);
    }
  });

  // The front door. `GET /cartlink/status` is what the status element asks on every page a signed-in
  // shopper loads: it goes to the linking handler straight, with its request log line, past the app's
  // routing, context and page middleware, none of which it uses (it renders no page, and its headers
  // come from the handler). That is about a tenth of its CPU (bench/, step 1). Should the handler
  // throw, the request goes through the app after all, whose error handler answers it as any other.
  const serve: Storefront['fetch'] = async (request, connection) => {
    if (request.method === 'GET' && isStatusRequest(request.url)) {
      const started = performance.now();
      try {
        const response = await handleLinking(request);
        logRequest('GET', STATUS_PATH, response.status, started);
        return response;
      } catch (error) {
        failedStatusRequests.set(request, error);
      }
    }
    return app.fetch(request, connection ?? {});
  };

  return {
    app,
    fetch: serve,
    config,
    db,
    dialect,
    linking,
    connect,
    assets,
    logger,
    close: async () => {
      rateLimits.close();
      try {
        await db.destroy();
      } finally {
        // The spans and metrics of the last requests are flushed to the collector here.
        await telemetry?.shutdown();
      }
    },
  };
}
