/**
 * The storefront during a credential rotation (`CONNECT_CLIENT_ID_NEXT`, `CONNECT_CLIENT_SECRET_NEXT`),
 * against the in-process emulator: shoppers never see the switch, and the log gets one line each time
 * the application in use changes, with client ids and no secret.
 */
import { createEmulator } from '@cartlink/emulator';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../../testing/shop-steps';
import {
  createMemoryLogger,
  createTestShop,
  EMULATOR_URL,
  linkAccount,
  type TestShop,
} from './test-support.js';

const NEXT = { clientId: 'corner-market-2026', clientSecret: 'cs_clone_secret_77a0f3' };

let testShop: TestShop | undefined;
afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

describe('a credential rotation', () => {
  it('logs one line when the application in use changes, client ids only, and shoppers never notice', async () => {
    const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL });
    const admin = new EmulatorAdmin(EMULATOR_URL, { fetch: (request) => emulator.fetch(request) });
    const memory = createMemoryLogger();
    // Deployed with the next set before Instacart made the clone: Connect refuses it for now.
    testShop = await createTestShop({
      emulator,
      env: { CONNECT_CLIENT_ID_NEXT: NEXT.clientId, CONNECT_CLIENT_SECRET_NEXT: NEXT.clientSecret },
      deps: { logger: memory.logger },
    });
    const client = testShop.client();
    await client.signIn('alex@example.com');
    expect((await client.get('/cartlink/status')).status).toBe(200);
    const changes = () => memory.lines().filter((line) => line.msg === 'connect credentials changed');
    // Still on the current application, as before the deploy: nothing changed, nothing logged.
    expect(changes()).toEqual([]);
    expect(testShop.shop.connect.credentialsInUse()).toBe('cartlink-demo');

    // Instacart makes the clone; the next token the shop needs comes from it, and a link still works.
    await admin.cloneApp('cartlink-demo', { client_id: NEXT.clientId, client_secret: NEXT.clientSecret });
    emulator.advanceClock(86_400);
    const member = emulator.createInstacartUser({
      email: 'member@rotation.test',
      password: 'pw-member',
      instacartplusMember: true,
      expiredAt: new Date(emulator.now().getTime() + 200 * 86_400_000),
    }).id;
    expect(await linkAccount(testShop, client, member)).toMatchObject({
      outcome: 'linked',
      status: { state: 'linked-active' },
    });
    expect(testShop.shop.connect.credentialsInUse()).toBe(NEXT.clientId);
    expect(changes()).toEqual([
      expect.objectContaining({
        level: 30,
        connect: { clientId: NEXT.clientId, previousClientId: 'cartlink-demo', reason: 'next-accepted' },
      }),
    ]);

    // Should Connect refuse the clone later, the shop falls back, still serving, and warns once.
    await admin.disableApp(NEXT.clientId);
    emulator.advanceClock(86_400);
    // Fresh verifications (sign-in, checkout): the clone's token is dead, a new one comes from the current set.
    for (let request = 0; request < 2; request++) {
      expect(await verify(client)).toMatchObject({ http: 200, status: { state: 'linked-active' } });
    }
    expect(changes()).toHaveLength(2);
    expect(changes()[1]).toMatchObject({
      level: 40,
      connect: { clientId: 'cartlink-demo', previousClientId: NEXT.clientId, reason: 'next-refused' },
    });
    expect(JSON.stringify(memory.lines())).not.toContain(NEXT.clientSecret);
  });
});
