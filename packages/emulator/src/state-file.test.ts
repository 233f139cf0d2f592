/**
 * The state file: loaded at start, written atomically after every change, so the emulator (and
 * the CLI, see `cli.test.ts`) survive a restart with their data.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from './emulator.js';
import { StateFileError } from './persistence.js';
import { DEMO_SEED } from './seed.js';
import { EmulatorAdmin } from './test-kit/admin-client.js';
import { BASE, DEMO_IDS, validated } from './test-support/harness.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cartlink-emulator-'));
  file = join(dir, 'state.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function tokenOf(emulator: ReturnType<typeof createEmulator>): Promise<string> {
  const response = await validated(emulator.fetch)(`${BASE}/v2/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: DEMO_SEED.app.clientId,
      client_secret: DEMO_SEED.app.clientSecret,
      scope: 'connect:fulfillment',
    }),
  });
  return String(((await response.json()) as { access_token: string }).access_token);
}

describe('state file', () => {
  it('survives a restart: apps, accounts, users, links, tokens, clock and settings', async () => {
    const first = createEmulator({ stateFile: file });
    await settle();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    first.registerApp({
      clientId: 'shop',
      clientSecret: 'shop-secret',
      name: 'Shop',
      redirectUris: ['http://localhost:7/cb'],
    });
    const { id } = first.createInstacartUser({
      email: 'kept@instacart.test',
      password: 'pw',
      instacartplusMember: true,
    });
    const token = await tokenOf(first);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await validated(first.fetch)(`${BASE}/v2/fulfillment/users`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ user_id: 'kept', first_name: 'K' }),
    });
    first.unlink(DEMO_SEED.app.clientId, 'nobody');
    const code = first.authorizeForTest({
      instacartUserId: id,
      clientId: DEMO_SEED.app.clientId,
      redirectUri: DEMO_SEED.app.redirectUri,
    });
    const exchanged = await validated(first.fetch)(`${BASE}/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: DEMO_SEED.app.clientId,
        client_secret: DEMO_SEED.app.clientSecret,
        code,
        redirect_uri: DEMO_SEED.app.redirectUri,
      }),
    });
    const linking = ((await exchanged.json()) as { access_token: string }).access_token;
    await validated(first.fetch)(`${BASE}/v2/fulfillment/users/kept/link`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ linking_token: linking }),
    });
    first.advanceClock(3600);
    first.updateSettings({ issuerParam: true });
    await settle();

    const second = createEmulator({ stateFile: file });
    expect(second.getLinks()).toEqual([expect.objectContaining({ userId: 'kept', instacartUserId: id })]);
    expect(Math.abs(second.now().getTime() - (Date.now() + 3_600_000))).toBeLessThan(5_000);
    expect(second.getSettings().issuerParam).toBe(true);
    // The fulfillment token issued before the restart still works.
    const status = await validated(second.fetch)(`${BASE}/v2/fulfillment/users/kept/link`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { instacartplus_member: boolean }).instacartplus_member).toBe(true);
    // A new account gets the next id, not a reused one.
    expect(
      second.createInstacartUser({ email: 'next@instacart.test', password: 'pw', instacartplusMember: false })
        .id,
    ).toBe(id + 1);
    await settle();
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('is seeded when absent and re-seeded by reset', async () => {
    const emulator = createEmulator({ stateFile: file });
    await settle();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      state: { instacartUsers: { email: string }[] };
    };
    expect(saved.state.instacartUsers.map((user) => user.email)).toEqual(Object.values(DEMO_SEED.users));
    emulator.updateInstacartUser(DEMO_IDS.basic, { active: false });
    emulator.reset();
    await settle();
    const restarted = createEmulator({ stateFile: file });
    const state = await (await validated(restarted.fetch)(`${BASE}/_emulator/state`)).json();
    expect(
      (state as { instacart_users: { active: boolean }[] }).instacart_users.every((user) => user.active),
    ).toBe(true);
  });

  it('keeps application status, retailers and clones across a restart (version 2)', async () => {
    const first = createEmulator({ stateFile: file });
    const admin = new EmulatorAdmin(BASE, { fetch: first.fetch });
    const clone = await admin.cloneApp(DEMO_SEED.app.clientId, {
      client_id: 'next',
      client_secret: 'next-secret',
    });
    await admin.disableApp(DEMO_SEED.app.clientId);
    await settle();
    expect((JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version).toBe(2);

    const second = createEmulator({ stateFile: file });
    const apps = await new EmulatorAdmin(BASE, { fetch: second.fetch }).listApps();
    expect(apps.map((app) => [app.client_id, app.retailer_id, app.status])).toEqual([
      [DEMO_SEED.app.clientId, 'corner-market', 'disabled'],
      [clone.client_id, 'corner-market', 'enabled'],
    ]);
  });

  it('loads a state file written before applications had retailers (version 1)', async () => {
    const now = Date.now();
    const year = 365 * 86_400_000;
    const connectUser = (clientId: string, userId: string) => ({
      clientId,
      userId,
      firstName: 'Alex',
      lastName: null,
      phoneNumber: null,
      locale: null,
      active: true,
      createdAt: now,
    });
    const legacy = {
      version: 1,
      clockOffsetMs: 0,
      settings: { issuerParam: false, requirePkce: false, latencyMs: 0 },
      state: {
        apps: [
          {
            clientId: DEMO_SEED.app.clientId,
            clientSecret: DEMO_SEED.app.clientSecret,
            name: 'Corner Market',
            redirectUris: [DEMO_SEED.app.redirectUri],
          },
          {
            clientId: 'shop',
            clientSecret: 'shop-secret',
            name: 'Shop',
            redirectUris: ['http://shop.test/cb'],
          },
        ],
        instacartUsers: [
          {
            id: 1,
            email: 'old@instacart.test',
            passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
            phone: null,
            instacartplusMember: true,
            expiredAt: now + year,
            active: true,
            createdAt: now,
          },
        ],
        connectUsers: [connectUser(DEMO_SEED.app.clientId, 'alex'), connectUser('shop', 'alex')],
        links: [{ clientId: DEMO_SEED.app.clientId, userId: 'alex', instacartUserId: 1, linkedAt: now }],
        codes: [],
        tokens: [
          {
            token: 'legacy-fulfillment-token-0123456789',
            kind: 'fulfillment',
            scope: 'connect:fulfillment',
            clientId: DEMO_SEED.app.clientId,
            instacartUserId: null,
            issuedAt: now,
            expiresAt: now + 86_400_000,
            revokedAt: null,
          },
        ],
        nextInstacartUserId: 2,
      },
    };
    writeFileSync(file, JSON.stringify(legacy));
    const emulator = createEmulator({ stateFile: file });
    const admin = new EmulatorAdmin(BASE, { fetch: emulator.fetch });
    expect(
      (await admin.listApps()).map((app) => [app.client_id, app.retailer_id, app.status, app.live_tokens]),
    ).toEqual([
      [DEMO_SEED.app.clientId, 'corner-market', 'enabled', 1],
      ['shop', 'shop', 'enabled', 0],
    ]);
    const status = (token: string, userId: string) =>
      validated(emulator.fetch)(`${BASE}/v2/fulfillment/users/${userId}/link`, {
        headers: { authorization: `Bearer ${token}` },
      }).then(async (response) => ({ status: response.status, body: await response.json() }));

    // The token issued before still works, and sees the user and link it keyed by client id.
    expect(await status('legacy-fulfillment-token-0123456789', 'alex')).toMatchObject({
      status: 200,
      body: { instacartplus_member: true },
    });
    // Re-keyed to the retailer: a clone of the demo application sees them too.
    const clone = await admin.cloneApp(DEMO_SEED.app.clientId);
    expect(await status(await admin.fulfillmentToken(clone.client_id), 'alex')).toMatchObject({
      status: 200,
    });
    // The other application kept its own users: its alex exists there and is not linked.
    expect(await status(await admin.fulfillmentToken('shop', 'shop-secret'), 'alex')).toMatchObject({
      status: 400,
      body: { error: { message: 'User Not Linked' } },
    });
    await settle();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      version: number;
      state: { connectUsers: { retailerId: string; clientId: string }[] };
    };
    expect(saved.version).toBe(2);
    expect(saved.state.connectUsers.map((user) => [user.retailerId, user.clientId])).toEqual([
      ['corner-market', DEMO_SEED.app.clientId],
      ['shop', 'shop'],
    ]);
  });

  it('stops start-up with one clear error for a file that is not a state file', () => {
    writeFileSync(file, '{"hello": "world"}');
    expect(() => createEmulator({ stateFile: file })).toThrow(StateFileError);
    writeFileSync(file, 'not json');
    expect(() => createEmulator({ stateFile: file })).toThrow(/not valid JSON/);
  });
});
