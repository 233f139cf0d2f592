/**
 * @module The matrix of section 1: a fault of each kind on each Connect call, one cell a pair. A
 * status call is judged where a shopper meets it (the profile page's status element, the checkout's
 * fee and message, "Place order" with its order row and ledger entry); a link call through
 * `POST /cartlink/link`. Each cell then removes the fault and checks that the shopper recovers.
 */
import {
  addToCart,
  checkoutPage,
  getStatus,
  placeOrder,
  postCallback,
  profileState,
  startLink,
  verify,
} from '../../testing/shop-steps';
import { consent, signIn } from '../lib/flows';
import { shopLinks } from '../lib/instacart';
import { describeError } from '../lib/report';
import { type ConnectCall, expectedLinkOutcome, type FaultKind, KINDS, QUICK_KINDS } from './faults';
import {
  applyFault,
  fiveXx,
  hasLinkRecord,
  linkCleanly,
  type Matrix,
  orderRecords,
  removeFault,
  SECTION,
  wrongLinksNow,
} from './set-up';

/** Runs every cell of one Connect call (the kinds `--quick` keeps, under `--quick`). */
export async function runCellsOf(matrix: Matrix, call: ConnectCall): Promise<void> {
  for (const kind of KINDS) {
    if (matrix.ctx.quick && !QUICK_KINDS.has(kind.id)) continue;
    try {
      if (call.scenario === 'status') await statusCell(matrix, call, kind);
      else await linkCell(matrix, call, kind);
    } catch (error) {
      matrix.report.add({
        section: SECTION,
        did: `${call.label} × ${kind.label}`,
        expected: 'the cell runs',
        happened: `harness error: ${describeError(error)}`,
        ok: false,
      });
    } finally {
      await matrix.admin.clearFaults();
    }
  }
}

/** Profile page, checkout and "Place order" for a linked Instacart+ shopper while the call fails. */
export async function statusCell(matrix: Matrix, call: ConnectCall, kind: FaultKind): Promise<void> {
  const { admin, clock, report } = matrix;
  const started = performance.now();
  const taken = matrix.takeShopper();
  const { shopper, client, responses } = taken;
  const signedIn = await signIn(client, shopper.email);
  const setup = await linkCleanly(matrix, taken);
  await addToCart(client, 'bananas');
  const did = `${call.label} × ${kind.label}: linked Instacart+ shopper, last verification 15 min old (past freshness and grace); profile page, checkout, Place order; fault removed; profile again`;
  if (!signedIn.ok || setup.outcome !== 'linked') {
    report.add({
      section: SECTION,
      did,
      expected: 'setup links cleanly',
      happened: `setup: sign-in ${signedIn.status}, link ${setup.outcome}`,
      ok: false,
    });
    return;
  }
  // The storefront's cached fulfillment token dies at the emulator, so the next call must fetch one.
  if (call.id === 'token-cc') await admin.advanceClock(86_401);
  clock.offsetMs += 901_000;
  await applyFault(matrix, call, kind);
  const profile = await profileState(client);
  const checkout = await checkoutPage(client);
  const order = await placeOrder(client, checkout);
  await removeFault(matrix, kind);
  clock.offsetMs += 61_000;
  const after = await profileState(client);
  const { row: orderRow, ledger } = await orderRecords(matrix, order.orderId);
  const errors = fiveXx(responses);
  const wrong = await wrongLinksNow(matrix);
  const absorbed = kind.once === true;
  const expectedState = absorbed ? 'linked-active' : 'unavailable';
  const expectedFee = absorbed ? 0 : 399;
  const ok =
    profile.http === 200 &&
    profile.state === expectedState &&
    checkout.http === 200 &&
    checkout.feeCents === expectedFee &&
    (absorbed ? checkout.savedMessage : checkout.unreachableMessage) &&
    order.http === 303 &&
    orderRow !== undefined &&
    Number(orderRow.delivery_charged_cents) === expectedFee &&
    (absorbed ? ledger?.verification === 'fresh' : ledger === undefined) &&
    after.http === 200 &&
    after.state === 'linked-active' &&
    errors.length === 0 &&
    wrong.length === 0;
  report.add({
    section: SECTION,
    did,
    expected: absorbed
      ? 'retry absorbs it: profile linked-active; checkout $0 "You saved"; order charged 0 with a fresh ledger entry; no 5xx'
      : 'profile 200 state=unavailable; checkout 200 fee 399 + "couldn\'t reach Instacart"; order charged 399, no ledger entry; no 5xx; then linked-active',
    happened: `profile ${profile.http} ${profile.state}; checkout ${checkout.http} fee=${checkout.feeCents}${checkout.unreachableMessage ? ' +unreachable msg' : ''}${checkout.savedMessage ? ' +saved msg' : ''}${checkout.graceMessage ? ' +grace msg' : ''}; order ${order.http} charged=${orderRow?.delivery_charged_cents ?? '-'} ledger=${ledger ? ledger.verification : 'none'}; after removal ${after.state}; 5xx: ${errors.length ? errors.join(',') : 'none'}; wrong links: ${wrong.length}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ok,
  });
}

/** A link callback while the call fails, then a new link attempt once it is removed. */
export async function linkCell(matrix: Matrix, call: ConnectCall, kind: FaultKind): Promise<void> {
  const { admin, clock, report } = matrix;
  const started = performance.now();
  const { shopper, client, responses } = matrix.takeShopper();
  const did = `${call.label} × ${kind.label}: new shopper POSTs /cartlink/link with a valid code+state; fault removed; links again`;
  const signedIn = await signIn(client, shopper.email);
  const verified = await verify(client);
  if (!signedIn.ok || verified.status?.state !== 'unlinked') {
    report.add({
      section: SECTION,
      did,
      expected: 'setup: unlinked with an authorization URL',
      happened: `sign-in ${signedIn.status}, status ${verified.status?.state ?? verified.http}`,
      ok: false,
    });
    return;
  }
  const link = await startLink(client);
  const code = await consent(admin, shopper.instacartUserId, link);
  await applyFault(matrix, call, kind);
  const result = await postCallback(client, { code, state: link.state });
  await removeFault(matrix, kind);
  const linkedAtInstacart = (await shopLinks(admin)).get(shopper.id);
  // Recovery: the next status asks Connect (the stored verification is past its freshness).
  clock.offsetMs += 61_000;
  const status = await getStatus(client);
  let retry = 'not needed';
  if (status.status?.state === 'unlinked') {
    const again = await startLink(client);
    const code2 = await consent(admin, shopper.instacartUserId, again);
    retry = (await postCallback(client, { code: code2, state: again.state })).outcome ?? 'no outcome';
  }
  const final = await verify(client);
  const finalLink = (await shopLinks(admin)).get(shopper.id);
  const recorded = await hasLinkRecord(matrix, shopper.id);
  const errors = fiveXx(responses);
  const wrong = await wrongLinksNow(matrix);
  const expectedOutcome = expectedLinkOutcome(call, kind);
  const own = shopper.instacartUserId;
  // A fault that replaces the answer leaves nothing at Instacart; a delay lets the real handler
  // finish after the client gave up, so a late link to the shopper's own account is acceptable.
  const linkConsistent =
    expectedOutcome === 'linked'
      ? linkedAtInstacart === own
      : linkedAtInstacart === undefined || (kind.id === 'timeout' && linkedAtInstacart === own);
  const ok =
    result.http === 200 &&
    result.outcome === expectedOutcome &&
    linkConsistent &&
    final.status?.state === 'linked-active' &&
    finalLink === own &&
    recorded &&
    errors.length === 0 &&
    wrong.length === 0;
  report.add({
    section: SECTION,
    did,
    expected: `200 outcome=${expectedOutcome}; Instacart link ${expectedOutcome === 'linked' ? 'to own account' : kind.id === 'timeout' ? 'none (or own, late)' : 'none'}; no 5xx; after removal links: linked-active, record + emulator link agree`,
    happened: `${result.http} outcome=${result.outcome} (status ${result.status?.state ?? '-'}); Instacart link ${linkedAtInstacart === undefined ? 'none' : linkedAtInstacart === own ? 'own' : `OTHER ${linkedAtInstacart}`}; retry: ${retry}; final ${final.status?.state}, record=${recorded}, emulator=${finalLink === own ? 'own' : finalLink}; 5xx: ${errors.length ? errors.join(',') : 'none'}; wrong links: ${wrong.length}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ok,
  });
}
