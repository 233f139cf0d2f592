/**
 * `cartlink check` against the real emulator over HTTP, in process: with everything in place every
 * line passes, and each prerequisite broken in turn fails exactly its own line (the lines that build
 * on it are skipped) while the others still pass. The check leaves nothing behind: no Connect user,
 * no link transaction.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SEED } from '@cartlink/emulator';
import { startTestEmulator, type TestEmulator } from '@cartlink/emulator/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../testing/processes.js';
import { openDatabase, openLinkingStorage } from '../node.js';
import { type CheckCommandOptions, runCheckCommand } from './command-node.js';
import { formatCheckReport, formatCheckReportJson } from './format.js';
import type { CheckFetch } from './http.js';
import type { CheckReport } from './types.js';

/** Every line, in the order of the report. */
const IDS = [
  'config',
  'client-credentials',
  'authorization-url',
  'redirect-uri',
  'redirect-uri-registered',
  'pkce',
  'database',
  'clock',
];

let emulator: TestEmulator;
let directory: string;
let migrated: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  directory = mkdtempSync(join(tmpdir(), 'cartlink-check-'));
  migrated = join(directory, 'shop.db');
  const { storage } = await openLinkingStorage(migrated);
  await storage.close();
});

afterAll(async () => {
  await emulator?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  await emulator.admin.reset();
});

/** A complete configuration for the emulator's demo application, as a shop's environment holds it. */
function environment(): Record<string, string | undefined> {
  return {
    CONNECT_BASE_URL: emulator.url,
    CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
    CONNECT_CLIENT_ID: DEMO_SEED.app.clientId,
    CONNECT_CLIENT_SECRET: DEMO_SEED.app.clientSecret,
    CONNECT_REDIRECT_URI: DEMO_SEED.app.redirectUri,
    DATABASE_URL: migrated,
  };
}

function check(changes: Record<string, string | undefined>, options: Partial<CheckCommandOptions> = {}) {
  return runCheckCommand({ env: { ...environment(), ...changes }, ...options });
}

/** Exactly `failed` fail (each with a fix), exactly `skipped` are skipped, and every other line passes. */
function expectLines(report: CheckReport, failed: string[], skipped: string[] = [], ids = IDS): void {
  const context = formatCheckReport(report);
  expect(
    report.checks.map((line) => line.id),
    context,
  ).toEqual(ids);
  expect(
    report.checks.filter((line) => !line.ok && !line.skipped).map((line) => line.id),
    context,
  ).toEqual(failed);
  expect(
    report.checks.filter((line) => line.skipped).map((line) => line.id),
    context,
  ).toEqual(skipped);
  for (const line of report.checks) {
    if (line.ok) expect(line.fix, context).toBeUndefined();
    else if (line.skipped) expect(line.summary, context).toMatch(/^not checked: /);
    else expect(line.fix, context).toMatch(/\S/);
  }
  expect(report.ok).toBe(failed.length === 0 && skipped.length === 0);
}

function lineOf(report: CheckReport, id: string) {
  const line = report.checks.find((found) => found.id === id);
  if (!line) throw new Error(`no line ${id}`);
  return line;
}

describe('cartlink check against the emulator', () => {
  it('passes every line when everything is in place, and leaves nothing behind', async () => {
    await emulator.admin.clearRequests();
    const report = await check({});
    expectLines(report, []);
    expect(lineOf(report, 'client-credentials').summary).toContain(
      `client ${DEMO_SEED.app.clientId} succeeded`,
    );
    expect(lineOf(report, 'pkce').summary).toContain('with a PKCE challenge (S256) is accepted');

    // Connect was asked for a token, the authorization page and the time: no user, no link.
    const asked = (await emulator.admin.requests()).map((entry) => `${entry.method} ${entry.path}`);
    expect(asked.sort()).toEqual(['GET /', 'GET /oauth/authorize', 'POST /v2/oauth/token']);
    const state = await emulator.admin.state();
    expect(state.connect_users).toEqual([]);
    expect(state.links).toEqual([]);
    // And the shop's database holds no link transaction.
    const { db } = await openDatabase(migrated);
    try {
      const rows = await db.selectFrom('cartlink_link_transactions').select('state_hash').execute();
      expect(rows).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('a wrong client secret fails client-credentials only', async () => {
    const report = await check({ CONNECT_CLIENT_SECRET: 'not-the-secret' });
    expectLines(report, ['client-credentials']);
    const line = lineOf(report, 'client-credentials');
    expect(line.summary).toContain('refused the credentials of client cartlink-demo (invalid_client, 401)');
    expect(JSON.stringify(report)).not.toContain('not-the-secret');
  });

  it('an unregistered redirect URI fails redirect-uri-registered, and PKCE cannot be tried', async () => {
    const report = await check({ CONNECT_REDIRECT_URI: 'http://localhost:3999/account/profile' });
    expectLines(report, ['redirect-uri-registered'], ['pkce']);
    expect(lineOf(report, 'redirect-uri-registered').summary).toContain(
      'answered 400 with an error page, not a redirect',
    );
  });

  it('an http redirect URI outside localhost fails redirect-uri, even where it is registered', async () => {
    const uri = 'http://shop.example/account/profile';
    await emulator.admin.registerApp({
      client_id: 'plain-http-shop',
      client_secret: 'plain-http-secret',
      name: 'Plain HTTP Shop',
      redirect_uris: [uri],
    });
    const report = await check({
      CONNECT_CLIENT_ID: 'plain-http-shop',
      CONNECT_CLIENT_SECRET: 'plain-http-secret',
      CONNECT_REDIRECT_URI: uri,
    });
    expectLines(report, ['redirect-uri']);
    expect(lineOf(report, 'redirect-uri').summary).toContain('uses http on shop.example');
    expect(lineOf(report, 'redirect-uri').fix).toContain('https://shop.example/account/profile');
  });

  it('a malformed redirect URI fails redirect-uri, and the lines that would send it are skipped', async () => {
    const report = await check({ CONNECT_REDIRECT_URI: 'localhost:3000/account/profile' });
    expectLines(report, ['redirect-uri'], ['redirect-uri-registered', 'pkce']);
    expect(lineOf(report, 'redirect-uri').summary).toBe(
      'CONNECT_REDIRECT_URI: must be an absolute http:// or https:// URL',
    );
    expect(lineOf(report, 'redirect-uri-registered').summary).toContain('(see redirect-uri)');
  });

  it('an unreachable authorization URL (a closed port) fails authorization-url', async () => {
    const port = await findFreePort();
    const report = await check({ CONNECT_AUTH_URL: `http://127.0.0.1:${port}/oauth/authorize` });
    expectLines(report, ['authorization-url'], ['redirect-uri-registered', 'pkce']);
    expect(lineOf(report, 'authorization-url').summary).toContain('ECONNREFUSED');
  });

  it('an authorization URL that is not an authorization endpoint fails authorization-url', async () => {
    const report = await check({ CONNECT_AUTH_URL: `${emulator.url}/oauth/authorise` });
    expectLines(report, ['authorization-url'], ['redirect-uri-registered', 'pkce']);
    expect(lineOf(report, 'authorization-url').summary).toContain('answered 404');
  });

  // The emulator has no setting that refuses PKCE (it accepts an S256 challenge from every
  // application), so the authorization request with a challenge is answered here with the error
  // redirect an authorization server that does not support PKCE gives (RFC 6749 §4.1.2.1); every
  // other request still goes to the emulator.
  it('an authorization endpoint that refuses PKCE fails pkce', async () => {
    const refusingPkce: CheckFetch = async (url, init) => {
      const request = new URL(url);
      const redirectUri = request.searchParams.get('redirect_uri');
      if (
        request.pathname === '/oauth/authorize' &&
        request.searchParams.has('code_challenge') &&
        redirectUri
      ) {
        const location = new URL(redirectUri);
        location.searchParams.set('error', 'invalid_request');
        location.searchParams.set('error_description', 'code_challenge is not supported');
        location.searchParams.set('state', request.searchParams.get('state') ?? '');
        return new Response(null, { status: 302, headers: { location: location.href } });
      }
      return fetch(url, init);
    };
    const report = await check({}, { fetch: refusingPkce });
    expectLines(report, ['pkce']);
    expect(lineOf(report, 'pkce').summary).toContain(
      'refused the authorization request with a PKCE challenge (S256): error=invalid_request: code_challenge is not supported',
    );
    expect(lineOf(report, 'pkce').fix).toContain('CONNECT_USE_PKCE=false');
  });

  it('PKCE switched off where the endpoint requires it fails pkce (the emulator’s require_pkce)', async () => {
    await emulator.admin.updateSettings({ require_pkce: true });
    try {
      const report = await check({ CONNECT_USE_PKCE: 'false' });
      expectLines(report, ['pkce']);
      expect(lineOf(report, 'pkce').summary).toContain('code_challenge is required');
      expect(lineOf(report, 'pkce').fix).toContain('CONNECT_USE_PKCE=true');
    } finally {
      await emulator.admin.updateSettings({ require_pkce: false });
    }
  });

  it('an unreachable database (a closed port) fails database', async () => {
    const port = await findFreePort();
    const report = await check({ DATABASE_URL: `postgres://shop:hunter2@127.0.0.1:${port}/shop` });
    expectLines(report, ['database']);
    expect(lineOf(report, 'database').summary).toContain('cannot reach the PostgreSQL database');
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  it('a database that is not migrated (a fresh empty SQLite file) fails database', async () => {
    const empty = join(directory, 'fresh.db');
    writeFileSync(empty, '');
    const report = await check({ DATABASE_URL: empty });
    expectLines(report, ['database']);
    expect(lineOf(report, 'database').summary).toContain('not migrated');
  });

  // The emulator's clock moves (its admin API), but its Date header is Node's, in real time. So the
  // answers are given the emulator's moved clock as their Date header: a Connect five minutes ahead.
  it('a clock five minutes off Connect’s fails clock', async () => {
    await emulator.admin.advanceClock(5 * 60);
    const connectTime = async () => (await emulator.admin.now()).toUTCString();
    const datedByEmulatorClock: CheckFetch = async (url, init) => {
      const response = await fetch(url, init);
      const headers = new Headers(response.headers);
      headers.set('date', await connectTime());
      return new Response(response.body, { status: response.status, headers });
    };
    const report = await check({}, { fetch: datedByEmulatorClock });
    expectLines(report, ['clock']);
    expect(lineOf(report, 'clock').summary).toMatch(/clock is 5 min \d+ s behind Connect's/);

    // The same skew seen from the other side: this machine's clock five minutes behind.
    await emulator.admin.reset();
    const behind = await check({}, { now: () => Date.now() - 5 * 60_000 });
    expectLines(behind, ['clock']);
  });

  it('without --demo an unset required variable is reported as missing; --demo fills it', async () => {
    const report = await check({ CONNECT_CLIENT_SECRET: undefined });
    expectLines(report, ['client-credentials']);
    expect(lineOf(report, 'client-credentials').summary).toBe('CONNECT_CLIENT_SECRET: is required');
    expect(lineOf(report, 'client-credentials').fix).toContain('set CONNECT_CLIENT_SECRET');

    // The demo's values: its client, its secret and its redirect URI, which the emulator's seed has.
    const demo = await runCheckCommand({
      env: {
        CONNECT_BASE_URL: emulator.url,
        CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
        DATABASE_URL: migrated,
      },
      demo: true,
    });
    expectLines(demo, []);
    expect(lineOf(demo, 'config').summary).toContain('--demo');
  });

  it('prints JSON of the documented shape', async () => {
    const report = await check({ CONNECT_CLIENT_SECRET: 'wrong' });
    const parsed = JSON.parse(formatCheckReportJson(report)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['ok', 'checks']);
    expect(parsed.ok).toBe(false);
    for (const line of parsed.checks as Record<string, unknown>[]) {
      expect(typeof line.id).toBe('string');
      expect(typeof line.ok).toBe('boolean');
      expect(typeof line.summary).toBe('string');
      expect(Object.keys(line).every((key) => ['id', 'ok', 'summary', 'fix', 'skipped'].includes(key))).toBe(
        true,
      );
    }
  });
});

describe('cartlink check during a credential rotation', () => {
  /** The lines with a next set configured: its own line follows the current set's. */
  const ROTATING_IDS = [...IDS.slice(0, 2), 'client-credentials-next', ...IDS.slice(2)];
  const demo = DEMO_SEED.app.clientId;

  /** The clone Instacart makes of the demo application, as the shop's next set. */
  async function cloneDemoApp() {
    const clone = await emulator.admin.cloneApp(demo);
    return {
      clone,
      env: { CONNECT_CLIENT_ID_NEXT: clone.client_id, CONNECT_CLIENT_SECRET_NEXT: clone.client_secret },
    };
  }

  it('reports both sets accepted, the next one in use, and sends the authorization request with it', async () => {
    const { clone, env } = await cloneDemoApp();
    await emulator.admin.clearRequests();
    const report = await check(env);
    expectLines(report, [], [], ROTATING_IDS);
    expect(lineOf(report, 'client-credentials').summary).toBe(
      `a client_credentials grant for client ${demo} succeeded at ${emulator.url}; not in use: the shop takes its tokens from the next set (client ${clone.client_id})`,
    );
    expect(lineOf(report, 'client-credentials-next').summary).toBe(
      `a client_credentials grant for client ${clone.client_id} (the next set) succeeded at ${emulator.url}; in use: the shop takes its tokens from it`,
    );
    expect(lineOf(report, 'redirect-uri-registered').summary).toContain(
      `is accepted for client ${clone.client_id}`,
    );
    // One grant per set, however many lines read them; the authorization request names the clone.
    const asked = await emulator.admin.requests();
    expect(asked.filter((entry) => entry.path === '/v2/oauth/token')).toHaveLength(2);
    const authorization = asked.filter((entry) => entry.path === '/oauth/authorize');
    expect(authorization).toHaveLength(1);
    expect(JSON.stringify(report)).not.toContain(clone.client_secret);
  });

  it('reports a next set Connect refuses as failed, and the current one in use', async () => {
    const { env } = await cloneDemoApp();
    const report = await check({ ...env, CONNECT_CLIENT_SECRET_NEXT: 'not-the-clone-secret' });
    expectLines(report, ['client-credentials-next'], [], ROTATING_IDS);
    const next = lineOf(report, 'client-credentials-next');
    expect(next.summary).toContain(`(invalid_client, 401); the shop falls back to client ${demo} (in use)`);
    expect(next.fix).toContain('set CONNECT_CLIENT_ID_NEXT and CONNECT_CLIENT_SECRET_NEXT');
    expect(lineOf(report, 'client-credentials').summary).toContain('; in use: Connect refuses the next set');
    expect(lineOf(report, 'redirect-uri-registered').summary).toContain(`is accepted for client ${demo}`);
    expect(JSON.stringify(report)).not.toContain('not-the-clone-secret');
  });

  it('reports the current set refused once its application is disabled, with the fix that ends the rotation', async () => {
    const { clone, env } = await cloneDemoApp();
    await emulator.admin.disableApp(demo);
    const report = await check(env);
    expectLines(report, ['client-credentials'], [], ROTATING_IDS);
    const current = lineOf(report, 'client-credentials');
    expect(current.summary).toContain(
      `refused the credentials of client ${demo} (invalid_client, 401); the shop takes its tokens from the next set (client ${clone.client_id})`,
    );
    expect(current.fix).toContain('finish the rotation');
    expect(current.fix).toContain('unset those two');
    expect(lineOf(report, 'client-credentials-next').summary).toContain(
      '; in use: the shop takes its tokens from it',
    );
  });

  it('reports half a next set on its own line, and the rest as with one set', async () => {
    const report = await check({ CONNECT_CLIENT_ID_NEXT: 'cartlink-demo-clone' });
    expectLines(report, ['client-credentials-next'], [], ROTATING_IDS);
    expect(lineOf(report, 'client-credentials-next').summary).toBe(
      'CONNECT_CLIENT_SECRET_NEXT: is required with CONNECT_CLIENT_ID_NEXT (set both, or neither)',
    );
    expect(lineOf(report, 'client-credentials').summary).toBe(
      `a client_credentials grant for client ${demo} succeeded at ${emulator.url}`,
    );
  });
});
