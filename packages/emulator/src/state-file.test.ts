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

  it('stops start-up with one clear error for a file that is not a state file', () => {
    writeFileSync(file, '{"hello": "world"}');
    expect(() => createEmulator({ stateFile: file })).toThrow(StateFileError);
    writeFileSync(file, 'not json');
    expect(() => createEmulator({ stateFile: file })).toThrow(/not valid JSON/);
  });
});
