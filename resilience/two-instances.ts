/**
 * @module Section 4: two storefront processes on one throwaway PostgreSQL database. A shopper's flow
 * starts on one instance (status → authorization URL, the link transaction written to the database)
 * and completes on the other (`POST /cartlink/link` with the same session cookie: sessions live in
 * the database, and browsers share cookies across the ports of one host). Both must then show the
 * same status; a replay of the spent state on the first instance, and two simultaneous callbacks on
 * both instances, must each yield exactly one link. Sign-in failures for one account spread over
 * both instances count against one limit (the counts live in PostgreSQL).
 */
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import { createTestDatabase, isPostgresAvailable } from '../testing/postgres';
import { type ChildServer, findFreePort } from '../testing/processes';
import { ShopClient, type ShopResponse } from '../testing/shop-client';
import { getStatus, postCallback, profileState, startLink } from '../testing/shop-steps';
import { consent, signIn } from './lib/flows';
import { compareLinks, registerShop, shopLinks } from './lib/instacart';
import { describeError, histogram, type SectionContext } from './lib/report';
import { inScope, mapLimit } from './lib/scope';
import { startEmulatorChild, startStorefrontChild } from './lib/servers';
import { createShoppers, SHOPPER_PASSWORD } from './lib/shoppers';

const SECTION = '4 two instances';

/** `SIGNIN_ACCOUNT_LIMIT` of both instances: small, so the shared count is seen to trip. */
const ACCOUNT_LIMIT = 6;

/** Runs section 4. */
export function runTwoInstances(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const count = ctx.quick ? 10 : 20;
  const racers = ctx.quick ? 3 : 6;
  return inScope(report, SECTION, 'children stopped, database dropped', async (scope) => {
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
    const database = await createTestDatabase();
    scope.add('drop the throwaway PostgreSQL database', () => database.drop());
    const emulator = await startEmulatorChild(scope, 'emulator (two instances)');
    const admin = new EmulatorAdmin(emulator.url);
    const [portA, portB] = [await findFreePort(), await findFreePort()];
    // Both start at once on an empty database: the migrations must not trip over each other.
    const started = await Promise.allSettled(
      [
        ['A', portA],
        ['B', portB],
      ].map(([name, port]) =>
        startStorefrontChild(scope, {
          name: `storefront ${name}`,
          port: Number(port),
          databaseUrl: database.url,
          emulatorUrl: emulator.url,
          env: { SIGNIN_ACCOUNT_LIMIT: String(ACCOUNT_LIMIT) },
        }),
      ),
    );
    const failed = started.filter((result) => result.status === 'rejected');
    report.add({
      section: SECTION,
      did: 'start storefront A and B at the same moment on one empty PostgreSQL database (createTestDatabase)',
      expected: 'both run their migrations and start',
      happened: failed.length
        ? failed.map((result) => describeError((result as PromiseRejectedResult).reason)).join('; ')
        : 'both started',
      ok: failed.length === 0,
    });
    if (failed.length > 0) return;
    const [a, b] = started.map((result) => (result as PromiseFulfilledResult<ChildServer>).value) as [
      ChildServer,
      ChildServer,
    ];
    await registerShop(admin, [`${a.url}/account/profile`, `${b.url}/account/profile`]);
    const seeding = await openDatabase<StorefrontDatabase>(database.url);
    scope.add('close the seeding connection', () => seeding.db.destroy());
    const shoppers = await createShoppers(seeding.db, admin, count + racers, 'pg');

    const responses: ShopResponse[] = [];
    const observe = (response: ShopResponse) => responses.push(response);

    const crossed = await mapLimit(shoppers.slice(0, count), 5, async (shopper, index) => {
      const [first, second] = index % 2 === 0 ? [a, b] : [b, a];
      const onFirst = new ShopClient(first.url, { observe });
      const onSecond = onFirst.on(second.url);
      try {
        const signedIn = await signIn(onFirst, shopper.email);
        if (!signedIn.ok) return { outcome: `sign-in ${signedIn.status}`, agree: false, replay: '-' };
        const status = await getStatus(onFirst);
        if (status.status?.state !== 'unlinked')
          return { outcome: `status ${status.status?.state ?? status.http}`, agree: false, replay: '-' };
        // "Link Instacart account" on the first instance: its 303 carries the authorization URL.
        const link = await startLink(onFirst);
        const code = await consent(admin, shopper.instacartUserId, link);
        const linked = await postCallback(onSecond, { code, state: link.state });
        const [statusA, statusB, profileA, profileB] = await Promise.all([
          getStatus(onFirst.on(a.url)),
          getStatus(onFirst.on(b.url)),
          profileState(onFirst.on(a.url)),
          profileState(onFirst.on(b.url)),
        ]);
        const agree =
          statusA.status?.state === statusB.status?.state &&
          statusA.status?.expiredAt === statusB.status?.expiredAt &&
          profileA.state === profileB.state &&
          profileA.state === statusA.status?.state &&
          statusA.status?.state === 'linked-active';
        const replay = await postCallback(onFirst, { code, state: link.state });
        return {
          outcome: linked.outcome ?? `HTTP ${linked.http}`,
          agree,
          replay: replay.outcome ?? `HTTP ${replay.http}`,
        };
      } catch (error) {
        return { outcome: `error: ${describeError(error)}`, agree: false, replay: '-' };
      }
    });
    report.add({
      section: SECTION,
      did: `${count} shoppers: sign in, GET /cartlink/status and POST /cartlink/authorize (the Link form) on one instance, POST /cartlink/link on the other with the same cookie (half A→B, half B→A); status and profile on both; replay the spent state on the first`,
      expected:
        'every link "linked"; A and B show the same state (linked-active) and expiry; every replay "state-invalid"',
      happened: `outcomes: ${histogram(crossed.map((result) => result.outcome))}; statuses agree ${crossed.filter((result) => result.agree).length}/${count}; replays: ${histogram(crossed.map((result) => result.replay))}`,
      ok:
        crossed.every((result) => result.outcome === 'linked') &&
        crossed.every((result) => result.agree) &&
        crossed.every((result) => result.replay === 'state-invalid'),
    });

    // The same callback delivered to both instances at once: the state is spent exactly once. The loser
    // finds the state spent ("state-invalid") or, when its session is read after the winner's link
    // rotated the session id (apps/storefront/src/app.ts), no session at all (401); then it is sent
    // again with the new session, so that every pair reaches the state check.
    const RACE_ENDINGS = new Set(['linked+state-invalid', 'HTTP 401+linked, again state-invalid']);
    const races = await mapLimit(shoppers.slice(count), 3, async (shopper) => {
      const onA = new ShopClient(a.url, { observe });
      try {
        const signedIn = await signIn(onA, shopper.email);
        if (!signedIn.ok) return `sign-in ${signedIn.status}`;
        const status = await getStatus(onA);
        if (status.status?.state !== 'unlinked') return `status ${status.status?.state ?? status.http}`;
        const link = await startLink(onA);
        const code = await consent(admin, shopper.instacartUserId, link);
        const both = await Promise.all([
          postCallback(onA, { code, state: link.state }),
          postCallback(onA.on(b.url), { code, state: link.state }),
        ]);
        const pair = both
          .map((result) => result.outcome ?? `HTTP ${result.http}`)
          .sort()
          .join('+');
        if (pair !== 'HTTP 401+linked') return pair;
        // The loser never reached the state check: send its callback again with the session the
        // winner's link rotated to (the jar holds it), on the loser's instance, which must find the
        // state spent.
        const loser = both[0]?.http === 401 ? onA : onA.on(b.url);
        const again = await postCallback(loser, { code, state: link.state });
        return `${pair}, again ${again.outcome ?? `HTTP ${again.http}`}`;
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    report.add({
      section: SECTION,
      did: `${racers} shoppers: one callback (same code and state) POSTed to A and B simultaneously`,
      expected:
        'each pair: exactly one "linked"; the other "state-invalid", or 401 when read after the link rotated the session id, and then "state-invalid" when sent again with the new session',
      happened: histogram(races),
      ok: races.every((result) => RACE_ENDINGS.has(result)),
    });

    // One account's failed sign-ins alternate between A and B: half the limit on each instance, the
    // whole limit together. The next attempt, with the right password, must be refused on both.
    const [target] = await createShoppers(seeding.db, admin, 1, 'pg-limit', { withInstacartAccounts: false });
    const failures: string[] = [];
    for (let index = 0; index < ACCOUNT_LIMIT; index++) {
      const [name, instance] = index % 2 === 0 ? ['A', a] : ['B', b];
      const answer = await new ShopClient(instance.url, { observe }).signIn(target?.email ?? '', 'wrong');
      failures.push(`${name} ${answer.status}`);
    }
    const refusals = await Promise.all(
      [a, b].map((instance) =>
        new ShopClient(instance.url, { observe }).signIn(target?.email ?? '', SHOPPER_PASSWORD),
      ),
    );
    report.add({
      section: SECTION,
      did: `SIGNIN_ACCOUNT_LIMIT=${ACCOUNT_LIMIT} on both: ${ACCOUNT_LIMIT} wrong passwords for one account alternating A, B (${ACCOUNT_LIMIT / 2} on each), then the right password on A and on B`,
      expected: `the ${ACCOUNT_LIMIT} failures 401; then 429 with Retry-After on both (the limit trips at the total, not per instance)`,
      happened: `failures: ${histogram(failures)}; right password: A ${refusals[0]?.status} (Retry-After ${refusals[0]?.retryAfter ?? 'none'}), B ${refusals[1]?.status} (Retry-After ${refusals[1]?.retryAfter ?? 'none'})`,
      ok:
        failures.every((failure) => failure.endsWith(' 401')) &&
        refusals.every((refusal) => refusal.status === 429 && refusal.retryAfter !== undefined),
    });

    const links = await shopLinks(admin);
    const records = new Set(
      (await seeding.db.selectFrom('cartlink_link_records').select('user_id').execute()).map(
        (row) => row.user_id,
      ),
    );
    const { onlyDb, onlyEmulator, wrong } = compareLinks(records, links, shoppers);
    const fiveXx = responses.filter((response) => response.status >= 500);
    report.add({
      section: SECTION,
      did: 'compare cartlink_link_records (PostgreSQL) with the emulator links; count 5xx over both instances',
      expected:
        "the same set; every link to the shopper's own account; no 5xx; no error logs on either instance",
      happened: `records ${records.size}, links ${links.size}, only DB ${onlyDb.length}, only emulator ${onlyEmulator.length}, wrong ${wrong.length}; 5xx ${fiveXx.length}; error logs A ${a.errorLines().length}, B ${b.errorLines().length}${[
        ...a.errorLines(),
        ...b.errorLines(),
      ]
        .slice(0, 2)
        .map((line) => ` (${line})`)
        .join('')}`,
      ok:
        onlyDb.length === 0 &&
        onlyEmulator.length === 0 &&
        wrong.length === 0 &&
        fiveXx.length === 0 &&
        a.errorLines().length + b.errorLines().length === 0,
    });
  });
}
