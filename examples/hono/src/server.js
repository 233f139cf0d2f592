/**
 * @module Corner Shop on Hono and SQLite: sign in (a stand-in), link an Instacart account on the
 * profile page, get $0 delivery at checkout as an Instacart+ member. Run with `node src/server.js`;
 * the configuration comes from the environment (see README.md).
 */
import { createLinkingHonoApp } from '@cartlink/linking/hono';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ConfigError, PROFILE_PATH, readConfig } from './config.js';
import {
  checkoutPage,
  contentSecurityPolicy,
  ELEMENTS_PATH,
  errorPage,
  homePage,
  orderPage,
  profilePage,
  signInPage,
} from './pages.js';
import { createShop, findShopper, isSameOrigin, parseDay, sameSecret } from './shop.js';

let config;
try {
  config = readConfig();
  if (/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    throw new ConfigError(
      'DATABASE_URL must name a SQLite file (sqlite:shop.db): this example runs on SQLite',
    );
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`hono example: ${error.message}`);
  process.exit(2);
}

let shop;
try {
  shop = await createShop(config);
} catch (error) {
  // The database unreachable, its driver not installed, the elements' bundle missing: one line, no stack.
  console.error(`hono example: cannot start: ${error.message}`);
  process.exit(1);
}
const publicOrigin = new URL(config.publicUrl).origin;
const authorizationOrigin = new URL(config.connect.authUrl).origin;

const app = new Hono();

app.use('*', async (c, next) => {
  await next();
  // A handler's own headers (the profile page's, the linking endpoints') win.
  const defaults = {
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
  };
  for (const [name, value] of Object.entries(defaults)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
});

// GET /cartlink/status and POST /cartlink/authorize, /cartlink/link and /cartlink/verify, for the
// session's shopper.
app.route(
  '/',
  createLinkingHonoApp({
    linking: shop.linking,
    getSubject: (request) => shop.getSubject(request),
    allowedOrigins: [publicOrigin],
  }),
);

/** The session and its shopper, or null when nobody is signed in. */
function signedIn(c) {
  const session = shop.sessions.fromCookieHeader(c.req.header('cookie'));
  const shopper = session && findShopper(session.userId);
  return shopper ? { session, shopper } : null;
}

/** The urlencoded form of a post from the shop's own pages, or null (refused) for anything else. */
async function readForm(c) {
  if (!isSameOrigin(c.req.raw.headers, config.publicUrl)) return null;
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) return null;
  return new URLSearchParams(await c.req.text());
}

/** Forms are a few hundred bytes; a larger body is refused while it is read. */
const formLimit = bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('Form too large\n', 413) });

const refused = (c) => c.html(errorPage(null, '', 'Form expired', 'Reload the page and try again.'), 403);

app.get('/', (c) => {
  const current = signedIn(c);
  return c.html(homePage(current?.shopper ?? null, current?.session.csrfToken ?? ''));
});

app.get('/signin', (c) => c.html(signInPage()));

app.post('/signin', formLimit, async (c) => {
  const form = await readForm(c);
  if (form === null) return refused(c);
  const shopper = findShopper(form.get('shopper'));
  if (shopper === undefined) {
    return c.html(errorPage(null, '', 'Unknown shopper', 'Pick one of the demo shoppers.'), 400);
  }
  const previous = signedIn(c);
  if (previous) shop.sessions.end(previous.session);
  // A new session at every sign-in, so that an id planted before it is worthless after.
  const { cookie } = shop.sessions.start(shopper.id);
  c.header('Set-Cookie', cookie);
  return c.redirect(PROFILE_PATH, 303);
});

app.post('/signout', formLimit, async (c) => {
  const current = signedIn(c);
  if (current === null) return c.redirect('/', 303);
  const form = await readForm(c);
  if (form === null || !sameSecret(form.get('_csrf'), current.session.csrfToken)) return refused(c);
  c.header('Set-Cookie', shop.sessions.end(current.session));
  return c.redirect('/', 303);
});

// The redirect URI. Its address may hold a single-use code: no Referer may carry it anywhere.
app.get(PROFILE_PATH, async (c) => {
  const current = signedIn(c);
  if (current === null) return c.redirect('/signin', 303);
  const status = await shop.profileStatus(current.session, new URL(c.req.url));
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'no-store');
  c.header('Content-Security-Policy', contentSecurityPolicy([authorizationOrigin]));
  return c.html(profilePage(current.shopper, current.session.csrfToken, status));
});

app.get(ELEMENTS_PATH, (c) =>
  c.body(shop.elementsBundle, 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600',
  }),
);

app.get('/checkout', async (c) => {
  const current = signedIn(c);
  if (current === null) return c.redirect('/signin', 303);
  const delivery = await shop.decideDelivery(current.shopper.id);
  c.header('Cache-Control', 'no-store');
  return c.html(checkoutPage(current.shopper, current.session.csrfToken, delivery));
});

app.post('/checkout', formLimit, async (c) => {
  const current = signedIn(c);
  if (current === null) return c.redirect('/signin', 303);
  const form = await readForm(c);
  if (form === null || !sameSecret(form.get('_csrf'), current.session.csrfToken)) return refused(c);
  // A missing field is refused, as Express refuses it, not read as Number('') = 0.
  const field = form.get('expected_fee_cents');
  const expected = field === null ? Number.NaN : Number(field);
  if (!Number.isInteger(expected) || expected < 0) {
    return c.html(
      errorPage(current.shopper, current.session.csrfToken, 'Bad request', 'Reload checkout.'),
      400,
    );
  }
  const result = await shop.placeOrder(current.shopper.id, expected);
  if (!result.placed) {
    const notice =
      'Your delivery fee changed since you opened checkout. Review it and place the order again.';
    return c.html(checkoutPage(current.shopper, current.session.csrfToken, result, notice), 409);
  }
  return c.redirect(`/orders/${result.order.id}`, 303);
});

app.get('/orders/:id', (c) => {
  const current = signedIn(c);
  if (current === null) return c.redirect('/signin', 303);
  const order = shop.findOrder(current.shopper.id, c.req.param('id'));
  if (order === undefined) {
    return c.html(errorPage(current.shopper, current.session.csrfToken, 'Not found', 'No such order.'), 404);
  }
  return c.html(orderPage(current.shopper, current.session.csrfToken, order));
});

// The delivery-discount ledger for finance: ?from=YYYY-MM-DD&to=YYYY-MM-DD (to exclusive).
app.get('/admin/reconciliation.csv', async (c) => {
  const current = signedIn(c);
  if (!current?.shopper.admin) return c.text('Finance only\n', 403);
  const from = parseDay(c.req.query('from'));
  const to = parseDay(c.req.query('to'));
  if (from === null || to === null) return c.text('Give from and to as YYYY-MM-DD\n', 400);
  return c.body(await shop.reconciliationCsv(from, to), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Cache-Control': 'no-store',
  });
});

app.notFound((c) => {
  const current = signedIn(c);
  return c.html(
    errorPage(current?.shopper ?? null, current?.session.csrfToken ?? '', 'Not found', 'No such page.'),
    404,
  );
});

app.onError((error, c) => {
  console.error(error);
  return c.html(errorPage(null, '', 'Something went wrong', 'Please try again.'), 500);
});

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(
    `Corner Shop (Hono + SQLite) listening on http://${config.host}:${info.port} (public URL ${config.publicUrl})`,
  );
});
server.on('error', async (error) => {
  console.error(`hono example: cannot listen: ${error.message}`);
  await shop.close();
  process.exit(1);
});

async function shutdown() {
  server.close();
  server.closeAllConnections?.();
  await shop.close();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
