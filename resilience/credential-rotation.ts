/**
 * @module Section 6: a credential rotation rehearsed under load (issue 14), on two storefront
 * processes sharing one throwaway PostgreSQL database, the way docs/credential-rotation.md tells a
 * retailer to run it: clone the application at Instacart; deploy the next credentials
 * (`CONNECT_CLIENT_ID_NEXT`, `CONNECT_CLIENT_SECRET_NEXT`) to A, then to B, each drained and
 * restarted while the other serves; disable the old application; in a quiet moment (no flow in
 * flight) try to delete it (refused while its tokens live), move the emulator's clock past their
 * expiry, and delete it; finally promote the new credentials to `CONNECT_CLIENT_ID` on A, then B.
 *
 * Throughout, a fixed number of worker loops per instance (bounded in count and time, loopback only)
 * take a new Instacart+ shopper each: sign in, link (start on the instance, consent at the emulator,
 * callback on the instance), check out and place the order; then a shopper linked earlier, under
 * whichever application, checks out again on the same instance. Every flow is counted in the phase
 * it started in. A few links are started under the old application before the disable and called
 * back after it: each must end as a clean `failed` (the result dialog's "try again") and its retry
 * must link.
 *
 * The steps of `--only 6:<step>` are the rehearsal's transitions in order; each needs the ones before
 * it, so the rehearsal runs up to the last step named.
 */
import { type ClonedAppView, EmulatorAdmin, EmulatorAppHasLiveTokensError } from '@cartlink/emulator/testing';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import type { Kysely } from 'kysely';
import { createTestDatabase, isPostgresAvailable } from '../testing/postgres';
import { type ChildServer, findFreePort } from '../testing/processes';
import { ShopClient, type ShopResponse } from '../testing/shop-client';
import {
  addToCart,
  type CallbackAnswer,
  checkoutPage,
  getStatus,
  placeOrder,
  postCallback,
  type StartedLink,
  tryStartLink,
} from '../testing/shop-steps';
import { signIn } from './lib/flows';
import { compareLinks, registerShop, SHOP_APP } from './lib/instacart';
import { describeError, histogram, type Report, type Row, type SectionContext } from './lib/report';
import { inScope, type Scope, withTimeout } from './lib/scope';
import { startEmulatorChild, startStorefrontChild } from './lib/servers';
import { createShoppers, type Shopper } from './lib/shoppers';

const SECTION = '6 credential rotation';

/** The rehearsal's transitions in order, each opening the phase of the same index. */
export const ROTATION_STEPS = [
  'baseline',
  'clone',
  'switch-a',
  'switch-b',
  'disable',
  'delete',
  'promote',
] as const;

type RotationStep = (typeof ROTATION_STEPS)[number];

/** The table's name of the phase each step opens. */
const PHASE_NAMES: Record<RotationStep, string> = {
  baseline: 'baseline',
  clone: 'cloned',
  'switch-a': 'A switched',
  'switch-b': 'B switched',
  disable: 'old disabled',
  delete: 'quiet + clock moved + old deleted',
  promote: 'after',
};

/** Index of the first phase in which both instances run the next credentials. */
const BOTH_SWITCHED = ROTATION_STEPS.indexOf('switch-b');

/** How much load, and for how long at most. */
interface Sizes {
  /** Worker loops per instance. */
  workers: number;
  /** Links (each followed by checkouts) each instance must complete in a phase before the next step. */
  perPhase: number;
  /** Links per instance started under the old application and called back after its disable. */
  heldPerInstance: number;
  /**
   * The most flows the workers of one instance start in the whole rehearsal: an instance whose
   * flows fail at once cannot take the other's share.
   */
  maxFlows: number;
  /** The longest a phase waits for its links before the rehearsal moves on (and the row shows it). */
  phaseLimitMs: number;
}

const QUICK: Sizes = { workers: 2, perPhase: 3, heldPerInstance: 2, maxFlows: 125, phaseLimitMs: 60_000 };
const FULL: Sizes = { workers: 3, perPhase: 6, heldPerInstance: 3, maxFlows: 250, phaseLimitMs: 90_000 };

/** New shoppers are made this many at a time, when the pool runs dry. */
const SHOPPER_BATCH = 8;

/** The longest a drain (flows in flight on an instance finishing) may take. */
const DRAIN_LIMIT_MS = 60_000;

type InstanceName = 'A' | 'B';

/** Wakes whoever waits for a condition when something it reads may have changed. */
class Signal {
  private waiters: Array<() => void> = [];

  /** Wakes every waiter; each checks its condition again. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves true once `condition()` holds, false when `ms` pass first. */
  async until(condition: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!condition()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }
}

/**
 * One storefront instance: a fixed port and database, and the process serving them now. Its lane is
 * what a load balancer does in a rolling deploy: closed, it sends the instance no new flow, and the
 * flows in flight finish before the process is stopped.
 */
interface Instance {
  name: InstanceName;
  port: number;
  url: string;
  server: ChildServer;
  /** Every process that served this instance, for their error lines. */
  servers: ChildServer[];
  open: boolean;
  busy: number;
  /** Flows its workers started. */
  started: number;
}

/** One checkout by a linked Instacart+ member: the discount is owed. */
interface CheckoutRecord {
  granted: boolean;
  /** `fee 0`, `fee 399`, `checkout-http-500`, … */
  detail: string;
}

/** One worker flow, counted in the phase it started in. */
interface FlowRecord {
  phase: number;
  instance: InstanceName;
  /** The `client_id` of the authorization URL the instance built, when it built one. */
  clientId: string | null;
  outcome: string;
  checkouts: CheckoutRecord[];
}

/** A linked shopper whose cookies are kept, to come back and check out again later. */
interface LinkedShopper {
  shopper: Shopper;
  client: ShopClient;
}

/** Shoppers made as the workers need them, a batch at a time. */
class ShopperPool {
  readonly all: Shopper[] = [];
  private readonly ready: Shopper[] = [];
  private refill: Promise<void> | null = null;
  private batches = 0;

  constructor(
    private readonly db: Kysely<StorefrontDatabase>,
    private readonly admin: EmulatorAdmin,
  ) {}

  /** A shopper no one has used yet, with an Instacart+ account of their own. */
  async take(): Promise<Shopper> {
    while (this.ready.length === 0) {
      this.refill ??= this.make().finally(() => {
        this.refill = null;
      });
      await this.refill;
    }
    return this.ready.shift() as Shopper;
  }

  private async make(): Promise<void> {
    const made = await createShoppers(this.db, this.admin, SHOPPER_BATCH, `rotation${this.batches++}`);
    this.all.push(...made);
    this.ready.push(...made);
  }
}

/** What asking to delete the old application while its tokens live came to. */
type DeleteRefusal =
  | { refused: true; liveTokens: number; lastExpiresAt: Date }
  | { refused: false; what: string };

/** Runs section 6. */
export function runCredentialRotation(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const sizes = ctx.quick ? QUICK : FULL;
  // The steps depend on each other: `--only 6:disable` runs the rehearsal up to the disable.
  const lastStep = Math.max(...ROTATION_STEPS.map((step, index) => (ctx.wants(step) ? index : -1)));
  return inScope(report, SECTION, 'workers stopped, children stopped, database dropped', async (scope) => {
    if (!(await isPostgresAvailable())) {
      report.add({
        section: SECTION,
        did: 'connect to PostgreSQL at 127.0.0.1:5432',
        expected: 'available',
        happened: 'not available: section not run',
        ok: false,
      });
      return;
    }
    await rehearse(scope, report, sizes, lastStep);
  });
}

async function rehearse(scope: Scope, report: Report, sizes: Sizes, lastStep: number): Promise<void> {
  const database = await createTestDatabase();
  scope.add('drop the throwaway PostgreSQL database', () => database.drop());
  const emulator = await startEmulatorChild(scope, 'emulator (rotation)');
  const admin = new EmulatorAdmin(emulator.url);
  const oldId = SHOP_APP.clientId;

  const signal = new Signal();
  const launch = (name: InstanceName, port: number, env: Record<string, string>, label: string) =>
    startStorefrontChild(scope, {
      name: `storefront ${name} (${label})`,
      port,
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      env,
    });
  // One shared PostgreSQL database: A first, so that B finds it migrated (section 4 covers the race).
  const instances: Instance[] = [];
  for (const name of ['A', 'B'] as const) {
    const port = await findFreePort();
    const server = await launch(name, port, {}, 'old credentials');
    instances.push({
      name,
      port,
      url: server.url,
      server,
      servers: [server],
      open: true,
      busy: 0,
      started: 0,
    });
  }
  const [a, b] = instances as [Instance, Instance];
  await registerShop(admin, [`${a.url}/account/profile`, `${b.url}/account/profile`]);
  const seeding = await openDatabase<StorefrontDatabase>(database.url);
  scope.add('close the seeding connection', () => seeding.db.destroy());
  const pool = new ShopperPool(seeding.db, admin);

  let phase = 0;
  const flows: FlowRecord[] = [];
  const returning: LinkedShopper[] = [];
  const fiveXx: Array<{ phase: number; line: string }> = [];
  const observe = (response: ShopResponse) => {
    if (response.status >= 500)
      fiveXx.push({ phase, line: `${response.status} ${response.method} ${response.url}` });
  };
  const load = { stopped: false };
  const capped = (instance: Instance) => instance.started >= sizes.maxFlows;

  const checkOut = async (client: ShopClient): Promise<CheckoutRecord> => {
    const added = await addToCart(client, 'milk');
    if (added !== 303) return { granted: false, detail: `add-to-cart-http-${added}` };
    const page = await checkoutPage(client);
    if (page.http !== 200) return { granted: false, detail: `checkout-http-${page.http}` };
    const order = await placeOrder(client, page);
    if (order.orderId === null) return { granted: false, detail: `place-order-http-${order.http}` };
    return { granted: page.feeCents === 0, detail: `fee ${page.feeCents ?? 'unknown'}` };
  };

  const runFlow = async (instance: Instance): Promise<FlowRecord> => {
    const record: FlowRecord = { phase, instance: instance.name, clientId: null, outcome: '', checkouts: [] };
    try {
      const shopper = await pool.take();
      const client = new ShopClient(instance.url, { observe });
      const signedIn = await signIn(client, shopper.email);
      if (!signedIn.ok) return { ...record, outcome: `sign-in-${signedIn.status}` };
      const status = await getStatus(client);
      if (status.status?.state !== 'unlinked') {
        return { ...record, outcome: `status-${status.status?.state ?? `http-${status.http}`}` };
      }
      const begun = await tryStartLink(client);
      if (!begun.started) {
        return { ...record, outcome: `authorize-${begun.why}-${begun.response.status}` };
      }
      record.clientId = begun.link.clientId;
      const code = await consentTo(admin, shopper.instacartUserId, begun.link);
      const linked = await postCallback(client, { code, state: begun.link.state });
      record.outcome = linked.outcome ?? `link-http-${linked.http}`;
      if (record.outcome !== 'linked') return record;
      record.checkouts.push(await checkOut(client));
      // A member linked earlier (under whichever application) shops again, on this instance.
      const earlier = returning.shift();
      if (earlier) {
        record.checkouts.push(await checkOut(earlier.client.on(instance.url)));
        returning.push(earlier);
      }
      returning.push({ shopper, client });
      return record;
    } catch (error) {
      return { ...record, outcome: record.outcome || `error: ${describeError(error)}` };
    }
  };

  const work = async (instance: Instance) => {
    while (!load.stopped && !capped(instance)) {
      if (!instance.open) {
        await signal.until(() => instance.open || load.stopped, 30_000);
        continue;
      }
      instance.started++;
      instance.busy++;
      try {
        flows.push(await runFlow(instance));
      } finally {
        instance.busy--;
        signal.notify();
      }
    }
  };
  const workers = instances.flatMap((instance) =>
    Array.from({ length: sizes.workers }, () => work(instance)),
  );
  const stopLoad = async () => {
    load.stopped = true;
    signal.notify();
    await withTimeout(Promise.all(workers), DRAIN_LIMIT_MS, 'the worker loops to stop');
  };
  scope.add('stop the worker loops', stopLoad);

  const linkedIn = (index: number, name: InstanceName) =>
    flows.filter((flow) => flow.phase === index && flow.instance === name && flow.outcome === 'linked')
      .length;
  /** Per phase: whether each instance completed its links before the phase's time limit. */
  const inTime: boolean[] = [];
  const phaseLoaded = async () => {
    inTime[phase] = await signal.until(
      () =>
        instances.every((instance) => linkedIn(phase, instance.name) >= sizes.perPhase || capped(instance)),
      sizes.phaseLimitMs,
    );
  };
  /** A rolling deploy's step: no new flows for the instance, the ones in flight finish, restart. */
  const restart = async (instance: Instance, env: Record<string, string>, label: string): Promise<string> => {
    instance.open = false;
    const inFlight = instance.busy;
    const drained = await signal.until(() => instance.busy === 0, DRAIN_LIMIT_MS);
    if (!drained)
      throw new Error(`storefront ${instance.name}: flows still in flight after ${DRAIN_LIMIT_MS} ms`);
    const down = performance.now();
    await instance.server.stop();
    instance.server = await launch(instance.name, instance.port, env, label);
    instance.servers.push(instance.server);
    const seconds = ((performance.now() - down) / 1000).toFixed(1);
    instance.open = true;
    signal.notify();
    return `${instance.name} drained (${inFlight} flows finished), stopped and started again on the same port and database with ${label} (down ${seconds} s) while the other served`;
  };
  const quiet = async () => {
    for (const instance of instances) instance.open = false;
    const drained = await signal.until(
      () => instances.every((instance) => instance.busy === 0),
      DRAIN_LIMIT_MS,
    );
    if (!drained) throw new Error(`flows still in flight after ${DRAIN_LIMIT_MS} ms`);
  };
  const reopen = () => {
    for (const instance of instances) instance.open = true;
    signal.notify();
  };

  const transitions: string[] = ['both instances on the old application only (CONNECT_CLIENT_ID)'];
  const expectedClients: Array<Record<InstanceName, string>> = [{ A: oldId, B: oldId }];
  let clone: ClonedAppView | undefined;
  let cloneRow: Row | undefined;
  let held: HeldLink[] = [];
  let heldResults: HeldResult[] = [];
  let heldRefusals: number | null = null;
  let deletion:
    | { refused: DeleteRefusal; advancedSeconds: number; deleted: string; apps: string }
    | undefined;

  await phaseLoaded();
  for (let step = 1; step <= lastStep; step++) {
    const name = ROTATION_STEPS[step] as RotationStep;
    const previous = expectedClients[step - 1] as Record<InstanceName, string>;
    if (name === 'clone') {
      clone = await admin.cloneApp(oldId);
      const apps = await admin.listApps();
      const original = apps.find((app) => app.client_id === oldId);
      const listed = apps.find((app) => app.client_id === clone?.client_id);
      // Added after the phase rows, with the other goals.
      cloneRow = {
        section: SECTION,
        did: `clone the application under load: POST /_emulator/apps/${oldId}/clone (cartlink-emulator apps clone ${oldId}); GET apps`,
        expected:
          'a new client id and secret, status enabled, the same retailer, scopes and redirect URIs; both applications listed, both enabled',
        happened: `clone ${clone.client_id} (${clone.status}, retailer ${clone.retailer_id}, scopes ${clone.scopes.join(' ')}, ${clone.redirect_uris.length} redirect URIs); listed: ${apps.map((app) => `${app.client_id} ${app.status}`).join(', ')}`,
        ok:
          clone.client_id !== oldId &&
          clone.client_secret.length > 0 &&
          clone.status === 'enabled' &&
          original !== undefined &&
          original.status === 'enabled' &&
          listed?.status === 'enabled' &&
          clone.retailer_id === original.retailer_id &&
          sameSet(clone.scopes, original.scopes) &&
          sameSet(clone.redirect_uris, original.redirect_uris),
      };
      transitions.push(`POST apps/${oldId}/clone: new application ${clone.client_id}, nothing deployed yet`);
      expectedClients.push(previous);
    } else if (name === 'switch-a' || name === 'switch-b') {
      const cloned = requireClone(clone);
      if (name === 'switch-a') {
        // Started under the old application before any instance switched; called back after the disable.
        held = await startHeldLinks(instances, pool, admin, sizes.heldPerInstance, observe);
      }
      const instance = name === 'switch-a' ? a : b;
      transitions.push(
        await restart(
          instance,
          { CONNECT_CLIENT_ID_NEXT: cloned.client_id, CONNECT_CLIENT_SECRET_NEXT: cloned.client_secret },
          `CONNECT_CLIENT_ID_NEXT=${cloned.client_id}`,
        ),
      );
      expectedClients.push({ ...previous, [instance.name]: cloned.client_id });
    } else if (name === 'disable') {
      const disabled = await admin.disableApp(oldId);
      transitions.push(`POST apps/${oldId}/disable under load: ${disabled.client_id} ${disabled.status}`);
      expectedClients.push(previous);
      phase = step;
      // The links in flight under the old application come back now.
      await admin.clearRequests();
      heldResults = await Promise.all(held.map((link) => callBackHeld(link, instances, admin, checkOut)));
      heldRefusals = (await admin.requests()).filter(
        (entry) => entry.method === 'POST' && entry.path === '/v2/oauth/token' && entry.status === 401,
      ).length;
      await phaseLoaded();
      continue;
    } else if (name === 'delete') {
      await quiet();
      const refused = await askToDelete(admin, oldId);
      const now = await admin.now();
      // The refusal names the last expiry; without one, a token's whole lifetime (24 h).
      const lastExpiry = refused.refused ? refused.lastExpiresAt.getTime() : now.getTime() + 86_400_000;
      const advancedSeconds = Math.max(1, Math.ceil((lastExpiry - now.getTime()) / 1000) + 1);
      await admin.advanceClock(advancedSeconds);
      const again = await askToDelete(admin, oldId);
      const deleted = again.refused ? `refused again: 409, live tokens ${again.liveTokens}` : again.what;
      const apps = (await admin.listApps()).map((app) => `${app.client_id} ${app.status}`).join(', ');
      deletion = { refused, advancedSeconds, deleted, apps };
      transitions.push(
        `quiet (both drained, no flow in flight); DELETE apps/${oldId}: ${refused.refused ? '409 app_has_live_tokens' : refused.what}; clock +${advancedSeconds} s; DELETE again: ${deleted}`,
      );
      expectedClients.push(previous);
      phase = step;
      reopen();
      await phaseLoaded();
      continue;
    } else if (name === 'promote') {
      const cloned = requireClone(clone);
      const promoted = { CONNECT_CLIENT_ID: cloned.client_id, CONNECT_CLIENT_SECRET: cloned.client_secret };
      const label = `CONNECT_CLIENT_ID=${cloned.client_id} and no _NEXT`;
      const done = [await restart(a, promoted, label), await restart(b, promoted, label)];
      transitions.push(`promotion: ${done.join('; then ')}`);
      expectedClients.push(previous);
    }
    phase = step;
    await phaseLoaded();
  }
  await stopLoad();

  // One row per phase.
  for (let index = 0; index <= lastStep; index++) {
    const expected = expectedClients[index] as Record<InstanceName, string>;
    const per = instances.map((instance) => {
      const mine = flows.filter((flow) => flow.phase === index && flow.instance === instance.name);
      const linked = mine.filter((flow) => flow.outcome === 'linked');
      const checkouts = mine.flatMap((flow) => flow.checkouts);
      return {
        name: instance.name,
        linked: linked.length,
        failed: mine.filter((flow) => flow.outcome !== 'linked'),
        clients: mine.flatMap((flow) => (flow.clientId === null ? [] : [flow.clientId])),
        checkouts: checkouts.length,
        granted: checkouts.filter((checkout) => checkout.granted).length,
      };
    });
    const errors = fiveXx.filter((entry) => entry.phase === index).length;
    report.add({
      section: SECTION,
      did: `phase ${index + 1} "${PHASE_NAMES[ROTATION_STEPS[index] as RotationStep]}": ${transitions[index]}; ${sizes.workers} workers per instance: sign in → link → check out, and an earlier member checks out again`,
      expected: `links and checkouts on A and on B (never zero), authorization URLs with client_id ${expected.A} on A and ${expected.B} on B; no failed link; every discount owed granted; no 5xx`,
      happened: `${per
        .map(
          (row) =>
            `${row.name}: links ${row.linked} (client_id ${histogram(row.clients) || 'none'}), failed ${row.failed.length}${row.failed.length ? ` (${histogram(row.failed.map((flow) => flow.outcome))})` : ''}, checkouts ${row.checkouts} (discount ${row.granted}/${row.checkouts})`,
        )
        .join(
          '; ',
        )}; 5xx ${errors}${inTime[index] === false ? `; the phase's ${sizes.phaseLimitMs / 1000} s ran out first` : ''}${instances
        .filter(capped)
        .map((instance) => `; ${instance.name} reached its cap of ${sizes.maxFlows} flows`)
        .join('')}`,
      ok:
        per.every(
          (row) =>
            row.linked > 0 &&
            row.checkouts > 0 &&
            row.failed.length === 0 &&
            row.granted === row.checkouts &&
            row.clients.every((client) => client === expected[row.name]),
        ) && errors === 0,
    });
  }

  // The goals of issue 14.
  if (cloneRow) report.add(cloneRow);
  if (lastStep >= BOTH_SWITCHED) {
    const after = flows.filter((flow) => flow.phase >= BOTH_SWITCHED);
    const failed = after.filter((flow) => flow.outcome !== 'linked');
    report.add({
      section: SECTION,
      did: `links started after both instances switched (phases ${BOTH_SWITCHED + 1}–${lastStep + 1})`,
      expected: '0 failed',
      happened: `${failed.length} failed of ${after.length}${failed.length ? ` (${histogram(failed.map((flow) => flow.outcome))})` : ''}`,
      ok: failed.length === 0 && after.length > 0,
    });
  }
  if (lastStep >= ROTATION_STEPS.indexOf('disable')) {
    const cloneId = requireClone(clone).client_id;
    const clean = heldResults.filter(
      (result) => result.first.http === 200 && result.first.outcome === 'failed',
    );
    const retried = heldResults.filter(
      (result) =>
        result.retryClientId === cloneId && result.retry === 'linked' && result.checkout?.granted === true,
    );
    report.add({
      section: SECTION,
      did: `${held.length} links in flight under the old application when it was disabled: started on A and B before A switched (authorization URL client_id ${histogram(held.map((link) => link.link.clientId))}), consent given, called back after the disable (half on the instance that started them, half on the other); then "try again"`,
      expected: `each callback 200 "failed" (the dialog's "Something went wrong. Please try again."), the token endpoint refusing each code exchange with 401 (${held.length}); each retry's authorization URL with client_id ${cloneId}, "linked", and its checkout at $0`,
      happened: `callbacks: ${histogram(heldResults.map((result) => `${result.first.http} ${result.first.outcome ?? 'no outcome'}`))}; token endpoint 401s ${heldRefusals ?? 'not read'}; retries: ${histogram(heldResults.map((result) => `${result.retryClientId ?? 'no URL'} ${result.retry}${result.checkout ? `, ${result.checkout.detail}` : ''}`))}`,
      ok:
        held.length > 0 &&
        held.every((link) => link.link.clientId === oldId) &&
        clean.length === held.length &&
        retried.length === held.length &&
        heldRefusals === held.length,
    });
  }
  const checkouts = [
    ...flows.flatMap((flow) => flow.checkouts),
    ...heldResults.flatMap((result) => (result.checkout ? [result.checkout] : [])),
  ];
  const lost = checkouts.filter((checkout) => !checkout.granted);
  const userIds = pool.all.map((shopper) => shopper.id);
  const orders = userIds.length
    ? await seeding.db
        .selectFrom('shop_orders')
        .select(['delivery_charged_cents'])
        .where('user_id', 'in', userIds)
        .execute()
    : [];
  const charged = orders.filter((order) => order.delivery_charged_cents !== 0).length;
  report.add({
    section: SECTION,
    did: 'checkouts by linked Instacart+ members over the whole rehearsal (new links, earlier members, retried in-flight links); their orders in PostgreSQL',
    expected: 'no discount lost: every checkout page at $0 delivery and every order placed with $0 charged',
    happened: `${lost.length} lost of ${checkouts.length}${lost.length ? ` (${histogram(lost.map((checkout) => checkout.detail))})` : ''}; orders ${orders.length}, with delivery charged ${charged}`,
    ok: checkouts.length > 0 && lost.length === 0 && charged === 0 && orders.length === checkouts.length,
  });
  const errorLines = instances.flatMap((instance) =>
    instance.servers.flatMap((server) => server.errorLines().map((line) => `${instance.name}: ${line}`)),
  );
  report.add({
    section: SECTION,
    did: `5xx answers of A and B over the whole rehearsal (${instances.reduce((sum, instance) => sum + instance.servers.length, 0)} processes); error logs`,
    expected: 'no 5xx; no error log line',
    happened: `5xx ${fiveXx.length}${fiveXx
      .slice(0, 2)
      .map((entry) => ` (${entry.line})`)
      .join('')}; error lines ${errorLines.length}${errorLines
      .slice(0, 2)
      .map((line) => ` (${line})`)
      .join('')}`,
    ok: fiveXx.length === 0 && errorLines.length === 0,
  });
  if (deletion) {
    const { refused } = deletion;
    report.add({
      section: SECTION,
      did: `in the quiet moment: DELETE /_emulator/apps/${oldId} (cartlink-emulator apps delete); move the emulator clock past the last expiry it names; DELETE again; GET apps`,
      expected: `409 app_has_live_tokens (live tokens > 0, last expiry within 24 h) before the clock move; 204 after; ${oldId} gone from GET apps`,
      happened: `${refused.refused ? `409 app_has_live_tokens, live tokens ${refused.liveTokens}, last expiry ${refused.lastExpiresAt.toISOString()}` : refused.what}; clock +${deletion.advancedSeconds} s; then ${deletion.deleted}; apps: ${deletion.apps}`,
      ok:
        refused.refused &&
        refused.liveTokens > 0 &&
        deletion.advancedSeconds <= 86_401 &&
        deletion.deleted === 'deleted (204)' &&
        !deletion.apps.split(', ').some((app) => app.startsWith(`${oldId} `)),
    });
  }
  // Links belong to the retailer: the ones made under the old application outlive it.
  const { links } = await admin.state();
  const mine = new Set(userIds);
  const shopLinks = new Map(
    links.filter((link) => mine.has(link.user_id)).map((link) => [link.user_id, link.instacart_user_id]),
  );
  const records = new Set(
    (
      await seeding.db
        .selectFrom('cartlink_link_records')
        .select('user_id')
        .where('user_id', 'in', userIds.length ? userIds : [''])
        .execute()
    ).map((row) => row.user_id),
  );
  const { onlyDb, onlyEmulator, wrong } = compareLinks(records, shopLinks, pool.all);
  const linkedUnderOld = flows.filter((flow) => flow.outcome === 'linked' && flow.clientId === oldId).length;
  report.add({
    section: SECTION,
    did: `compare cartlink_link_records (PostgreSQL) with the emulator's links at the end${lastStep >= ROTATION_STEPS.indexOf('delete') ? `, after ${oldId} was deleted` : ''}`,
    expected: `the same set, every link to the shopper's own account, the ${linkedUnderOld} links made under ${oldId} among them`,
    happened: `records ${records.size}, links ${shopLinks.size}, only DB ${onlyDb.length}, only emulator ${onlyEmulator.length}, wrong ${wrong.length}`,
    ok: records.size > 0 && onlyDb.length === 0 && onlyEmulator.length === 0 && wrong.length === 0,
  });
}

/** The code the shopper's Allow would have given for this link, for the application its URL names. */
function consentTo(admin: EmulatorAdmin, instacartUserId: number, link: StartedLink): Promise<string> {
  return admin.authorizeCode({
    instacartUserId,
    clientId: link.clientId,
    redirectUri: link.redirectUri,
    codeChallenge: link.codeChallenge ?? null,
  });
}

/** A link whose shopper pressed Allow under the old application and has not come back yet. */
interface HeldLink {
  instance: InstanceName;
  index: number;
  shopper: Shopper;
  client: ShopClient;
  link: StartedLink;
  code: string;
}

/** How a held link's callback, and then its "try again", ended. */
interface HeldResult {
  first: CallbackAnswer;
  retryClientId: string | null;
  retry: string;
  checkout: CheckoutRecord | null;
}

/** Starts `perInstance` links on each instance and gets their codes; their callbacks wait. */
async function startHeldLinks(
  instances: readonly Instance[],
  pool: ShopperPool,
  admin: EmulatorAdmin,
  perInstance: number,
  observe: (response: ShopResponse) => void,
): Promise<HeldLink[]> {
  const starts = instances.flatMap((instance) =>
    Array.from({ length: perInstance }, async (_, index): Promise<HeldLink> => {
      const shopper = await pool.take();
      const client = new ShopClient(instance.url, { observe });
      const signedIn = await signIn(client, shopper.email);
      if (!signedIn.ok) throw new Error(`held link on ${instance.name}: sign-in answered ${signedIn.status}`);
      const begun = await tryStartLink(client);
      if (!begun.started) {
        throw new Error(
          `held link on ${instance.name}: POST /cartlink/authorize answered ${begun.response.status}`,
        );
      }
      const code = await consentTo(admin, shopper.instacartUserId, begun.link);
      return { instance: instance.name, index, shopper, client, link: begun.link, code };
    }),
  );
  return Promise.all(starts);
}

/**
 * Delivers a held callback after the disable (every other one on the other instance: the link
 * transaction lives in the shared database), then presses "Link Instacart account" again as the
 * dialog's "try again" does, links, and checks out.
 */
async function callBackHeld(
  held: HeldLink,
  instances: readonly Instance[],
  admin: EmulatorAdmin,
  checkOut: (client: ShopClient) => Promise<CheckoutRecord>,
): Promise<HeldResult> {
  const other = instances.find((instance) => instance.name !== held.instance) as Instance;
  const own = instances.find((instance) => instance.name === held.instance) as Instance;
  const client = held.client.on((held.index % 2 === 0 ? own : other).url);
  const first = await postCallback(client, { code: held.code, state: held.link.state });
  try {
    const again = await tryStartLink(client);
    if (!again.started) {
      return {
        first,
        retryClientId: null,
        retry: `authorize-${again.why}-${again.response.status}`,
        checkout: null,
      };
    }
    const code = await consentTo(admin, held.shopper.instacartUserId, again.link);
    const linked = await postCallback(client, { code, state: again.link.state });
    const retry = linked.outcome ?? `link-http-${linked.http}`;
    return {
      first,
      retryClientId: again.link.clientId,
      retry,
      checkout: retry === 'linked' ? await checkOut(client) : null,
    };
  } catch (error) {
    return { first, retryClientId: null, retry: `error: ${describeError(error)}`, checkout: null };
  }
}

/** Asks to delete the application while its tokens live: the refusal, or what happened instead. */
async function askToDelete(admin: EmulatorAdmin, clientId: string): Promise<DeleteRefusal> {
  try {
    await admin.deleteApp(clientId);
    return { refused: false, what: 'deleted (204)' };
  } catch (error) {
    if (error instanceof EmulatorAppHasLiveTokensError) {
      return { refused: true, liveTokens: error.liveTokens, lastExpiresAt: error.lastExpiresAt };
    }
    return { refused: false, what: describeError(error) };
  }
}

function requireClone(clone: ClonedAppView | undefined): ClonedAppView {
  if (!clone) throw new Error('the application was not cloned');
  return clone;
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((item) => right.includes(item));
}
