/**
 * @module Corner Shop on Express and PostgreSQL: sign in (a stand-in), link an Instacart account on
 * the profile page, get $0 delivery at checkout as an Instacart+ member. Run with `node src/server.js`;
 * the configuration comes from the environment (see README.md).
 */
import { createServer } from 'node:http';
import { createLinkingExpressMiddleware } from '@cartlink/linking/express';
import express from 'express';
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
  if (!/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL: this example runs on PostgreSQL');
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`express example: ${error.message}`);
  process.exit(2);
}

let shop;
try {
  shop = await createShop(config);
} catch (error) {
  // The database unreachable, its driver not installed, the elements' bundle missing: one line, no stack.
  console.error(`express example: cannot start: ${error.message}`);
  process.exit(1);
}
const publicOrigin = new URL(config.publicUrl).origin;
const authorizationOrigin = new URL(config.connect.authUrl).origin;

const app = express();
app.disable('x-powered-by');

app.use((_req, res, next) => {
  res.set({
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
  });
  next();
});

// GET /cartlink/status and POST /cartlink/authorize, /cartlink/link and /cartlink/verify, for the
// session's shopper. Mounted before any body parser: the handler reads its bodies itself.
app.use(
  createLinkingExpressMiddleware({
    linking: shop.linking,
    getSubject: (request) => shop.getSubject(request),
    allowedOrigins: [publicOrigin],
  }),
);

const readForm = express.urlencoded({ extended: false, limit: '8kb' });

/** The session and its shopper, or null when nobody is signed in. */
function signedIn(req) {
  const session = shop.sessions.fromCookieHeader(req.get('cookie'));
  const shopper = session && findShopper(session.userId);
  return shopper ? { session, shopper } : null;
}

function sameOrigin(req) {
  return isSameOrigin({ get: (name) => req.get(name) ?? null }, config.publicUrl);
}

/** Refuses a form post from another site or without the session's CSRF token. */
function checkForm(req, res, session) {
  if (sameOrigin(req) && sameSecret(req.body?._csrf, session.csrfToken)) return true;
  res
    .status(403)
    .type('html')
    .send(errorPage(null, '', 'Form expired', 'Reload the page and try again.'));
  return false;
}

app.get('/', (req, res) => {
  const current = signedIn(req);
  res.type('html').send(homePage(current?.shopper ?? null, current?.session.csrfToken ?? ''));
});

app.get('/signin', (_req, res) => {
  res.type('html').send(signInPage());
});

app.post('/signin', readForm, (req, res) => {
  if (!sameOrigin(req)) {
    res
      .status(403)
      .type('html')
      .send(errorPage(null, '', 'Refused', 'Sign in from this shop.'));
    return;
  }
  const shopper = findShopper(req.body?.shopper);
  if (shopper === undefined) {
    res
      .status(400)
      .type('html')
      .send(errorPage(null, '', 'Unknown shopper', 'Pick one of the demo shoppers.'));
    return;
  }
  const previous = signedIn(req);
  if (previous) shop.sessions.end(previous.session);
  // A new session at every sign-in, so that an id planted before it is worthless after.
  const { cookie } = shop.sessions.start(shopper.id);
  res.set('Set-Cookie', cookie).redirect(303, PROFILE_PATH);
});

app.post('/signout', readForm, (req, res) => {
  const current = signedIn(req);
  if (current === null) {
    res.redirect(303, '/');
    return;
  }
  if (!checkForm(req, res, current.session)) return;
  res.set('Set-Cookie', shop.sessions.end(current.session)).redirect(303, '/');
});

// The redirect URI. Its address may hold a single-use code: no Referer may carry it anywhere.
app.get(PROFILE_PATH, async (req, res) => {
  const current = signedIn(req);
  if (current === null) {
    res.redirect(303, '/signin');
    return;
  }
  const status = await shop.profileStatus(current.session, new URL(req.originalUrl, publicOrigin));
  res
    .set({
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': contentSecurityPolicy([authorizationOrigin]),
    })
    .type('html')
    .send(profilePage(current.shopper, current.session.csrfToken, status));
});

app.get(ELEMENTS_PATH, (_req, res) => {
  res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(shop.elementsBundle);
});

app.get('/checkout', async (req, res) => {
  const current = signedIn(req);
  if (current === null) {
    res.redirect(303, '/signin');
    return;
  }
  const delivery = await shop.decideDelivery(current.shopper.id);
  res
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(checkoutPage(current.shopper, current.session.csrfToken, delivery));
});

app.post('/checkout', readForm, async (req, res) => {
  const current = signedIn(req);
  if (current === null) {
    res.redirect(303, '/signin');
    return;
  }
  if (!checkForm(req, res, current.session)) return;
  const expected = Number(req.body?.expected_fee_cents);
  if (!Number.isInteger(expected) || expected < 0) {
    res
      .status(400)
      .type('html')
      .send(errorPage(current.shopper, current.session.csrfToken, 'Bad request', 'Reload checkout.'));
    return;
  }
  const result = await shop.placeOrder(current.shopper.id, expected);
  if (!result.placed) {
    const notice =
      'Your delivery fee changed since you opened checkout. Review it and place the order again.';
    res
      .status(409)
      .type('html')
      .send(checkoutPage(current.shopper, current.session.csrfToken, result, notice));
    return;
  }
  res.redirect(303, `/orders/${result.order.id}`);
});

app.get('/orders/:id', (req, res) => {
  const current = signedIn(req);
  if (current === null) {
    res.redirect(303, '/signin');
    return;
  }
  const order = shop.findOrder(current.shopper.id, req.params.id);
  if (order === undefined) {
    res
      .status(404)
      .type('html')
      .send(errorPage(current.shopper, current.session.csrfToken, 'Not found', 'No such order.'));
    return;
  }
  res.type('html').send(orderPage(current.shopper, current.session.csrfToken, order));
});

// The delivery-discount ledger for finance: ?from=YYYY-MM-DD&to=YYYY-MM-DD (to exclusive).
app.get('/admin/reconciliation.csv', async (req, res) => {
  const current = signedIn(req);
  if (!current?.shopper.admin) {
    res.status(403).type('text').send('Finance only\n');
    return;
  }
  const from = parseDay(req.query.from);
  const to = parseDay(req.query.to);
  if (from === null || to === null) {
    res.status(400).type('text').send('Give from and to as YYYY-MM-DD\n');
    return;
  }
  res
    .set('Cache-Control', 'no-store')
    .type('text/csv')
    .send(await shop.reconciliationCsv(from, to));
});

app.use((req, res) => {
  const current = signedIn(req);
  res
    .status(404)
    .type('html')
    .send(
      errorPage(current?.shopper ?? null, current?.session.csrfToken ?? '', 'Not found', 'No such page.'),
    );
});

app.use((error, _req, res, _next) => {
  console.error(error);
  res
    .status(500)
    .type('html')
    .send(errorPage(null, '', 'Something went wrong', 'Please try again.'));
});

const server = createServer(app);
server.on('error', async (error) => {
  console.error(`express example: cannot listen: ${error.message}`);
  await shop.close();
  process.exit(1);
});
server.listen(config.port, config.host, () => {
  const { port } = server.address();
  console.log(
    `Corner Shop (Express + PostgreSQL) listening on http://${config.host}:${port} (public URL ${config.publicUrl})`,
  );
});

async function shutdown() {
  server.close();
  server.closeAllConnections();
  await shop.close();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
