/**
 * @module The shopper's journey through an example shop and the emulator, over HTTP, as a browser
 * makes it: sign in, press "Link Instacart account" (the form POST to `/cartlink/authorize`), log in
 * at Instacart and Allow, come back to the profile page with `code` and `state`, hand them to
 * `/cartlink/link` as the status element does, then see Instacart+ in the status and $0 delivery at
 * checkout (where a form without the fee it showed is refused), and the discount in the finance
 * report. Every hop is checked; a failure names it.
 *
 * What it relies on of the examples is listed in examples/README.md ("What the package test drives").
 */
import {
  Browser,
  describePage,
  expectRedirect,
  expectStatus,
  FlowError,
  type Page,
  readButtons,
  readDataAttribute,
  readHiddenFields,
  readTagAttributes,
} from './browser.js';

/** The Instacart account of the emulator's demo seed with an active Instacart+ membership. */
export const INSTACART_PLUS_LOGIN = { email: 'plus@instacart.test', password: 'instacart' } as const;

/** What the journey found, for the report. */
export interface LinkFlowResult {
  /** The state `/cartlink/status` answered after the link. */
  statusState: string;
  expiredAt: string | null;
  /** The delivery fee checkout showed and charged, in cents. */
  checkoutFeeCents: number;
  orderId: string;
  /** The reconciliation CSV line of the order. */
  ledgerLine: string;
}

/** Options of {@link runLinkFlow}. */
export interface LinkFlowOptions {
  shopUrl: string;
  emulatorUrl: string;
  /** Told of each hop as it is made, for the step's log. */
  log?: (line: string) => void;
}

function field(fields: Map<string, string>, name: string, hop: string, page: Page): string {
  const value = fields.get(name);
  if (value === undefined || value === '') {
    throw new FlowError(`${hop}: the page has no hidden field ${name}: ${describePage(page)}`);
  }
  return value;
}

function parseJson(page: Page, hop: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(page.body);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new FlowError(`${hop}: expected a JSON object, got ${describePage(page)}`);
}

/** Signs in with the stand-in sign-in: the button whose text matches `which`. */
async function signIn(browser: Browser, shopUrl: string, which: RegExp, hop: string): Promise<void> {
  const page = expectStatus(await browser.get(`${shopUrl}/signin`), 200, `${hop}: GET /signin`);
  const button = readButtons(page.body).find(
    (candidate) => candidate.name === 'shopper' && which.test(candidate.text),
  );
  if (button === undefined) {
    throw new FlowError(`${hop}: /signin has no shopper button matching ${which}: ${describePage(page)}`);
  }
  const posted = await browser.postForm(`${shopUrl}/signin`, { shopper: button.value });
  const next = expectRedirect(posted, `${hop}: POST /signin`);
  if (next.includes('/signin')) throw new FlowError(`${hop}: POST /signin sent back to ${next}`);
}

/** Runs the journey; throws a {@link FlowError} at the first hop that does not hold. */
export async function runLinkFlow(options: LinkFlowOptions): Promise<LinkFlowResult> {
  const { shopUrl, emulatorUrl } = options;
  const log = options.log ?? (() => {});
  const browser = new Browser();

  await signIn(browser, shopUrl, /^(?!.*finance)/i, 'sign in');
  log('signed in as a demo shopper');

  const profile = expectStatus(await browser.get(`${shopUrl}/account/profile`), 200, 'GET /account/profile');
  const element = readTagAttributes(profile.body, 'cartlink-status');
  if (element === null)
    throw new FlowError(`the profile page has no <cartlink-status>: ${describePage(profile)}`);
  if (readTagAttributes(profile.body, 'cartlink-result-dialog') === null) {
    throw new FlowError('the profile page has no <cartlink-result-dialog>');
  }
  if (element.get('state') !== 'unlinked') {
    throw new FlowError(
      `the status element before linking: state="${element.get('state')}", expected unlinked`,
    );
  }
  const script = readTagAttributes(profile.body, 'script')?.get('src');
  if (script === undefined) throw new FlowError('the profile page loads no script (the elements bundle)');
  const bundle = expectStatus(await browser.get(new URL(script, shopUrl).toString()), 200, `GET ${script}`);
  if (!/javascript/.test(bundle.contentType) || !bundle.body.includes('cartlink-result-dialog')) {
    throw new FlowError(`${script} is not the elements bundle: ${describePage(bundle)}`);
  }
  log(`profile page: <cartlink-status state="unlinked">, bundle ${script} (${bundle.body.length} bytes)`);

  const authorizeEndpoint = element.get('authorize-endpoint') ?? '';
  const csrf = element.get('csrf-token') ?? '';
  if (authorizeEndpoint === '' || csrf === '') {
    throw new FlowError('the status element lacks authorize-endpoint or csrf-token');
  }
  const started = await browser.postForm(new URL(authorizeEndpoint, shopUrl).toString(), { _csrf: csrf });
  const authorizationUrl = expectRedirect(started, 'POST /cartlink/authorize (Link Instacart account)');
  if (!authorizationUrl.startsWith(`${emulatorUrl}/oauth/authorize?`)) {
    throw new FlowError(`POST /cartlink/authorize sent the browser to ${authorizationUrl}, not the emulator`);
  }
  log('Link Instacart account: 303 to the emulator');

  const login = expectStatus(await browser.get(authorizationUrl), 200, 'GET the authorization page');
  const loginFields = readHiddenFields(login.body);
  const loggedIn = await browser.postForm(`${emulatorUrl}/oauth/login`, {
    csrf_token: field(loginFields, 'csrf_token', 'Instacart log-in', login),
    authorization_id: field(loginFields, 'authorization_id', 'Instacart log-in', login),
    email: INSTACART_PLUS_LOGIN.email,
    password: INSTACART_PLUS_LOGIN.password,
  });
  const consentUrl = expectRedirect(loggedIn, `Instacart log-in as ${INSTACART_PLUS_LOGIN.email}`);
  const consent = expectStatus(await browser.get(consentUrl), 200, 'GET the consent page');
  if (!readButtons(consent.body).some((button) => button.text === 'Allow')) {
    throw new FlowError(`the consent page has no Allow button: ${describePage(consent)}`);
  }
  const consentFields = readHiddenFields(consent.body);
  const allowed = await browser.postForm(`${emulatorUrl}/oauth/decision`, {
    csrf_token: field(consentFields, 'csrf_token', 'consent', consent),
    authorization_id: field(consentFields, 'authorization_id', 'consent', consent),
    decision: 'allow',
  });
  const callbackUrl = new URL(expectRedirect(allowed, 'Allow'));
  if (callbackUrl.origin !== new URL(shopUrl).origin || callbackUrl.pathname !== '/account/profile') {
    throw new FlowError(`Allow redirected to ${callbackUrl}, not the shop's profile page`);
  }
  const code = callbackUrl.searchParams.get('code');
  const state = callbackUrl.searchParams.get('state');
  if (code === null || state === null)
    throw new FlowError(`the redirect back lacks code or state: ${callbackUrl}`);
  log('logged in at Instacart and pressed Allow: back to the profile page with code and state');

  const back = expectStatus(
    await browser.get(callbackUrl.toString()),
    200,
    'GET the profile page with code and state',
  );
  const loading = readTagAttributes(back.body, 'cartlink-status')?.get('state');
  if (loading !== 'loading') {
    throw new FlowError(`on the redirect back the status element is "${loading}", expected loading`);
  }
  const iss = callbackUrl.searchParams.get('iss');
  const linked = expectStatus(
    await browser.postJson(`${shopUrl}${element.get('link-endpoint') ?? '/cartlink/link'}`, {
      code,
      state,
      ...(iss === null ? {} : { iss }),
    }),
    200,
    'POST /cartlink/link',
  );
  const outcome = parseJson(linked, 'POST /cartlink/link').outcome;
  if (outcome !== 'linked')
    throw new FlowError(`POST /cartlink/link answered outcome "${String(outcome)}", expected linked`);
  log('POST /cartlink/link: { outcome: "linked" }');

  const status = parseJson(
    expectStatus(await browser.get(`${shopUrl}/cartlink/status`), 200, 'GET /cartlink/status'),
    'GET /cartlink/status',
  );
  if (status.state !== 'linked-active') {
    throw new FlowError(
      `GET /cartlink/status after the link: state "${String(status.state)}", expected linked-active`,
    );
  }
  const expiredAt = typeof status.expiredAt === 'string' ? status.expiredAt : null;
  log(`GET /cartlink/status: linked-active (Instacart+ until ${expiredAt ?? 'no date'})`);

  const checkout = expectStatus(await browser.get(`${shopUrl}/checkout`), 200, 'GET /checkout');
  const fee = readDataAttribute(checkout.body, 'delivery-fee-cents');
  if (fee !== '0')
    throw new FlowError(`checkout shows a delivery fee of ${fee ?? 'nothing'} cents, expected 0`);
  const checkoutFields = readHiddenFields(checkout.body);
  const csrfToken = field(checkoutFields, '_csrf', 'checkout', checkout);
  // The fee the shopper saw is part of the order: a form without it is refused, never read as $0.
  expectStatus(
    await browser.postForm(`${shopUrl}/checkout`, { _csrf: csrfToken }),
    400,
    'POST /checkout without expected_fee_cents',
  );
  log('POST /checkout without expected_fee_cents: 400');
  // The ledger is read by day (UTC) below: from the day the order is placed, taken before placing
  // it, so that an order placed just before midnight and read after it is still in the range.
  const placedFrom = new Date();
  const placed = await browser.postForm(`${shopUrl}/checkout`, {
    _csrf: csrfToken,
    expected_fee_cents: field(checkoutFields, 'expected_fee_cents', 'checkout', checkout),
  });
  const orderUrl = expectRedirect(placed, 'POST /checkout (Place order)');
  const order = expectStatus(await browser.get(orderUrl), 200, 'GET the order');
  const orderId = readDataAttribute(order.body, 'order-id');
  const charged = readDataAttribute(order.body, 'delivery-charged-cents');
  if (orderId === null || charged !== '0') {
    throw new FlowError(
      `the order page shows order ${orderId} with delivery charged ${charged} cents, expected 0`,
    );
  }
  log(`checkout: $0 delivery, order ${orderId} placed`);

  const finance = new Browser();
  await signIn(finance, shopUrl, /finance/i, 'sign in as finance');
  const day = (date: Date) => date.toISOString().slice(0, 10);
  // `to` is exclusive: the day after today's.
  const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000);
  const report = expectStatus(
    await finance.get(`${shopUrl}/admin/reconciliation.csv?from=${day(placedFrom)}&to=${day(tomorrow)}`),
    200,
    'GET /admin/reconciliation.csv',
  );
  const ledgerLine = report.body.split(/\r?\n/).find((line) => line.startsWith(`${orderId},`));
  if (ledgerLine === undefined || !/,true,/.test(ledgerLine) || !ledgerLine.endsWith(',fresh')) {
    throw new FlowError(
      `the reconciliation CSV has no fresh Instacart+ entry for order ${orderId}:\n${report.body.slice(0, 600)}`,
    );
  }
  log(`reconciliation CSV: ${ledgerLine}`);
  return { statusState: 'linked-active', expiredAt, checkoutFeeCents: 0, orderId, ledgerLine };
}
