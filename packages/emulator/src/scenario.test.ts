/**
 * The start-up scenario: one schema for the file, the flags and the `scenario` option (the admin
 * API's bodies), applied over the seed at start, over a loaded state file, and again after reset.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createEmulator, type Emulator } from './emulator.js';
import { EmulatorConfigError } from './errors.js';
import {
  type EmulatorScenario,
  mergeScenarios,
  parseScenario,
  type ScenarioApp,
  ScenarioError,
  type ScenarioInstacartUser,
  type ScenarioSettings,
  type scenarioSchema,
} from './scenario.js';
import { readScenarioFile } from './scenario-file-node.js';
import { DEMO_SEED } from './seed.js';
import type { appBodySchema, instacartUserBodySchema, settingsBodySchema } from './validation.js';

const BASE = 'http://emulator.test';
const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const ALL_SCOPES = ['connect:fulfillment', 'account_linking'];

const SCENARIO: EmulatorScenario = {
  apps: [
    {
      client_id: 'acme',
      client_secret: 'acme-secret',
      name: 'Acme Foods',
      redirect_uris: ['http://localhost:5173/account/instacart'],
    },
  ],
  redirect_uris: { [DEMO_SEED.app.clientId]: ['http://localhost:5173/account/profile'] },
  instacart_users: [
    { email: 'member@qa.test', password: 'member-pw', instacartplus_member: true, expired_at: '+365d' },
    { email: 'lapsed@qa.test', password: 'lapsed-pw', instacartplus_member: true, expired_at: '-30d' },
    { email: 'dated@qa.test', password: 'dated-pw', instacartplus_member: true, expired_at: '2027-01-31' },
    { email: 'never@qa.test', password: 'never-pw', instacartplus_member: false },
  ],
  settings: { issuer_param: true, require_pkce: true, latency_ms: 5 },
};

interface StateView {
  apps: {
    client_id: string;
    retailer_id: string;
    status: string;
    name: string;
    redirect_uris: string[];
    scopes: string[];
  }[];
  instacart_users: { id: number; email: string; instacartplus_member: boolean; expired_at: string | null }[];
}

async function admin(emulator: Emulator, method: string, path: string, body?: unknown) {
  return emulator.fetch(`${BASE}/_emulator/${path}`, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function stateOf(emulator: Emulator): Promise<StateView> {
  return (await (await admin(emulator, 'GET', 'state')).json()) as StateView;
}

async function tokenStatus(emulator: Emulator, clientId: string, clientSecret: string): Promise<number> {
  const response = await emulator.fetch(`${BASE}/v2/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'connect:fulfillment',
    }),
  });
  return response.status;
}

/** Logs in on the authorization page; 303 is a log-in that worked, 401 a wrong password. */
async function logInStatus(
  emulator: Emulator,
  email: string,
  password: string,
  redirectUri: string = DEMO_SEED.app.redirectUri,
): Promise<number> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: DEMO_SEED.app.clientId,
    scope: 'account_linking',
    redirect_uri: redirectUri,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  const page = await emulator.fetch(`${BASE}/oauth/authorize?${query}`);
  const html = await page.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const response = await emulator.fetch(`${BASE}/oauth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({
      csrf_token: field('csrf_token'),
      authorization_id: field('authorization_id'),
      email,
      password,
    }).toString(),
  });
  return response.status;
}

function expectHoldsScenario(state: StateView): void {
  expect(state.apps).toEqual([
    {
      client_id: DEMO_SEED.app.clientId,
      retailer_id: DEMO_SEED.app.retailerId,
      status: 'enabled',
      name: DEMO_SEED.app.name,
      redirect_uris: [DEMO_SEED.app.redirectUri, 'http://localhost:5173/account/profile'],
      scopes: ALL_SCOPES,
    },
    {
      client_id: 'acme',
      retailer_id: 'acme',
      status: 'enabled',
      name: 'Acme Foods',
      redirect_uris: ['http://localhost:5173/account/instacart'],
      scopes: ALL_SCOPES,
    },
  ]);
  expect(state.instacart_users.map((user) => user.email)).toEqual([
    ...Object.values(DEMO_SEED.users),
    'member@qa.test',
    'lapsed@qa.test',
    'dated@qa.test',
    'never@qa.test',
  ]);
}

describe('the scenario types', () => {
  it('are the types of the schemas that validate the admin API bodies', () => {
    expectTypeOf<EmulatorScenario>().toEqualTypeOf<z.input<typeof scenarioSchema>>();
    expectTypeOf<EmulatorScenario>().toEqualTypeOf<z.output<typeof scenarioSchema>>();
    expectTypeOf<ScenarioApp>().toEqualTypeOf<z.input<typeof appBodySchema>>();
    expectTypeOf<ScenarioInstacartUser>().toEqualTypeOf<z.input<typeof instacartUserBodySchema>>();
    expectTypeOf<ScenarioSettings>().toEqualTypeOf<z.input<typeof settingsBodySchema>>();
  });
});

describe('createEmulator({ scenario })', () => {
  it('registers apps, adds redirect URIs, creates accounts and sets the settings over the seed', async () => {
    const emulator = createEmulator({ issuer: BASE, scenario: SCENARIO, now: () => NOW });
    const state = await stateOf(emulator);
    expectHoldsScenario(state);
    const byEmail = new Map(state.instacart_users.map((user) => [user.email, user]));
    expect(byEmail.get('member@qa.test')).toMatchObject({
      instacartplus_member: true,
      expired_at: '2027-06-01T12:00:00Z',
    });
    expect(byEmail.get('lapsed@qa.test')?.expired_at).toBe('2026-05-02T12:00:00Z');
    expect(byEmail.get('dated@qa.test')?.expired_at).toBe('2027-01-31T00:00:00Z');
    expect(byEmail.get('never@qa.test')).toMatchObject({ instacartplus_member: false, expired_at: null });
    expect(emulator.getSettings()).toEqual({ issuerParam: true, requirePkce: true, latencyMs: 5 });
    expect(await tokenStatus(emulator, 'acme', 'acme-secret')).toBe(200);
    expect(await logInStatus(emulator, 'member@qa.test', 'member-pw')).toBe(303);
    expect(await logInStatus(emulator, 'member@qa.test', 'wrong')).toBe(401);
    const code = emulator.authorizeForTest({
      instacartUserId: 1,
      clientId: DEMO_SEED.app.clientId,
      redirectUri: 'http://localhost:5173/account/profile',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    });
    expect(code.length).toBeGreaterThan(0);
  });

  it('lets the scenario win over the seed: same client id replaces the app, same email overwrites the account', async () => {
    const emulator = createEmulator({
      issuer: BASE,
      scenario: {
        apps: [
          {
            client_id: DEMO_SEED.app.clientId,
            client_secret: 'rotated-secret',
            name: 'Corner Market QA',
            redirect_uris: ['http://localhost:4000/cb'],
          },
        ],
        instacart_users: [
          { email: DEMO_SEED.users.plus.toUpperCase(), password: 'new-pw', instacartplus_member: false },
        ],
      },
    });
    const state = await stateOf(emulator);
    // Replaced, it stays the demo retailer's: a scenario does not take Corner Market's shoppers away.
    expect(state.apps).toEqual([
      {
        client_id: DEMO_SEED.app.clientId,
        retailer_id: DEMO_SEED.app.retailerId,
        status: 'enabled',
        name: 'Corner Market QA',
        redirect_uris: ['http://localhost:4000/cb'],
        scopes: ALL_SCOPES,
      },
    ]);
    expect(state.instacart_users[0]).toMatchObject({
      id: 1,
      email: DEMO_SEED.users.plus,
      instacartplus_member: false,
      expired_at: null,
    });
    expect(state.instacart_users).toHaveLength(3);
    expect(await tokenStatus(emulator, DEMO_SEED.app.clientId, DEMO_SEED.app.clientSecret)).toBe(401);
    expect(await tokenStatus(emulator, DEMO_SEED.app.clientId, 'rotated-secret')).toBe(200);
    expect(
      await logInStatus(emulator, DEMO_SEED.users.plus, DEMO_SEED.password, 'http://localhost:4000/cb'),
    ).toBe(401);
    expect(await logInStatus(emulator, DEMO_SEED.users.plus, 'new-pw', 'http://localhost:4000/cb')).toBe(303);
  });

  it('is kept by reset (admin POST reset and emulator.reset()), relative times from the reset on', async () => {
    let now = NOW;
    const emulator = createEmulator({ issuer: BASE, scenario: SCENARIO, now: () => now });
    await admin(emulator, 'POST', 'apps', {
      client_id: 'later',
      client_secret: 'later-secret',
      name: 'Registered later',
      redirect_uris: ['http://localhost:9999/cb'],
    });
    await admin(emulator, 'PATCH', 'settings', { issuer_param: false, require_pkce: false, latency_ms: 0 });
    await admin(emulator, 'POST', 'instacart-users', {
      email: 'later@qa.test',
      password: 'pw',
      instacartplus_member: false,
    });

    now = new Date(NOW.getTime() + 10 * DAY_MS);
    expect((await admin(emulator, 'POST', 'reset', {})).status).toBe(204);
    let state = await stateOf(emulator);
    expectHoldsScenario(state);
    expect(state.instacart_users.find((user) => user.email === 'member@qa.test')?.expired_at).toBe(
      '2027-06-11T12:00:00Z',
    );
    expect(emulator.getSettings()).toEqual({ issuerParam: true, requirePkce: true, latencyMs: 5 });
    expect(await logInStatus(emulator, 'lapsed@qa.test', 'lapsed-pw')).toBe(303);

    emulator.updateSettings({ requirePkce: false });
    emulator.registerApp({
      clientId: 'later',
      clientSecret: 's',
      name: 'Later',
      redirectUris: ['http://x.test/cb'],
    });
    emulator.reset();
    state = await stateOf(emulator);
    expectHoldsScenario(state);
    expect(emulator.getSettings().requirePkce).toBe(true);
  });

  it('starts with the seed only, and a reset keeps it so, without a scenario', async () => {
    const emulator = createEmulator({ issuer: BASE, scenario: {} });
    emulator.reset();
    const state = await stateOf(emulator);
    expect(state.apps.map((app) => app.client_id)).toEqual([DEMO_SEED.app.clientId]);
    expect(state.instacart_users).toHaveLength(3);
  });

  it('refuses a scenario the schema refuses, with one line naming the first problem', () => {
    const cases: [unknown, RegExp][] = [
      [
        { apps: [{ client_id: 'a', client_secret: 's', name: 'A', redirect_uris: [] }] },
        /^scenario: apps\[0\]\.redirect_uris: /,
      ],
      [
        { apps: [{ client_id: 'a', client_secret: 's', name: 'A', redirect_uris: ['ftp://x'] }] },
        /^scenario: apps\[0\]\.redirect_uris\[0\]: redirect URI must be http or https/,
      ],
      [
        {
          instacart_users: [
            { email: 'x@qa.test', password: 'p', instacartplus_member: true, expired_at: 'soon' },
          ],
        },
        /^scenario: instacart_users\[0\]\.expired_at: must be an ISO 8601 date-time/,
      ],
      [
        { instacart_users: [{ email: 'x@qa.test', password: 'p' }] },
        /^scenario: instacart_users\[0\]\.instacartplus_member: /,
      ],
      [{ settings: { latency_ms: 70_000 } }, /^scenario: settings\.latency_ms: /],
      [{ settings: { issuer_parameter: true } }, /^scenario: settings: Unrecognized key/],
      [{ account: [] }, /^scenario: Unrecognized key/],
      [
        { redirect_uris: { 'cartlink-demo': 'http://x.test/cb' } },
        /^scenario: redirect_uris\.cartlink-demo: /,
      ],
      [
        {
          instacart_users: [
            { email: 'x@qa.test', password: 'p', instacartplus_member: false },
            { email: 'X@qa.test', password: 'q', instacartplus_member: false },
          ],
        },
        /^scenario: instacart_users\[1\]\.email: the same email as instacart_users\[0\]$/,
      ],
    ];
    for (const [scenario, message] of cases) {
      let thrown: unknown;
      try {
        createEmulator({ scenario: scenario as EmulatorScenario });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ScenarioError);
      expect(thrown).toBeInstanceOf(EmulatorConfigError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('\n');
    }
  });

  it('refuses redirect URIs for an application neither the seed nor the scenario registers', () => {
    expect(() =>
      createEmulator({
        seed: 'empty',
        scenario: { redirect_uris: { 'cartlink-demo': ['http://x.test/cb'] } },
      }),
    ).toThrow(
      /^scenario: redirect_uris names the application "cartlink-demo", which neither the empty seed nor the scenario registers$/,
    );
    expect(() =>
      createEmulator({
        seed: 'empty',
        scenario: {
          apps: [{ client_id: 'own', client_secret: 's', name: 'Own', redirect_uris: ['http://x.test/a'] }],
          redirect_uris: { own: ['http://x.test/b'] },
        },
      }),
    ).not.toThrow();
  });
});

describe('the scenario with a state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cartlink-scenario-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is applied over the state the file kept, which keeps everything else', async () => {
    const stateFile = join(dir, 'state.json');
    const first = createEmulator({ issuer: BASE, stateFile });
    first.createInstacartUser({ email: 'kept@qa.test', password: 'pw', instacartplusMember: false });
    first.updateSettings({ latencyMs: 7 });
    await new Promise((resolve) => setTimeout(resolve, 0)); // the write is queued in a microtask

    const second = createEmulator({ issuer: BASE, stateFile, scenario: SCENARIO });
    const state = await stateOf(second);
    expect(state.instacart_users.map((user) => user.email)).toContain('kept@qa.test');
    expect(state.instacart_users.map((user) => user.email)).toContain('member@qa.test');
    expect(state.apps.map((app) => app.client_id)).toEqual([DEMO_SEED.app.clientId, 'acme']);
    expect(second.getSettings()).toEqual({ issuerParam: true, requirePkce: true, latencyMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 0));

    // Applied again over a file that already holds it: nothing doubles, ids stay.
    const third = createEmulator({ issuer: BASE, stateFile, scenario: SCENARIO });
    const again = await stateOf(third);
    expect(again.apps).toEqual(state.apps);
    expect(again.instacart_users.map((user) => [user.id, user.email])).toEqual(
      state.instacart_users.map((user) => [user.id, user.email]),
    );
  });
});

describe('parseScenario, mergeScenarios and readScenarioFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cartlink-scenario-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses a valid scenario as it is, and names the source of a refused one', () => {
    expect(parseScenario(SCENARIO)).toEqual(SCENARIO);
    expect(parseScenario({})).toEqual({});
    expect(() => parseScenario([], 'scenario file qa.json')).toThrow(/^scenario file qa\.json: /);
  });

  it('merges flags over a file: same client id or email replaced, redirect URIs added up, settings field by field', () => {
    const file: EmulatorScenario = {
      apps: [
        { client_id: 'a', client_secret: 'file', name: 'A', redirect_uris: ['http://a.test/1'] },
        { client_id: 'b', client_secret: 'file', name: 'B', redirect_uris: ['http://b.test/1'] },
      ],
      redirect_uris: { 'cartlink-demo': ['http://d.test/1'] },
      instacart_users: [{ email: 'x@qa.test', password: 'file', instacartplus_member: false }],
      settings: { issuer_param: true, latency_ms: 10 },
    };
    const flags: EmulatorScenario = {
      apps: [{ client_id: 'a', client_secret: 'flag', name: 'A2', redirect_uris: ['http://a.test/2'] }],
      redirect_uris: { 'cartlink-demo': ['http://d.test/1', 'http://d.test/2'], b: ['http://b.test/2'] },
      instacart_users: [{ email: 'X@qa.test', password: 'flag', instacartplus_member: true }],
      settings: { latency_ms: 0 },
    };
    expect(mergeScenarios(file, flags)).toEqual({
      apps: [
        { client_id: 'a', client_secret: 'flag', name: 'A2', redirect_uris: ['http://a.test/2'] },
        { client_id: 'b', client_secret: 'file', name: 'B', redirect_uris: ['http://b.test/1'] },
      ],
      redirect_uris: { 'cartlink-demo': ['http://d.test/1', 'http://d.test/2'], b: ['http://b.test/2'] },
      instacart_users: [{ email: 'X@qa.test', password: 'flag', instacartplus_member: true }],
      settings: { issuer_param: true, latency_ms: 0 },
    });
    expect(mergeScenarios({}, {})).toEqual({});
    expect(mergeScenarios(file, {})).toEqual(file);
  });

  it('reads a JSON file, and refuses a missing, malformed or invalid one in one line naming it', () => {
    const good = join(dir, 'qa.json');
    writeFileSync(good, JSON.stringify(SCENARIO));
    expect(readScenarioFile(good)).toEqual(SCENARIO);

    const missing = join(dir, 'missing.json');
    expect(() => readScenarioFile(missing)).toThrow(
      new ScenarioError(`scenario file ${missing}: cannot be read (ENOENT)`),
    );
    const malformed = join(dir, 'malformed.json');
    writeFileSync(malformed, '{"apps": [');
    expect(() => readScenarioFile(malformed)).toThrow(/^scenario file .*malformed\.json: not valid JSON/);
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ settings: { require_pkce: 'yes' } }));
    expect(() => readScenarioFile(invalid)).toThrow(
      /^scenario file .*invalid\.json: settings\.require_pkce: /,
    );
  });

  it('never quotes a malformed file, which may hold a client secret or a password', () => {
    const leaky = join(dir, 'leaky.json');
    writeFileSync(leaky, '{"apps": [{"client_id": "qa", "client_secret": s3cr3t-value}]}');
    let message = '';
    try {
      readScenarioFile(leaky);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^scenario file .*leaky\.json: not valid JSON \(syntax error/);
    expect(message).not.toContain('s3cr3t');
  });
});
