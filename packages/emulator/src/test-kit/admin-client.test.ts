/**
 * The test kit: its input types are the admin API's schemas (checked by the type check), each call
 * reaches the emulator and changes what it should, and `startTestEmulator` runs and stops an
 * emulator in process and as a child process.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { AuthorizationInput, ConnectUserChange } from '../admin-types.js';
import type { faultInputSchema } from '../faults.js';
import type { clockSchema, patchConnectUserSchema } from '../routes/admin.js';
import { DEMO_SEED } from '../seed.js';
import type {
  appBodySchema,
  authorizationBodySchema,
  cloneAppBodySchema,
  instacartUserBodySchema,
  instacartUserPatchSchema,
  settingsBodySchema,
} from '../validation.js';
import { EmulatorAdmin, EmulatorAdminError, EmulatorAppHasLiveTokensError } from './admin-client.js';
import { startTestEmulator, type TestEmulator } from './start-node.js';

describe('the admin client types', () => {
  it('takes exactly what the emulator validates with', () => {
    type Input<Method extends keyof EmulatorAdmin, Index extends number = 0> = EmulatorAdmin[Method] extends (
      ...args: infer Args
    ) => unknown
      ? Args[Index]
      : never;
    expectTypeOf<Input<'registerApp'>>().toEqualTypeOf<z.input<typeof appBodySchema>>();
    expectTypeOf<Input<'createInstacartUser'>>().toEqualTypeOf<z.input<typeof instacartUserBodySchema>>();
    expectTypeOf<Input<'updateInstacartUser', 1>>().toEqualTypeOf<z.input<typeof instacartUserPatchSchema>>();
    expectTypeOf<Input<'addFault'>>().toEqualTypeOf<z.input<typeof faultInputSchema>>();
    expectTypeOf<Input<'setClock'>>().toEqualTypeOf<z.input<typeof clockSchema>>();
    expectTypeOf<Input<'updateSettings'>>().toEqualTypeOf<z.input<typeof settingsBodySchema>>();
    expectTypeOf<ConnectUserChange>().toEqualTypeOf<z.input<typeof patchConnectUserSchema>>();
    expectTypeOf<AuthorizationInput>().toEqualTypeOf<z.input<typeof authorizationBodySchema>>();
    expectTypeOf<Input<'cloneApp', 1>>().toEqualTypeOf<z.input<typeof cloneAppBodySchema> | undefined>();
  });
});

describe('EmulatorAdmin against an emulator in process', () => {
  let running: TestEmulator;
  let admin: EmulatorAdmin;
  const redirectUri = 'http://shop.test/account/profile';

  beforeAll(async () => {
    running = await startTestEmulator();
    admin = running.admin;
  });
  afterAll(() => running.stop());
  beforeEach(() => admin.reset());

  it('registers an application and seeds shoppers with each membership', async () => {
    await admin.registerApp({
      client_id: DEMO_SEED.app.clientId,
      client_secret: DEMO_SEED.app.clientSecret,
      name: 'QA shop',
      redirect_uris: [redirectUri],
    });
    const member = await admin.seedShopper('member');
    const tomorrow = await admin.seedShopper({ until: '+1d' });
    const lapsed = await admin.seedShopper('lapsed');
    const none = await admin.seedShopper('non-member');
    const { apps, instacart_users: users } = await admin.state();
    expect(apps.find((app) => app.client_id === DEMO_SEED.app.clientId)?.redirect_uris).toEqual([
      redirectUri,
    ]);
    const byId = new Map(users.map((user) => [user.id, user]));
    const now = (await admin.now()).getTime();
    const endOf = (id: number) => Date.parse(byId.get(id)?.expired_at ?? '');
    expect(endOf(member.id) - now).toBeGreaterThan(364 * 86_400_000);
    expect(endOf(tomorrow.id) - now).toBeGreaterThan(23 * 3_600_000);
    expect(endOf(tomorrow.id) - now).toBeLessThanOrEqual(86_400_000);
    expect(endOf(lapsed.id)).toBeLessThan(now);
    expect(byId.get(none.id)).toMatchObject({ instacartplus_member: false, expired_at: null });
    expect(new Set([member.email, tomorrow.email, lapsed.email, none.email]).size).toBe(4);
  });

  it('renews, lapses and cancels a membership', async () => {
    const shopper = await admin.seedShopper('lapsed');
    const now = (await admin.now()).getTime();
    expect(Date.parse((await admin.renewMembership(shopper.id)).expired_at ?? '')).toBeGreaterThan(now);
    expect(Date.parse((await admin.lapseMembership(shopper.id)).expired_at ?? '')).toBeLessThan(now);
    expect((await admin.cancelMembership(shopper.id)).instacartplus_member).toBe(false);
  });

  it('links with a code it issued, then unlinks and deactivates at customer service', async () => {
    const shopper = await admin.seedShopper('member');
    const code = await admin.authorizeCode({
      instacartUserId: shopper.id,
      redirectUri: DEMO_SEED.app.redirectUri,
    });
    // The retailer's side of the link: exchange the code, create the Connect user, link it.
    const connect = (path: string, body: unknown, bearer?: string) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const exchanged = await connect('/v2/oauth/token', {
      grant_type: 'authorization_code',
      client_id: DEMO_SEED.app.clientId,
      client_secret: DEMO_SEED.app.clientSecret,
      code,
      redirect_uri: DEMO_SEED.app.redirectUri,
    });
    const { access_token: linkingToken } = (await exchanged.json()) as { access_token: string };
    const fulfillmentToken = await admin.fulfillmentToken();
    await connect('/v2/fulfillment/users', { user_id: 'qa-user', first_name: 'Q' }, fulfillmentToken);
    const linked = await connect(
      '/v2/fulfillment/users/qa-user/link',
      { linking_token: linkingToken },
      fulfillmentToken,
    );
    expect(linked.status).toBe(200);

    expect(await admin.linkOf('qa-user')).toMatchObject({ instacart_user_id: shopper.id });
    expect((await admin.setConnectUserActive('qa-user', false)).active).toBe(false);
    await admin.unlink('qa-user', DEMO_SEED.app.clientId);
    expect(await admin.linkOf('qa-user')).toBeUndefined();
    await expect(admin.unlink('qa-user')).rejects.toMatchObject({ status: 404, key: 'user_id' });
  });

  it('issues codes through the admin API, untouched by Connect being down, with the endpoint’s checks', async () => {
    await admin.registerApp({
      client_id: DEMO_SEED.app.clientId,
      client_secret: DEMO_SEED.app.clientSecret,
      name: 'QA shop',
      redirect_uris: [redirectUri],
    });
    const shopper = await admin.seedShopper('member');
    await admin.connectDown();
    expect(await admin.authorizeCode({ instacartUserId: shopper.id, redirectUri })).toMatch(/\S{20,}/);
    expect((await admin.faults())[0]?.hits).toBe(0);
    await admin.clearFaults();
    await expect(
      admin.authorizeCode({ instacartUserId: shopper.id, redirectUri: 'http://elsewhere.test/cb' }),
    ).rejects.toMatchObject({ status: 400, key: 'redirect_uri' });
    await expect(admin.authorizeCode({ instacartUserId: 999_999, redirectUri })).rejects.toMatchObject({
      status: 400,
      key: 'instacart_user_id',
    });
    await admin.updateSettings({ require_pkce: true });
    await expect(admin.authorizeCode({ instacartUserId: shopper.id, redirectUri })).rejects.toMatchObject({
      key: 'code_challenge',
    });
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    expect(
      await admin.authorizeCode({ instacartUserId: shopper.id, redirectUri, codeChallenge: challenge }),
    ).toMatch(/\S{20,}/);
  });

  it('forgets its fulfillment tokens when the emulator is reset or its clock moves', async () => {
    const first = await admin.fulfillmentToken();
    await admin.reset();
    const second = await admin.fulfillmentToken();
    expect(second).not.toBe(first);
    const bearer = { authorization: `Bearer ${second}` };
    expect((await fetch(`${running.url}/v2/fulfillment/users/nobody/link`, { headers: bearer })).status).toBe(
      400,
    );
    await admin.advanceClock(2 * 86_400);
    const third = await admin.fulfillmentToken();
    expect(third).not.toBe(second);
    const fresh = { authorization: `Bearer ${third}` };
    expect((await fetch(`${running.url}/v2/fulfillment/users/nobody/link`, { headers: fresh })).status).toBe(
      400,
    );
  });

  it('reaches an emulator under a path prefix', async () => {
    const seen: string[] = [];
    const prefixed = new EmulatorAdmin(`${running.url}/behind/proxy/`, {
      fetch: async (request) => {
        seen.push(new URL(request.url).pathname);
        return fetch(new Request(request.url.replace('/behind/proxy', ''), request));
      },
    });
    await prefixed.settings();
    expect(seen).toEqual(['/behind/proxy/_emulator/settings']);
  });

  it('takes Connect down for the next N calls, then it answers again', async () => {
    await admin.connectDown({ calls: 2, retryAfterSeconds: 3 });
    const tokenCall = () =>
      fetch(`${running.url}/v2/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: DEMO_SEED.app.clientId,
          client_secret: DEMO_SEED.app.clientSecret,
          scope: 'connect:fulfillment',
        }),
      });
    const first = await tokenCall();
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '3']);
    const statusCall = await fetch(`${running.url}/v2/fulfillment/users/anyone/link`);
    expect(statusCall.status).toBe(503);
    expect(await admin.faults()).toEqual([]);
    expect((await tokenCall()).status).toBe(200);
  });

  it('slows Connect down, moves the clock, changes settings and reads the request log', async () => {
    const id = await admin.connectSlow({ delayMs: 1 });
    expect((await admin.faults()).map((fault) => [fault.id, fault.path, fault.delay_ms])).toEqual([
      [id, '/v2/**', 1],
    ]);
    await admin.clearFaults();
    expect(await admin.faults()).toEqual([]);

    const before = await admin.now();
    expect((await admin.advanceClock(3600)).getTime() - before.getTime()).toBeGreaterThanOrEqual(3_600_000);
    const fixed = new Date('2030-01-02T03:04:05.000Z');
    expect(await admin.setClock({ now: fixed.toISOString() })).toEqual(fixed);

    expect(await admin.updateSettings({ require_pkce: true, latency_ms: 0 })).toMatchObject({
      require_pkce: true,
    });
    expect((await admin.settings()).require_pkce).toBe(true);

    await admin.clearRequests();
    await fetch(`${running.url}/v2/fulfillment/users/nobody/link`);
    expect((await admin.requests()).map((entry) => [entry.method, entry.path, entry.status])).toEqual([
      ['GET', '/v2/fulfillment/users/nobody/link', 401],
    ]);
    expect((await admin.openApi()).openapi).toBe('3.1.0');
  });

  it('acts for an application it registered (codes, and tokens with the secret it remembered)', async () => {
    await admin.registerApp({
      client_id: 'qa-shop',
      client_secret: 'qa-shop-secret',
      name: 'QA shop',
      redirect_uris: [redirectUri],
    });
    const shopper = await admin.seedShopper('member');
    expect(
      await admin.authorizeCode({ instacartUserId: shopper.id, clientId: 'qa-shop', redirectUri }),
    ).toMatch(/\S{20,}/);
    const token = await admin.fulfillmentToken('qa-shop');
    expect(await admin.fulfillmentToken('qa-shop')).toBe(token);
    const read = await fetch(`${running.url}/v2/fulfillment/users/nobody/link`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // Authenticated (not 401): Connect's answer for a user id it has never seen.
    expect([read.status, JSON.stringify(await read.json())]).toEqual([
      400,
      expect.stringContaining('User Not Found'),
    ]);
    const other = new EmulatorAdmin(running.url, {
      app: { clientId: 'qa-shop', clientSecret: 'qa-shop-secret' },
    });
    expect(await other.authorizeCode({ instacartUserId: shopper.id, redirectUri })).toMatch(/\S{20,}/);
    expect(await other.fulfillmentToken()).not.toBe(token);
    await expect(new EmulatorAdmin(running.url).fulfillmentToken('qa-shop')).rejects.toThrow(
      /no client secret known for qa-shop/,
    );
  });

  it('clones, disables, enables and deletes an application, with a typed error while it has live tokens', async () => {
    const apps = await admin.listApps();
    expect(apps).toEqual([
      expect.objectContaining({
        client_id: DEMO_SEED.app.clientId,
        retailer_id: DEMO_SEED.app.retailerId,
        status: 'enabled',
        live_tokens: 0,
      }),
    ]);
    const clone = await admin.cloneApp(DEMO_SEED.app.clientId, { redirect_uris: [redirectUri] });
    expect(clone).toMatchObject({
      retailer_id: DEMO_SEED.app.retailerId,
      status: 'enabled',
      redirect_uris: [redirectUri],
    });
    // The clone's secret is remembered: its token comes without passing it.
    const token = await admin.fulfillmentToken(clone.client_id);
    expect((await admin.disableApp(clone.client_id)).status).toBe('disabled');
    expect((await admin.listApps()).find((app) => app.client_id === clone.client_id)).toMatchObject({
      status: 'disabled',
      live_tokens: 1,
    });
    const refused = await admin.deleteApp(clone.client_id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EmulatorAppHasLiveTokensError);
    expect(refused).toBeInstanceOf(EmulatorAdminError);
    expect(refused).toMatchObject({ code: 'app_has_live_tokens', status: 409, liveTokens: 1 });
    const lastExpiresAt = (refused as EmulatorAppHasLiveTokensError).lastExpiresAt;
    const now = await admin.now();
    expect(lastExpiresAt.getTime() - now.getTime()).toBeGreaterThan(23 * 3_600_000);
    expect((await admin.enableApp(clone.client_id)).status).toBe('enabled');
    await admin.setClock({ now: new Date(lastExpiresAt.getTime() + 1000).toISOString() });
    await admin.deleteApp(clone.client_id);
    expect((await admin.listApps()).map((app) => app.client_id)).toEqual([DEMO_SEED.app.clientId]);
    expect(
      await fetch(`${running.url}/v2/fulfillment/users/x/link`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.status),
    ).toBe(401);
    // Not a live-tokens refusal: the plain error, with its status.
    const unknown = await admin.deleteApp('nobody').catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(EmulatorAdminError);
    expect(unknown).not.toBeInstanceOf(EmulatorAppHasLiveTokensError);
    expect(unknown).toMatchObject({ status: 404, key: 'client_id' });
  });

  it('throws EmulatorAdminError with the field of a refused body', async () => {
    const refused = admin.createInstacartUser({
      email: 'not-an-email',
      password: 'x',
      instacartplus_member: true,
    });
    await expect(refused).rejects.toBeInstanceOf(EmulatorAdminError);
    await expect(refused).rejects.toMatchObject({ status: 400, key: 'email' });
  });
});

describe('startTestEmulator as a child process', () => {
  it('starts the command with the scenario and flags, answers the admin API, and stops', async () => {
    const child = await startTestEmulator({
      child: true,
      seed: 'empty',
      adminToken: 'qa-token-123456789',
      scenario: { settings: { require_pkce: true } },
    });
    try {
      expect(child.emulator).toBeUndefined();
      expect(child.pid).toBeGreaterThan(0);
      expect(await child.admin.settings()).toMatchObject({ require_pkce: true });
      expect((await child.admin.state()).instacart_users).toEqual([]);
      const shopper = await child.admin.seedShopper('member');
      expect((await child.admin.state()).instacart_users.map((user) => user.id)).toEqual([shopper.id]);
    } finally {
      await child.stop();
    }
    await expect(fetch(`${child.url}/_emulator/state`)).rejects.toThrow();
  });

  it('starts with the demo seed by default, whatever EMULATOR_ variables this process has', async () => {
    const saved = process.env.EMULATOR_ADMIN_TOKEN;
    process.env.EMULATOR_ADMIN_TOKEN = 'short';
    try {
      const child = await startTestEmulator({ child: true });
      try {
        expect((await child.admin.state()).instacart_users.map((user) => user.email)).toEqual(
          Object.values(DEMO_SEED.users),
        );
      } finally {
        await child.stop();
      }
    } finally {
      if (saved === undefined) delete process.env.EMULATOR_ADMIN_TOKEN;
      else process.env.EMULATOR_ADMIN_TOKEN = saved;
    }
  });

  it('gives a child on a fixed port the URL it returns as its issuer', async () => {
    const probe = await startTestEmulator();
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    const child = await startTestEmulator({ child: true, port });
    try {
      expect(child.url).toBe(`http://127.0.0.1:${port}`);
      await child.admin.updateSettings({ issuer_param: true });
      const redirect = await fetch(
        `${child.url}/oauth/authorize?response_type=token&client_id=${DEMO_SEED.app.clientId}&scope=account_linking&redirect_uri=${encodeURIComponent(DEMO_SEED.app.redirectUri)}`,
        { redirect: 'manual' },
      );
      // response_type=token is refused with a redirect back, and the redirect carries iss.
      expect(redirect.status).toBe(302);
      expect(new URL(redirect.headers.get('location') ?? '').searchParams.get('iss')).toBe(child.url);
    } finally {
      await child.stop();
    }
  });

  it('stops a child whose parent goes away without stopping it', async () => {
    const { spawn } = await import('node:child_process');
    const script = `
      const { startTestEmulator } = await import(${JSON.stringify(new URL('./start-node.ts', import.meta.url).href)});
      const emulator = await startTestEmulator({ child: true });
      console.log(emulator.pid, emulator.url);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    parent.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) =>
      parent.stdout.on('data', (chunk: string) => {
        printed += chunk;
        if (printed.includes('\n')) resolve();
      }),
    );
    const [pid, url] = printed.trim().split(' ');
    // SIGKILL: the parent runs no exit hook at all.
    parent.kill('SIGKILL');
    await expect
      .poll(
        () =>
          fetch(`${url}/_emulator/clock`).then(
            () => 'up',
            () => 'down',
          ),
        { timeout: 30_000 },
      )
      .toBe('down');
    await expect
      .poll(
        () => {
          try {
            process.kill(Number(pid), 0);
            return 'running';
          } catch {
            return 'gone';
          }
        },
        { timeout: 30_000 },
      )
      .toBe('gone');
  });

  it('says why a child could not start', async () => {
    await expect(startTestEmulator({ child: true, issuer: 'not a url' })).rejects.toThrow(/--public-url/);
  });
});
