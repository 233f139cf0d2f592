/**
 * The linking core against the real emulator, in process: the same client, storage and flow a
 * retailer runs, with Instacart's side played by `@cartlink/emulator`.
 */
import { type ConnectClient, createConnectClient } from '@cartlink/connect';
import { createEmulator, DEMO_SEED, type Emulator } from '@cartlink/emulator';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkingSubject } from './link-transactions.js';
import { createLinking, type Linking } from './linking.js';
import type { StatusView } from './status.js';
import { migrateToLatest } from './storage/migrate.js';
import { createSqlStorage } from './storage/sql-storage.js';
import { openSqliteDatabase } from './storage/sqlite-node.js';
import type { LinkingStorage } from './storage/types.js';
import { readAuthorizationUrl } from './test-support/fake-connect.js';

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const BASE = 'http://emulator.test';

interface World {
  emulator: Emulator;
  connect: ConnectClient;
  linking: Linking;
  storage: LinkingStorage;
  /** Connect calls by route template, e.g. `POST /v2/oauth/token`. */
  calls: string[];
}

async function createWorld(options: { usePkce?: boolean; issuer?: boolean } = {}): Promise<World> {
  const emulator = createEmulator({ seed: 'demo', issuer: BASE });
  const db = openSqliteDatabase(':memory:');
  await migrateToLatest(db);
  const storage = createSqlStorage(db);
  const calls: string[] = [];
  const connect = createConnectClient({
    baseUrl: BASE,
    clientId,
    clientSecret,
    fetch: (input, init) => emulator.fetch(input, init),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    onRequest: (event) => calls.push(`${event.method} ${event.route}`),
  });
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: `${BASE}/oauth/authorize`,
    clientId,
    redirectUri,
    usePkce: options.usePkce ?? true,
    ...(options.issuer ? { issuer: BASE, requireIssuer: true } : {}),
    loadConnectUserProfile: async (userId) => ({
      firstName: `Shopper ${userId.slice(-4)}`.replace(/[^\w ]/g, ''),
    }),
    // The emulator's clock is the world's clock, so moving it moves everything.
    now: () => emulator.now(),
  });
  return { emulator, connect, linking, storage, calls };
}

/**
 * What the profile page and its Link button do: shows the status (which writes nothing), then starts a
 * link. Returns the status with the authorization URL the button's 303 pointed to.
 */
async function showAndStart(
  world: World,
  subject: LinkingSubject,
): Promise<StatusView & { authorizationUrl: string }> {
  const status = await world.linking.getStatus(subject);
  return { ...status, ...(await world.linking.startLink(subject)) };
}

/** Plays the shopper at Instacart: consents with `instacartUserId` on the page this URL opens. */
function consent(
  world: World,
  authorizationUrl: string | null,
  instacartUserId: number,
): { code: string; state: string } {
  const { state, codeChallenge } = readAuthorizationUrl(authorizationUrl);
  const code = world.emulator.authorizeForTest({
    instacartUserId,
    clientId,
    redirectUri,
    ...(codeChallenge ? { codeChallenge } : {}),
  });
  return { code, state };
}

let world: World;
let plus: number;
let basic: number;
beforeEach(async () => {
  world = await createWorld();
  plus = world.emulator.createInstacartUser({
    email: 'member@it.test',
    password: 'pw-member',
    instacartplusMember: true,
    expiredAt: new Date(Date.now() + 200 * 86_400_000),
  }).id;
  basic = world.emulator.createInstacartUser({
    email: 'basic@it.test',
    password: 'pw-basic',
    instacartplusMember: false,
  }).id;
});
afterEach(async () => {
  await world.storage.close();
});

const alex = { sessionId: 's-alex', userId: 'u-alex' };
const blair = { sessionId: 's-blair', userId: 'u-blair' };

describe('against the emulator', () => {
  it('links a new shopper: create then link, and shows the membership with its expiry', async () => {
    const status = await showAndStart(world, alex);
    expect(status).toMatchObject({ state: 'unlinked', reason: 'user-not-found' });
    const callback = consent(world, status.authorizationUrl, plus);
    world.calls.length = 0;
    const result = await world.linking.completeLink(alex, callback);
    expect(result.outcome).toBe('linked');
    expect(result.status.state).toBe('linked-active');
    expect(result.status.expiredAt).not.toBeNull();
    expect(world.calls).toEqual([
      'POST /v2/oauth/token',
      'POST /v2/fulfillment/users',
      'POST /v2/fulfillment/users/{user_id}/link',
      'GET /v2/fulfillment/users/{user_id}/link',
    ]);
    expect(world.emulator.getLinks()).toMatchObject([
      { clientId, userId: alex.userId, instacartUserId: plus },
    ]);
  });

  it('links a shopper whose Connect user exists with one exchange and one link call', async () => {
    await world.linking.getStatus(alex);
    const first = consent(world, (await showAndStart(world, alex)).authorizationUrl, basic);
    expect((await world.linking.completeLink(alex, first)).status.state).toBe('linked-inactive');
    world.emulator.unlink(clientId, alex.userId);
    const status = await world.linking.verifyMembership(alex);
    expect(status).toMatchObject({ state: 'unlinked', reason: 'not-linked' });
    const again = consent(world, (await world.linking.startLink(alex)).authorizationUrl, plus);
    world.calls.length = 0;
    expect((await world.linking.completeLink(alex, again)).outcome).toBe('linked');
    expect(world.calls.slice(0, 2)).toEqual([
      'POST /v2/oauth/token',
      'POST /v2/fulfillment/users/{user_id}/link',
    ]);
  });

  it('follows membership changes and a customer-service unlink at the next verification', async () => {
    const status = await showAndStart(world, alex);
    await world.linking.completeLink(alex, consent(world, status.authorizationUrl, plus));
    world.emulator.updateInstacartUser(plus, { instacartplusMember: false });
    expect((await world.linking.verifyMembership(alex)).state).toBe('linked-inactive');
    world.emulator.updateInstacartUser(plus, {
      instacartplusMember: true,
      expiredAt: new Date(Date.now() + 86_400_000),
    });
    expect((await world.linking.verifyMembership(alex)).state).toBe('linked-active');
    expect(world.emulator.unlink(clientId, alex.userId)).toBe(true);
    expect((await world.linking.verifyMembership(alex)).state).toBe('unlinked');
    expect(await world.storage.linkRecords.get(alex.userId)).toBeNull();
  });

  it('notices a subscription that lapses as the clock moves', async () => {
    const shortPlus = world.emulator.createInstacartUser({
      email: 'short@it.test',
      password: 'pw',
      instacartplusMember: true,
      expiredAt: new Date(world.emulator.now().getTime() + 3_600_000),
    }).id;
    const status = await showAndStart(world, alex);
    await world.linking.completeLink(alex, consent(world, status.authorizationUrl, shortPlus));
    expect((await world.linking.verifyMembership(alex)).state).toBe('linked-active');
    world.emulator.advanceClock(7200);
    expect((await world.linking.verifyMembership(alex)).state).toBe('linked-inactive');
  });

  it('survives the fulfillment token expiring mid-run: one new token, the call retried', async () => {
    await world.linking.verifyMembership(alex);
    world.emulator.advanceClock(86_400 + 60);
    world.calls.length = 0;
    expect((await world.linking.verifyMembership(alex)).state).toBe('unlinked');
    expect(world.calls).toEqual([
      'GET /v2/fulfillment/users/{user_id}/link',
      'POST /v2/oauth/token',
      'GET /v2/fulfillment/users/{user_id}/link',
    ]);
  });

  it('reports an Instacart account already linked to another shopper', async () => {
    const first = await showAndStart(world, alex);
    await world.linking.completeLink(alex, consent(world, first.authorizationUrl, plus));
    const second = await showAndStart(world, blair);
    const result = await world.linking.completeLink(blair, consent(world, second.authorizationUrl, plus));
    expect(result.outcome).toBe('already-linked');
    expect(world.emulator.getLinks().map((link) => link.userId)).toEqual([alex.userId]);
  });

  it('refuses a code whose PKCE challenge belongs to another transaction', async () => {
    const attacker = await showAndStart(world, blair);
    const injected = consent(world, attacker.authorizationUrl, basic);
    const victim = await showAndStart(world, alex);
    const { state } = readAuthorizationUrl(victim.authorizationUrl);
    const result = await world.linking.completeLink(alex, { code: injected.code, state });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'code-rejected' });
    expect(world.emulator.getLinks()).toEqual([]);
  });

  it('checks the issuer the emulator adds to its redirects', async () => {
    await world.storage.close();
    world = await createWorld({ issuer: true });
    plus = world.emulator.createInstacartUser({
      email: 'iss@it.test',
      password: 'pw',
      instacartplusMember: true,
    }).id;
    const first = consent(world, (await showAndStart(world, alex)).authorizationUrl, plus);
    expect((await world.linking.completeLink(alex, { ...first, iss: 'http://evil.test' })).outcome).toBe(
      'failed',
    );
    const second = consent(world, (await showAndStart(world, alex)).authorizationUrl, plus);
    expect((await world.linking.completeLink(alex, { ...second, iss: BASE })).outcome).toBe('linked');
  });

  describe('with faults', () => {
    it.each([
      ['the code exchange', 'POST', '/v2/oauth/token', 'unavailable'],
      ['creating the Connect user', 'POST', '/v2/fulfillment/users', 'unavailable'],
    ])(
      'reports a failing %s as unavailable and links on the next attempt',
      async (_name, method, path, outcome) => {
        const status = await showAndStart(world, alex);
        world.emulator.addFault({ method, path, status: 500, times: 1 });
        expect(
          (await world.linking.completeLink(alex, consent(world, status.authorizationUrl, plus))).outcome,
        ).toBe(outcome);
        const retry = await showAndStart(world, alex);
        expect(
          (await world.linking.completeLink(alex, consent(world, retry.authorizationUrl, plus))).outcome,
        ).toBe('linked');
      },
    );

    it('retries a link call that failed with a 503 or a dropped connection', async () => {
      const status = await showAndStart(world, alex);
      world.emulator.addFault({
        method: 'POST',
        path: '/v2/fulfillment/users/*/link',
        status: 503,
        times: 1,
      });
      world.emulator.addFault({ method: 'POST', path: '/v2/fulfillment/users/*/link', drop: true, times: 1 });
      const result = await world.linking.completeLink(alex, consent(world, status.authorizationUrl, plus));
      expect(result.outcome).toBe('linked');
    });

    it('shows unavailable while the status call fails, and recovers by itself', async () => {
      world.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
      expect((await world.linking.verifyMembership(alex)).state).toBe('unavailable');
      world.emulator.clearFaults();
      expect((await world.linking.verifyMembership(alex)).state).toBe('unlinked');
    });

    it('treats a 200 of the wrong shape as unavailable, never as a membership', async () => {
      const status = await showAndStart(world, alex);
      await world.linking.completeLink(alex, consent(world, status.authorizationUrl, basic));
      world.emulator.addFault({
        method: 'GET',
        path: '/v2/fulfillment/users/*/link',
        status: 200,
        body: { instacartplus_member: 'yes' },
      });
      expect((await world.linking.verifyMembership(alex)).state).toBe('unavailable');
    });
  });
});

describe('any interleaving of shoppers (property)', () => {
  type Command =
    | { kind: 'status'; shopper: number }
    | { kind: 'consent'; shopper: number }
    | { kind: 'callback'; shopper: number; pick: number }
    | { kind: 'deny'; shopper: number; pick: number }
    | { kind: 'verify'; shopper: number }
    | { kind: 'unlink'; shopper: number }
    | { kind: 'expire' };

  const SHOPPERS = 3;
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constant('status' as const), shopper: fc.nat(SHOPPERS - 1) }),
    fc.record({ kind: fc.constant('consent' as const), shopper: fc.nat(SHOPPERS - 1) }),
    fc.record({ kind: fc.constant('callback' as const), shopper: fc.nat(SHOPPERS - 1), pick: fc.nat(20) }),
    fc.record({ kind: fc.constant('deny' as const), shopper: fc.nat(SHOPPERS - 1), pick: fc.nat(20) }),
    fc.record({ kind: fc.constant('verify' as const), shopper: fc.nat(SHOPPERS - 1) }),
    fc.record({ kind: fc.constant('unlink' as const), shopper: fc.nat(SHOPPERS - 1) }),
    fc.constant({ kind: 'expire' as const }),
  );

  // Forty interleavings, in four tests of ten: one test of forty took a third of its budget on a loaded
  // machine. Each batch draws its own random seed (fast-check prints it when a run fails).
  it.each([1, 2, 3, 4])(
    'never links a shopper to an Instacart account they did not consent with, and records agree (batch %i of 4)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          const w = await createWorld();
          try {
            const shoppers = Array.from({ length: SHOPPERS }, (_, index) => ({
              subject: { sessionId: `s-${index}`, userId: `u-${index}` },
              // Each shopper owns one Instacart account and consents only with it.
              account: w.emulator.createInstacartUser({
                email: `p${index}@prop.test`,
                password: 'pw',
                instacartplusMember: index % 2 === 0,
              }).id,
              urls: [] as string[],
            }));
            const owner = new Map(shoppers.map((shopper, index) => [shopper.account, index]));
            // Callback URLs that reached anyone's browser: replays and swaps are picked from here.
            const seen: Array<{ by: number; callback: { code?: string; state: string; error?: string } }> =
              [];
            for (const step of commands) {
              const shopper = shoppers[step.kind === 'expire' ? 0 : step.shopper];
              if (!shopper) continue;
              switch (step.kind) {
                case 'status': {
                  // The profile page, then "Link Instacart account" when it offers one.
                  const status = await w.linking.getStatus(shopper.subject);
                  if (status.state === 'unlinked') {
                    shopper.urls.push((await w.linking.startLink(shopper.subject)).authorizationUrl);
                  }
                  break;
                }
                case 'consent': {
                  const url = shopper.urls.at(-1);
                  if (url) seen.push({ by: step.shopper, callback: consent(w, url, shopper.account) });
                  break;
                }
                case 'callback':
                case 'deny': {
                  const picked = seen[step.pick % Math.max(seen.length, 1)];
                  if (!picked) break;
                  const callback =
                    step.kind === 'deny'
                      ? { state: picked.callback.state, error: 'access_denied' }
                      : picked.callback;
                  const result = await w.linking.completeLink(shopper.subject, callback);
                  // A callback that another shopper's consent produced never links this one.
                  if (picked.by !== step.shopper) expect(result.outcome).toBe('state-invalid');
                  break;
                }
                case 'verify':
                  await w.linking.verifyMembership(shopper.subject);
                  break;
                case 'unlink':
                  w.emulator.unlink(clientId, shopper.subject.userId);
                  break;
                case 'expire':
                  w.emulator.advanceClock(601);
                  break;
              }
              // Invariant after every step: each link joins a shopper to their own Instacart account.
              for (const link of w.emulator.getLinks()) {
                expect(`u-${owner.get(link.instacartUserId)}`).toBe(link.userId);
              }
            }
            // After a verification of everyone, the retailer's records agree with Instacart's links.
            for (const shopper of shoppers) await w.linking.verifyMembership(shopper.subject);
            const recorded = (await w.storage.linkRecords.list()).map((record) => record.userId).sort();
            const actual = w.emulator
              .getLinks()
              .map((link) => link.userId)
              .sort();
            expect(recorded).toEqual(actual);
          } finally {
            await w.storage.close();
          }
        }),
        { numRuns: 10 },
      );
    },
  );
});
