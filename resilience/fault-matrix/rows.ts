/**
 * @module Section 1's rows after the matrix, one function a row family: a status refresh failing
 * right after a link, the grace window at checkout, sign-in during an outage, and the default
 * Connect timeout against a Connect that hangs.
 */
import { ShopClient, type ShopResponse } from '../../testing/shop-client';
import {
  addToCart,
  checkoutPage,
  placeOrder,
  postCallback,
  profileState,
  startLink,
  verify,
} from '../../testing/shop-steps';
import { consent, signIn } from '../lib/flows';
import { registerShop, shopLinks } from '../lib/instacart';
import { GET_LINK, kind, PAGE_LIMIT_MS, SIGN_IN_DEADLINE_MS } from './faults';
import {
  applyFault,
  fiveXx,
  linkCleanly,
  type Matrix,
  orderRecords,
  removeFault,
  SECTION,
  startInProcessShop,
} from './set-up';

/** GET link failing right after a successful link: the dialog says linked, the status says unavailable. */
export async function refreshAfterLink(matrix: Matrix): Promise<void> {
  const { admin } = matrix;
  const { shopper, client, responses } = matrix.takeShopper();
  await signIn(client, shopper.email);
  const verified = await verify(client);
  if (verified.status?.state !== 'unlinked') throw new Error(`setup: status ${verified.status?.state}`);
  const link = await startLink(client);
  const code = await consent(admin, shopper.instacartUserId, link);
  await applyFault(matrix, GET_LINK, kind('503'));
  const result = await postCallback(client, { code, state: link.state });
  await admin.clearFaults();
  const final = await verify(client);
  const linked = (await shopLinks(admin)).get(shopper.id);
  const errors = fiveXx(responses);
  matrix.report.add({
    section: SECTION,
    did: 'GET /v2/fulfillment/users/{id}/link × HTTP 503 during the status refresh that follows a successful link',
    expected:
      'outcome=linked with status unavailable (link done, status unknown); Instacart link to own account; then verify linked-active; no 5xx',
    happened: `${result.http} outcome=${result.outcome} status=${result.status?.state}; Instacart link ${linked === shopper.instacartUserId ? 'own' : String(linked)}; then ${final.status?.state}; 5xx: ${errors.length}`,
    ok:
      result.outcome === 'linked' &&
      result.status?.state === 'unavailable' &&
      linked === shopper.instacartUserId &&
      final.status?.state === 'linked-active' &&
      errors.length === 0,
  });
}

/** Grace: Connect down at checkout, last verification 5 minutes old (inside the 15-minute window). */
export async function graceAtCheckout(matrix: Matrix): Promise<void> {
  const taken = matrix.takeShopper();
  const { shopper, client, responses } = taken;
  await signIn(client, shopper.email);
  const setup = await linkCleanly(matrix, taken);
  await addToCart(client, 'coffee');
  matrix.clock.offsetMs += 300_000;
  await applyFault(matrix, GET_LINK, kind('503'));
  const checkout = await checkoutPage(client);
  const order = await placeOrder(client, checkout);
  await matrix.admin.clearFaults();
  const { ledger } = await orderRecords(matrix, order.orderId);
  const errors = fiveXx(responses);
  matrix.report.add({
    section: SECTION,
    did: 'GET link × HTTP 503 at checkout, linked Instacart+ shopper verified 5 min earlier (grace window 15 min)',
    expected: 'checkout fee 0 with the grace message; order placed; ledger entry verification=grace; no 5xx',
    happened: `setup ${setup.outcome}; checkout ${checkout.http} fee=${checkout.feeCents}${checkout.graceMessage ? ' +grace msg' : ''}; order ${order.http}; ledger ${ledger?.verification ?? 'none'}; 5xx: ${errors.length}`,
    ok:
      setup.outcome === 'linked' &&
      checkout.feeCents === 0 &&
      checkout.graceMessage &&
      order.http === 303 &&
      ledger?.verification === 'grace' &&
      errors.length === 0,
  });
}

/** Sign-in while Connect fails (503, then a hang): it must not block or fail, and the profile then says unavailable. */
export async function signInDuringOutage(matrix: Matrix): Promise<void> {
  for (const outage of [kind('503'), kind('timeout')]) {
    const { shopper, client, responses } = matrix.takeShopper();
    await applyFault(matrix, GET_LINK, outage);
    const signedIn = await signIn(client, shopper.email);
    const profile = await profileState(client);
    await removeFault(matrix, outage);
    matrix.clock.offsetMs += 61_000;
    const after = await profileState(client);
    const errors = fiveXx(responses);
    matrix.report.add({
      section: SECTION,
      did: `GET link × ${outage.label} during sign-in of a new shopper; profile; fault removed; profile`,
      expected:
        'sign-in 303, not blocked by Connect (within the 3 s verification deadline + 2 s); profile unavailable; then unlinked; no 5xx',
      happened: `sign-in ${signedIn.status} in ${(signedIn.ms / 1000).toFixed(2)} s; profile ${profile.http} ${profile.state}; then ${after.state}; 5xx: ${errors.length}`,
      ok:
        signedIn.ok &&
        signedIn.ms < SIGN_IN_DEADLINE_MS + 2_000 &&
        profile.state === 'unavailable' &&
        after.state === 'unlinked' &&
        errors.length === 0,
    });
  }
}

/**
 * With the default CONNECT_TIMEOUT_MS (5000), how long do the profile page and checkout wait for a
 * Connect that does not answer? env.ts: "Longest wait for one Connect call, so that sign-in and
 * checkout never hang on Instacart". Not under `--quick`.
 */
export async function defaultTimeout(matrix: Matrix): Promise<void> {
  const { admin } = matrix;
  const defaultShop = await startInProcessShop(matrix);
  matrix.scope.add('close the default-timeout storefront', () => defaultShop.close());
  await registerShop(admin, [`${matrix.shop.url}/account/profile`, `${defaultShop.url}/account/profile`]);
  const timeoutMs = defaultShop.storefront.config.connect.timeoutMs;
  const taken = matrix.takeShopper(defaultShop.url);
  const { shopper, client, responses } = taken;
  const baseline = await signIn(client, shopper.email);
  const setup = await linkCleanly(matrix, taken);
  await addToCart(client, 'oats');
  matrix.clock.offsetMs += 901_000;
  await admin.addFault({ ...GET_LINK, delay_ms: 30_000 });
  // The same shopper signs in again (a second browser) while Connect hangs.
  const second = new ShopClient(defaultShop.url, {
    observe: (response: ShopResponse) => responses.push(response),
  });
  const hungSignIn = await signIn(second, shopper.email);
  const profileStarted = performance.now();
  const profile = await profileState(second);
  const profileMs = performance.now() - profileStarted;
  const checkoutStarted = performance.now();
  const checkout = await checkoutPage(second);
  const checkoutMs = performance.now() - checkoutStarted;
  await admin.clearFaults();
  const signInLimitMs = baseline.ms + SIGN_IN_DEADLINE_MS + 1_500;
  matrix.report.add({
    section: SECTION,
    did: `GET link hangs (delay 30 s) with the default CONNECT_TIMEOUT_MS=${timeoutMs}: a linked shopper signs in, opens the profile page, then checkout`,
    expected:
      'sign-in within its 3 s verification deadline (+ the no-fault sign-in time + 1.5 s); profile unavailable and checkout fee 399 + message within ~10 s each',
    happened: `no-fault sign-in ${(baseline.ms / 1000).toFixed(1)} s, setup ${setup.outcome}; sign-in ${hungSignIn.status} after ${(hungSignIn.ms / 1000).toFixed(1)} s; profile ${profile.http} ${profile.state} after ${(profileMs / 1000).toFixed(1)} s; checkout ${checkout.http} fee=${checkout.feeCents}${checkout.unreachableMessage ? ' +unreachable msg' : ''} after ${(checkoutMs / 1000).toFixed(1)} s; 5xx ${fiveXx(responses).length}`,
    ok:
      setup.outcome === 'linked' &&
      hungSignIn.ok &&
      hungSignIn.ms <= signInLimitMs &&
      profile.state === 'unavailable' &&
      checkout.feeCents === 399 &&
      checkout.unreachableMessage &&
      profileMs <= PAGE_LIMIT_MS &&
      checkoutMs <= PAGE_LIMIT_MS,
  });
}
