/**
 * A credential rotation against the real emulator, in process: Instacart clones the shop's Connect
 * application (new client id and secret, same retailer), the shop configures the clone as its next
 * set, and the old application is disabled, then its tokens expire. The shop is "restarted" by
 * making a new Connect client and linking core on the same storage, as a deploy would.
 * @see https://docs.instacart.com/connect ("OAuth credential rotation")
 */
import { type ConnectCredentials, type CredentialsChangeEvent, createConnectClient } from '@cartlink/connect';
import { createEmulator, DEMO_SEED, type Emulator } from '@cartlink/emulator';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkingSubject } from './link-transactions.js';
import { createLinking, type Linking } from './linking.js';
import { migrateToLatest } from './storage/migrate.js';
import { createSqlStorage } from './storage/sql-storage.js';
import { openSqliteDatabase } from './storage/sqlite-node.js';
import type { LinkingStorage } from './storage/types.js';
import { readAuthorizationUrl } from './test-support/fake-connect.js';

const { clientId: OLD_APP, clientSecret: OLD_SECRET, redirectUri } = DEMO_SEED.app;
const BASE = 'http://emulator.test';
/** A fulfillment token's lifetime at Connect (docs/connect-api.md 2a). */
const TOKEN_LIFETIME_SECONDS = 86_400;

/** A token request as it went over the wire: which application, which grant, what Connect said. */
interface TokenRequest {
  clientId: string;
  grant: string;
  status: number;
}

/** One running shop: its Connect client and linking core, and what its client asked and was told. */
interface Shop {
  linking: Linking;
  /** Token requests this shop's client made, in order. */
  tokenRequests: TokenRequest[];
  /** Status codes of this shop's fulfillment calls, in order. */
  fulfillmentStatuses: number[];
  /** The `onCredentialsChange` events. */
  changes: CredentialsChangeEvent[];
  /** The fulfillment token of this shop's last fulfillment call. */
  lastBearer(): string;
  credentialsInUse(): string;
}

let emulator: Emulator;
let admin: EmulatorAdmin;
let storage: LinkingStorage;
let member: number;
const alex: LinkingSubject = { sessionId: 's-alex', userId: 'u-alex' };
const blair: LinkingSubject = { sessionId: 's-blair', userId: 'u-blair' };

beforeEach(async () => {
  emulator = createEmulator({ seed: 'demo', issuer: BASE });
  admin = new EmulatorAdmin(BASE, { fetch: (request) => emulator.fetch(request) });
  const db = openSqliteDatabase(':memory:');
  await migrateToLatest(db);
  storage = createSqlStorage(db);
  member = emulator.createInstacartUser({
    email: 'member@rotation.test',
    password: 'pw-member',
    instacartplusMember: true,
    expiredAt: new Date(Date.now() + 400 * 86_400_000),
  }).id;
});
afterEach(async () => {
  await storage.close();
});

/** Starts (or restarts) the shop: the demo application as its current set, and `next` beside it. */
function startShop(next?: ConnectCredentials): Shop {
  const tokenRequests: TokenRequest[] = [];
  const fulfillmentStatuses: number[] = [];
  const changes: CredentialsChangeEvent[] = [];
  let bearer = '';
  const connect = createConnectClient({
    baseUrl: BASE,
    clientId: OLD_APP,
    clientSecret: OLD_SECRET,
    ...(next ? { nextCredentials: next } : {}),
    fetch: async (url, init) => {
      const response = await emulator.fetch(url, init);
      if (new URL(url).pathname === '/v2/oauth/token') {
        const body = JSON.parse(init.body ?? '{}') as Record<string, string>;
        tokenRequests.push({
          clientId: body.client_id ?? '',
          grant: body.grant_type ?? '',
          status: response.status,
        });
      } else {
        fulfillmentStatuses.push(response.status);
        bearer = init.headers.Authorization?.replace(/^Bearer /, '') ?? '';
      }
      return response;
    },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    // The emulator's clock is the world's clock: moving it expires the client's tokens too.
    now: () => emulator.now().getTime(),
    onCredentialsChange: (event) => changes.push(event),
  });
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: `${BASE}/oauth/authorize`,
    clientId: OLD_APP,
    redirectUri,
    usePkce: true,
    loadConnectUserProfile: async (userId) => ({ firstName: `Shopper ${userId.slice(-4)}` }),
    now: () => emulator.now(),
  });
  return {
    linking,
    tokenRequests,
    fulfillmentStatuses,
    changes,
    lastBearer: () => bearer,
    credentialsInUse: () => connect.credentialsInUse(),
  };
}

/** Instacart clones the demo application for the rotation; the clone is the shop's next set. */
async function cloneOldApp(): Promise<ConnectCredentials> {
  const clone = await admin.cloneApp(OLD_APP);
  expect(clone).toMatchObject({ status: 'enabled', redirect_uris: [redirectUri] });
  return { clientId: clone.client_id, clientSecret: clone.client_secret };
}

/** The shopper presses "Link Instacart account", then Allow at Instacart for the application the URL names. */
async function startAndAllow(shop: Shop, subject: LinkingSubject) {
  const { authorizationUrl } = await shop.linking.startLink(subject);
  const clientId = new URL(authorizationUrl).searchParams.get('client_id') ?? '';
  const { state, codeChallenge } = readAuthorizationUrl(authorizationUrl);
  const code = emulator.authorizeForTest({
    instacartUserId: member,
    clientId,
    redirectUri,
    ...(codeChallenge ? { codeChallenge } : {}),
  });
  return { clientId, callback: { code, state } };
}

const grants = (shop: Shop, grant: string) =>
  shop.tokenRequests
    .filter((request) => request.grant === grant)
    .map(({ clientId, status }) => ({ clientId, status }));

describe('a credential rotation against the emulator', () => {
  it('takes its fulfillment tokens from the clone once the clone is the next set', async () => {
    const clone = await cloneOldApp();
    const shop = startShop(clone);
    expect((await shop.linking.getStatus(alex)).state).toBe('unlinked');
    expect(shop.tokenRequests).toEqual([
      { clientId: clone.clientId, grant: 'client_credentials', status: 200 },
    ]);
    expect(shop.credentialsInUse()).toBe(clone.clientId);
    // The move to the clone is told once, at the first token.
    expect(shop.changes).toEqual([
      { clientId: clone.clientId, previousClientId: OLD_APP, reason: 'next-accepted' },
    ]);

    // A link started now names the clone, and completes through it.
    const started = await startAndAllow(shop, alex);
    expect(started.clientId).toBe(clone.clientId);
    expect((await shop.linking.completeLink(alex, started.callback)).outcome).toBe('linked');
    expect(grants(shop, 'authorization_code')).toEqual([{ clientId: clone.clientId, status: 200 }]);
    expect(emulator.getLinks()).toMatchObject([{ clientId: clone.clientId, userId: alex.userId }]);
  });

  it('falls back to the old application while the clone does not exist yet, and moves when it does', async () => {
    // The shop was deployed with next credentials before Instacart made the clone.
    const planned = { clientId: 'cartlink-demo-2026', clientSecret: 'planned-clone-secret-4c1d' };
    const shop = startShop(planned);
    expect((await shop.linking.getStatus(alex)).state).toBe('unlinked');
    expect(grants(shop, 'client_credentials')).toEqual([
      { clientId: planned.clientId, status: 401 },
      { clientId: OLD_APP, status: 200 },
    ]);
    // The old application was in use and still is: nothing to tell yet.
    expect(shop.credentialsInUse()).toBe(OLD_APP);
    expect(shop.changes).toEqual([]);

    await admin.cloneApp(OLD_APP, { client_id: planned.clientId, client_secret: planned.clientSecret });
    // The old application's token serves until it is due; the next one comes from the clone.
    emulator.advanceClock(TOKEN_LIFETIME_SECONDS);
    expect((await shop.linking.verifyMembership(alex)).state).toBe('unlinked');
    expect(shop.credentialsInUse()).toBe(planned.clientId);
    expect(shop.changes).toEqual([
      { clientId: planned.clientId, previousClientId: OLD_APP, reason: 'next-accepted' },
    ]);
  });

  it('completes a link started under the old application after the shop switched to the clone', async () => {
    const before = startShop();
    const started = await startAndAllow(before, alex);
    expect(started.clientId).toBe(OLD_APP);

    // Deploy: the clone becomes the next set while the shopper is at Instacart.
    const clone = await cloneOldApp();
    const after = startShop(clone);
    const result = await after.linking.completeLink(alex, started.callback);
    expect(result.outcome).toBe('linked');
    expect(result.status.state).toBe('linked-active');
    // The code was issued to the old application: exchanged with its credentials; the rest went
    // with the clone's fulfillment token, which sees the same retailer's users and links.
    expect(grants(after, 'authorization_code')).toEqual([{ clientId: OLD_APP, status: 200 }]);
    expect(grants(after, 'client_credentials')).toEqual([{ clientId: clone.clientId, status: 200 }]);
  });

  it('ends such a link as a clean failure once the old application is disabled, and a new start links', async () => {
    const started = await startAndAllow(startShop(), alex);
    const clone = await cloneOldApp();
    const after = startShop(clone);
    await admin.disableApp(OLD_APP);

    const result = await after.linking.completeLink(alex, started.callback);
    expect(result).toMatchObject({ outcome: 'failed', detail: 'client-rejected' });
    expect(result.status.state).toBe('unlinked');
    expect(grants(after, 'authorization_code')).toEqual([{ clientId: OLD_APP, status: 401 }]);
    expect(await storage.linkRecords.get(alex.userId)).toBeNull();

    // "Try again": the new link names the clone, which works.
    const again = await startAndAllow(after, alex);
    expect(again.clientId).toBe(clone.clientId);
    expect((await after.linking.completeLink(alex, again.callback)).outcome).toBe('linked');
    expect(grants(after, 'authorization_code').at(-1)).toEqual({ clientId: clone.clientId, status: 200 });
  });

  it('never uses the fallback once the old application is disabled, and no shopper request fails', async () => {
    const clone = await cloneOldApp();
    const shop = startShop(clone);
    await shop.linking.getStatus(alex);
    await admin.disableApp(OLD_APP);

    // A day of shoppers: statuses, verifications, a link, across the clone's token expiring.
    const linked = await startAndAllow(shop, alex);
    expect((await shop.linking.completeLink(alex, linked.callback)).outcome).toBe('linked');
    for (let hour = 0; hour < 30; hour += 6) {
      emulator.advanceClock(6 * 3600);
      expect((await shop.linking.verifyMembership(alex)).state).toBe('linked-active');
      expect((await shop.linking.getStatus(blair, { fresh: true })).state).toBe('unlinked');
    }
    expect(shop.tokenRequests.filter((request) => request.clientId === OLD_APP)).toEqual([]);
    expect(
      shop.tokenRequests.filter((request) => request.grant === 'client_credentials').length,
    ).toBeGreaterThan(1);
    expect(shop.tokenRequests.every((request) => request.status === 200)).toBe(true);
    expect(shop.fulfillmentStatuses.filter((status) => status >= 500 || status === 401)).toEqual([]);
    // One move, to the clone at the first token; never back.
    expect(shop.changes).toEqual([
      { clientId: clone.clientId, previousClientId: OLD_APP, reason: 'next-accepted' },
    ]);
  });

  it('keeps a disabled application’s tokens answering until the clock passes their expiry', async () => {
    // A shop still on the old application alone when Instacart disables it.
    const shop = startShop();
    await shop.linking.getStatus(alex);
    expect(grants(shop, 'client_credentials')).toEqual([{ clientId: OLD_APP, status: 200 }]);
    await admin.disableApp(OLD_APP);
    const [app] = (await admin.listApps()).filter((listed) => listed.client_id === OLD_APP);
    expect(app).toMatchObject({ status: 'disabled', live_tokens: 1 });

    // Just before the expiry its token still answers, though a new one is refused.
    emulator.advanceClock(TOKEN_LIFETIME_SECONDS - 60);
    expect(await shop.linking.getStatus(alex, { fresh: true })).toMatchObject({ state: 'unlinked' });
    expect(grants(shop, 'client_credentials').at(-1)).toEqual({ clientId: OLD_APP, status: 401 });
    expect(shop.fulfillmentStatuses.at(-1)).toBe(400);

    // Past it, the token is refused, and no new one is issued: Connect is unusable to this shop.
    const oldToken = shop.lastBearer();
    emulator.advanceClock(120);
    const calls = shop.fulfillmentStatuses.length;
    expect(await shop.linking.getStatus(alex, { fresh: true })).toMatchObject({
      state: 'unavailable',
      reason: 'connect-unreachable',
    });
    // The client knows the token's lifetime and does not send it; Connect would refuse it now.
    expect(shop.fulfillmentStatuses).toHaveLength(calls);
    expect(grants(shop, 'client_credentials').at(-1)).toEqual({ clientId: OLD_APP, status: 401 });
    const late = await emulator.fetch(`${BASE}/v2/fulfillment/users/${alex.userId}/link`, {
      headers: { Authorization: `Bearer ${oldToken}` },
    });
    expect(late.status).toBe(401);
    expect((await admin.listApps()).find((listed) => listed.client_id === OLD_APP)).toMatchObject({
      live_tokens: 0,
    });

    // The same moment for a shop that holds the clone too: its tokens come from the clone.
    const clone = await cloneOldApp();
    const rotated = startShop(clone);
    expect(await rotated.linking.getStatus(alex, { fresh: true })).toMatchObject({ state: 'unlinked' });
    expect(grants(rotated, 'client_credentials')).toEqual([{ clientId: clone.clientId, status: 200 }]);
  });
});
