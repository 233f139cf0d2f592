import { createConnectClient } from '@cartlink/connect';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinking, type Linking } from './linking.js';
import {
  AUTH_ENDPOINT,
  BASE_URL,
  CLIENT_ID,
  CLIENT_SECRET,
  createLinkingFixture,
  type LinkingFixture,
  NEXT_CLIENT_ID,
  NEXT_CLIENT_SECRET,
  REDIRECT_URI,
  readAuthorizationUrl,
} from './test-support/fake-connect.js';

const alex = { sessionId: 'session-alex', userId: 'user-alex' };
const blair = { sessionId: 'session-blair', userId: 'user-blair' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

let f: LinkingFixture;
beforeEach(async () => {
  f = await createLinkingFixture();
});
afterEach(async () => {
  await f.close();
});

/**
 * What the shopper does: loads the profile page (a fresh status, which writes no link transaction),
 * presses "Link Instacart account" (which starts one). Returns the state Instacart would echo.
 */
async function startLink(subject = alex): Promise<{ state: string; codeChallenge: string | null }> {
  const status = await f.linking.getStatus(subject, { fresh: true });
  expect(status.state).toBe('unlinked');
  return readAuthorizationUrl((await f.linking.startLink(subject)).authorizationUrl);
}

async function countLinkTransactions(): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from cartlink_link_transactions`.execute(f.db);
  return Number(result.rows[0]?.n);
}

describe('status', () => {
  it('shows linked-active with the expiry for a linked Instacart+ member', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    const status = await f.linking.getStatus(alex);
    expect(status).toMatchObject({
      state: 'linked-active',
      expiredAt: '2099-01-31T00:00:00.000Z',
      manageUrl: 'https://www.instacart.com/store/account/instacart-plus',
    });
    expect(status).not.toHaveProperty('authorizationUrl');
  });

  it('shows linked-inactive for a linked account without Instacart+', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 2, active: true });
    expect((await f.linking.getStatus(alex)).state).toBe('linked-inactive');
  });

  it('shows linked-inactive when Connect says member but the expiry has passed', async () => {
    f.fake.accounts.set(3, { instacartplusMember: true, expiredAt: '2026-01-01T00:00:00Z' });
    f.fake.users.set(alex.userId, { linkedTo: 3, active: true });
    expect((await f.linking.getStatus(alex)).state).toBe('linked-inactive');
  });

  it('shows unlinked, without an authorization URL, for a shopper without a Connect user', async () => {
    const status = await f.linking.getStatus(alex);
    expect(status).toMatchObject({ state: 'unlinked', reason: 'user-not-found' });
    expect(status).not.toHaveProperty('authorizationUrl');
  });
});

describe('reading a status', () => {
  it.each([
    ['unlinked', () => undefined],
    ['linked', () => f.fake.users.set(alex.userId, { linkedTo: 1, active: true })],
    [
      'unavailable',
      () => f.fake.overrides.set('status', () => json(503, { error: { message: 'Down', code: null } })),
    ],
  ])('writes no link transaction, a hundred reads over (%s)', async (_name, arrange) => {
    arrange();
    const before = await countLinkTransactions();
    for (let read = 0; read < 100; read++) {
      await f.linking.getStatus(alex, { fresh: read % 2 === 0 });
      await f.linking.verifyMembership(blair);
    }
    expect(await countLinkTransactions()).toBe(before);
    expect(before).toBe(0);
  });
});

describe('starting a link', () => {
  it('writes one link transaction per start, bound to the session', async () => {
    await f.linking.startLink(alex);
    expect(await countLinkTransactions()).toBe(1);
    const rows = await sql<{ session_id: string; user_id: string }>`
      select session_id, user_id from cartlink_link_transactions`.execute(f.db);
    expect(rows.rows).toEqual([{ session_id: alex.sessionId, user_id: alex.userId }]);
  });

  it('returns an authorization URL carrying every parameter of the seed and PKCE', async () => {
    const { authorizationUrl } = await f.linking.startLink(alex);
    const url = new URL(authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(AUTH_ENDPOINT);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('scope')).toBe('account_linking');
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // At least 128 bits of state: 32 random bytes are 43 base64url characters.
    expect(url.searchParams.get('state')?.length).toBeGreaterThanOrEqual(22);
  });

  it('gives a different state on every start', async () => {
    const first = await startLink();
    const second = await startLink();
    expect(first.state).not.toBe(second.state);
  });

  it('stores only a hash of the state and the verifier, never the state itself', async () => {
    const { state } = await startLink();
    const rows = await sql<Record<string, unknown>>`select * from cartlink_link_transactions`.execute(f.db);
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).not.toContain(state);
  });

  it('sends no PKCE challenge when PKCE is off', async () => {
    await f.close();
    f = await createLinkingFixture({ usePkce: false });
    const { authorizationUrl } = await f.linking.startLink(alex);
    expect(new URL(authorizationUrl).searchParams.has('code_challenge')).toBe(false);
  });

  it('uses the redirect URI it is given, and the code exchange sends that one back', async () => {
    const other = 'https://shop.example/account/instacart';
    const { authorizationUrl } = await f.linking.startLink(alex, { redirectUri: other });
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('redirect_uri')).toBe(other);
    const code = f.fake.issueCode(1, {
      redirectUri: other,
      codeChallenge: url.searchParams.get('code_challenge'),
    });
    const result = await f.linking.completeLink(alex, { code, state: url.searchParams.get('state') ?? '' });
    expect(result.outcome).toBe('linked');
    expect(f.fake.exchangeBodies[0]).toMatchObject({ redirect_uri: other });
  });
});

describe('status of Connect users, verifications and outages', () => {
  it('shows unlinked (not linked) for a Connect user without a link', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    expect(await f.linking.getStatus(alex)).toMatchObject({ state: 'unlinked', reason: 'not-linked' });
  });

  it('shows unlinked (user not active) for a deactivated Connect user', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: false });
    expect(await f.linking.getStatus(alex)).toMatchObject({ state: 'unlinked', reason: 'user-not-active' });
  });

  it('shows unavailable when Connect cannot be reached, and recovers afterwards', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    f.fake.overrides.set('status', () =>
      json(503, { error: { message: 'Service Unavailable', code: null } }),
    );
    expect(await f.linking.getStatus(alex)).toMatchObject({
      state: 'unavailable',
      reason: 'connect-unreachable',
    });
    f.fake.overrides.delete('status');
    expect((await f.linking.getStatus(alex)).state).toBe('linked-active');
  });

  it('reuses a recent verification for ordinary page loads and asks Connect again after the window', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.getStatus(alex);
    await f.linking.getStatus(alex);
    expect(f.fake.count('status')).toBe(1);
    f.clock.advance(61);
    await f.linking.getStatus(alex);
    expect(f.fake.count('status')).toBe(2);
  });

  it('always asks Connect when verifying the membership (sign-in, checkout)', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.getStatus(alex);
    await f.linking.verifyMembership(alex);
    await f.linking.verifyMembership(alex);
    expect(f.fake.count('status')).toBe(3);
  });

  it('notices an unlink done through Instacart customer service at the next verification', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.verifyMembership(alex);
    expect(await f.storage.linkRecords.get(alex.userId)).not.toBeNull();
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    expect((await f.linking.verifyMembership(alex)).state).toBe('unlinked');
    expect(await f.storage.linkRecords.get(alex.userId)).toBeNull();
  });

  it('shows unavailable rather than a stale status when the last verification is old and Connect is down', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.getStatus(alex);
    f.clock.advance(3600);
    f.fake.overrides.set('status', () => {
      throw new TypeError('fetch failed');
    });
    expect((await f.linking.getStatus(alex)).state).toBe('unavailable');
  });
});

describe('completing a link', () => {
  it('links a shopper whose Connect user exists: one code exchange and one link call', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    const before = f.fake.calls.length;
    const result = await f.linking.completeLink(alex, { code, state });
    expect(result.outcome).toBe('linked');
    expect(result.status).toMatchObject({ state: 'linked-active', expiredAt: '2099-01-31T00:00:00.000Z' });
    const calls = f.fake.calls.slice(before);
    // exchange + link, then the status refresh the seed asks for; the fulfillment token was cached.
    expect(calls).toEqual(['exchange', 'link', 'status']);
    expect(await f.storage.linkRecords.get(alex.userId)).not.toBeNull();
  });

  it('creates the Connect user first when the status said User Not Found: three calls, not four', async () => {
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    const before = f.fake.calls.length;
    const result = await f.linking.completeLink(alex, { code, state });
    expect(result.outcome).toBe('linked');
    expect(f.fake.calls.slice(before)).toEqual(['exchange', 'create', 'link', 'status']);
  });

  it('creates the Connect user and retries when the link call says User Not Found (the seed sequence)', async () => {
    // The last verification says "not linked", but the Connect user is gone by now.
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.users.delete(alex.userId);
    const code = f.fake.issueCode(1, { codeChallenge });
    const before = f.fake.calls.length;
    const result = await f.linking.completeLink(alex, { code, state });
    expect(result.outcome).toBe('linked');
    expect(f.fake.calls.slice(before)).toEqual(['exchange', 'link', 'create', 'link', 'status']);
  });

  it('treats "User already exists" while creating as success (another tab created it first)', async () => {
    const { state, codeChallenge } = await startLink();
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const code = f.fake.issueCode(1, { codeChallenge });
    expect((await f.linking.completeLink(alex, { code, state })).outcome).toBe('linked');
  });

  it('sends the PKCE verifier of the transaction and the same redirect URI', async () => {
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    await f.linking.completeLink(alex, { code, state });
    const body = f.fake.exchangeBodies[0];
    expect(body).toMatchObject({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
    });
    expect(body?.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  });

  it('never stores the linking token', async () => {
    const { state, codeChallenge } = await startLink();
    await f.linking.completeLink(alex, { code: f.fake.issueCode(1, { codeChallenge }), state });
    const token = f.fake.linkTokensSent[0];
    expect(token).toBeDefined();
    for (const table of [
      'cartlink_link_transactions',
      'cartlink_membership_verifications',
      'cartlink_link_records',
      'cartlink_delivery_discounts',
    ]) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(f.db);
      expect(JSON.stringify(rows.rows)).not.toContain(token);
    }
  });

  describe('refuses the state', () => {
    it.each([
      ['missing', undefined],
      ['unknown', 'not-a-state-we-issued'],
    ])('when it is %s, without exchanging the code', async (_name, state) => {
      await startLink();
      const result = await f.linking.completeLink(alex, { code: f.fake.issueCode(1), state });
      expect(result.outcome).toBe('state-invalid');
      expect(f.fake.count('exchange')).toBe(0);
    });

    it('when it was issued to another session (forced linking)', async () => {
      const attacker = await startLink(blair);
      const code = f.fake.issueCode(2, { codeChallenge: attacker.codeChallenge });
      // The victim's browser loads the attacker's callback URL.
      const result = await f.linking.completeLink(alex, { code, state: attacker.state });
      expect(result).toMatchObject({ outcome: 'state-invalid', detail: 'state-other-session' });
      expect(f.fake.count('exchange')).toBe(0);
      expect(f.fake.users.get(alex.userId)?.linkedTo ?? null).toBeNull();
    });

    it('when it has expired (10 minutes)', async () => {
      const { state, codeChallenge } = await startLink();
      f.clock.advance(601);
      const result = await f.linking.completeLink(alex, {
        code: f.fake.issueCode(1, { codeChallenge }),
        state,
      });
      expect(result).toMatchObject({ outcome: 'state-invalid', detail: 'state-expired' });
      expect(f.fake.count('exchange')).toBe(0);
    });

    it('when it is replayed after a success', async () => {
      const { state, codeChallenge } = await startLink();
      const code = f.fake.issueCode(1, { codeChallenge });
      expect((await f.linking.completeLink(alex, { code, state })).outcome).toBe('linked');
      const replay = await f.linking.completeLink(alex, { code, state });
      expect(replay).toMatchObject({ outcome: 'state-invalid', detail: 'state-unknown' });
      expect(f.fake.count('exchange')).toBe(1);
    });

    it('when it is replayed after a failure', async () => {
      const { state } = await startLink();
      const first = await f.linking.completeLink(alex, { error: 'access_denied', state });
      expect(first.outcome).toBe('cancelled');
      const replay = await f.linking.completeLink(alex, { code: f.fake.issueCode(1), state });
      expect(replay.outcome).toBe('state-invalid');
    });

    it('for all but one of two concurrent callbacks with the same state', async () => {
      const { state, codeChallenge } = await startLink();
      const code = f.fake.issueCode(1, { codeChallenge });
      const results = await Promise.all([
        f.linking.completeLink(alex, { code, state }),
        f.linking.completeLink(alex, { code, state }),
      ]);
      expect(results.map((result) => result.outcome).sort()).toEqual(['linked', 'state-invalid']);
      expect(f.fake.count('exchange')).toBe(1);
    });
  });

  it('refuses a code injected into another session: the PKCE verifier does not match', async () => {
    // The attacker consents with their own Instacart account in their own session...
    const attacker = await startLink(blair);
    const attackerCode = f.fake.issueCode(2, { codeChallenge: attacker.codeChallenge });
    // ...and plants the code in the victim's callback with the victim's own valid state.
    const victim = await startLink(alex);
    const result = await f.linking.completeLink(alex, { code: attackerCode, state: victim.state });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'code-rejected' });
    expect(f.fake.count('link')).toBe(0);
  });

  it('reports Deny at Instacart as cancelled', async () => {
    const { state } = await startLink();
    const result = await f.linking.completeLink(alex, { error: 'access_denied', state });
    expect(result).toMatchObject({ outcome: 'cancelled', detail: 'access-denied' });
    expect(result.status.state).toBe('unlinked');
  });

  it('treats an error with an invalid state as an invalid state, not as a cancellation', async () => {
    await startLink();
    const result = await f.linking.completeLink(alex, { error: 'access_denied', state: 'forged' });
    expect(result.outcome).toBe('state-invalid');
  });

  it('reports other authorization errors as failed', async () => {
    const { state } = await startLink();
    expect((await f.linking.completeLink(alex, { error: 'invalid_scope', state })).outcome).toBe('failed');
  });

  it.each([
    ['a Deny', 'access_denied'],
    ['an empty error', ''],
  ])('refuses a code that comes with %s as failed, exchanging nothing', async (_, error) => {
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    expect(await f.linking.completeLink(alex, { code, state, error })).toMatchObject({
      outcome: 'failed',
      detail: 'authorization-error',
    });
    expect(f.fake.count('exchange')).toBe(0);
  });

  it('reports a callback without a code as failed', async () => {
    const { state } = await startLink();
    expect(await f.linking.completeLink(alex, { state })).toMatchObject({
      outcome: 'failed',
      detail: 'code-missing',
    });
  });

  it.each([
    ['invalid_grant', 400, 'code-rejected'],
    ['invalid_client', 401, 'client-rejected'],
  ])('reports %s from the code exchange as failed', async (error, status, detail) => {
    const { state } = await startLink();
    f.fake.overrides.set('exchange', () => json(status, { error, error_description: 'nope' }));
    expect(await f.linking.completeLink(alex, { code: 'c', state })).toMatchObject({
      outcome: 'failed',
      detail,
    });
    expect(f.fake.count('link')).toBe(0);
  });

  it('never retries the code exchange, even on a 503', async () => {
    const { state } = await startLink();
    f.fake.overrides.set('exchange', () =>
      json(503, { error: { message: 'Service Unavailable', code: null } }),
    );
    const result = await f.linking.completeLink(alex, { code: 'c', state });
    expect(result.outcome).toBe('unavailable');
    expect(f.fake.count('exchange')).toBe(1);
  });

  it('retries the link call with the still-valid linking token after a 5xx, and never exchanges twice', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.overrides.set('link', (attempt) =>
      attempt === 1 ? json(500, { error: { message: 'Internal Server Error', code: null } }) : undefined,
    );
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result.outcome).toBe('linked');
    expect(f.fake.count('link')).toBe(2);
    expect(f.fake.count('exchange')).toBe(1);
    expect(new Set(f.fake.linkTokensSent).size).toBe(1);
  });

  it('reports unavailable when the link call keeps failing', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.overrides.set('link', () => json(503, { error: { message: 'Service Unavailable', code: null } }));
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result.outcome).toBe('unavailable');
    expect(await f.storage.linkRecords.get(alex.userId)).toBeNull();
  });

  it('reports a 200 of the wrong shape from the link call as failed, never as linked', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.overrides.set('link', () => json(200, { unexpected: 'shape' }));
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'unexpected-response' });
    expect(await f.storage.linkRecords.get(alex.userId)).toBeNull();
  });

  it('reports failed, to the shopper and to the listener, when Connect says success but its status right after says not linked', async () => {
    const events: unknown[] = [];
    await f.close();
    f = await createLinkingFixture({ onEvent: (event) => events.push(event) });
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.overrides.set('link', () => json(200, { success: true }));
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      detail: 'unexpected-response',
      status: { state: 'unlinked' },
    });
    expect(events).toContainEqual({
      type: 'link-completed',
      userId: alex.userId,
      outcome: 'failed',
      detail: 'unexpected-response',
      durationMs: expect.any(Number),
    });
    expect(await f.storage.linkRecords.get(alex.userId)).toBeNull();
  });

  it('reports an Instacart account already linked to another shopper', async () => {
    f.fake.users.set(blair.userId, { linkedTo: 1, active: true });
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result).toMatchObject({ outcome: 'already-linked' });
    expect(f.fake.users.get(alex.userId)?.linkedTo).toBeNull();
  });

  it('reports a Connect user that is not active', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.users.set(alex.userId, { linkedTo: null, active: false });
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result.outcome).toBe('user-not-active');
  });

  it('reports a refused linking token as failed', async () => {
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    const { state, codeChallenge } = await startLink();
    f.fake.overrides.set('link', () =>
      json(400, {
        error: { message: 'Linking token is invalid', code: 1001 },
        meta: { key: 'linking_token' },
      }),
    );
    const result = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge }),
      state,
    });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'linking-token-rejected' });
  });

  it('links the same pair again when the shopper repeats the flow', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    for (let round = 0; round < 2; round++) {
      const { state, codeChallenge } = await startLink();
      const result = await f.linking.completeLink(alex, {
        code: f.fake.issueCode(1, { codeChallenge }),
        state,
      });
      expect(result.outcome).toBe('linked');
      f.fake.users.set(alex.userId, { linkedTo: null, active: true });
    }
  });
});

describe('issuer check (RFC 9207)', () => {
  const issuer = 'https://auth.connect.example';

  it('accepts a matching iss', async () => {
    await f.close();
    f = await createLinkingFixture({ issuer });
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    expect((await f.linking.completeLink(alex, { code, state, iss: issuer })).outcome).toBe('linked');
  });

  // An empty iss is a wrong one, not a missing one.
  it.each([
    ['a wrong', 'https://evil.example'],
    ['an empty', ''],
  ])('refuses %s iss before exchanging the code (mix-up attack)', async (_, iss) => {
    await f.close();
    f = await createLinkingFixture({ issuer });
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    const result = await f.linking.completeLink(alex, { code, state, iss });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'issuer-mismatch' });
    expect(f.fake.count('exchange')).toBe(0);
  });

  it('refuses a missing iss when it is required, and accepts it when it is not', async () => {
    await f.close();
    f = await createLinkingFixture({ issuer, requireIssuer: true });
    const first = await startLink();
    const refused = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge: first.codeChallenge }),
      state: first.state,
    });
    expect(refused).toMatchObject({ outcome: 'failed', detail: 'issuer-missing' });

    await f.close();
    f = await createLinkingFixture({ issuer });
    const second = await startLink();
    const accepted = await f.linking.completeLink(alex, {
      code: f.fake.issueCode(1, { codeChallenge: second.codeChallenge }),
      state: second.state,
    });
    expect(accepted.outcome).toBe('linked');
  });

  it('refuses a wrong iss on a Deny too, as a mix-up rather than a cancellation', async () => {
    await f.close();
    f = await createLinkingFixture({ issuer });
    const { state } = await startLink();
    const result = await f.linking.completeLink(alex, {
      error: 'access_denied',
      state,
      iss: 'https://evil.example',
    });
    expect(result).toMatchObject({ outcome: 'failed', detail: 'issuer-mismatch' });
  });

  it('refuses to start when an issuer is required but not configured', async () => {
    await expect(createLinkingFixture({ requireIssuer: true })).rejects.toThrow(/issuer/);
  });
});

describe('events', () => {
  it('tells a listener of each link attempt without any secret, and survives a throwing listener', async () => {
    const events: unknown[] = [];
    await f.close();
    f = await createLinkingFixture({
      onEvent: (event) => {
        events.push(event);
        throw new Error('listener bug');
      },
    });
    const { state, codeChallenge } = await startLink();
    const code = f.fake.issueCode(1, { codeChallenge });
    expect((await f.linking.completeLink(alex, { code, state })).outcome).toBe('linked');
    expect(events).toContainEqual({
      type: 'link-completed',
      userId: alex.userId,
      outcome: 'linked',
      detail: null,
      durationMs: expect.any(Number),
    });
    const text = JSON.stringify(events);
    for (const secret of [code, state, ...f.fake.linkTokensSent]) expect(text).not.toContain(secret);
  });

  it('tells of each link started, never of a status read, and never with the state or verifier', async () => {
    const events: Array<{ type: string }> = [];
    await f.close();
    f = await createLinkingFixture({ onEvent: (event) => events.push(event) });
    await f.linking.getStatus(alex);
    expect(events.filter((event) => event.type === 'link-started')).toEqual([]);
    const { authorizationUrl } = await f.linking.startLink(alex);
    expect(events.filter((event) => event.type === 'link-started')).toEqual([
      { type: 'link-started', userId: alex.userId },
    ]);
    const url = new URL(authorizationUrl);
    const text = JSON.stringify(events);
    for (const secret of [url.searchParams.get('state'), url.searchParams.get('code_challenge')]) {
      expect(text).not.toContain(secret);
    }
  });

  it.each([
    ['not linked', { linkedTo: null, active: true }],
    ['user not found', undefined],
  ])(
    'tells once of an unlink noticed at Instacart (%s), and not of a shopper never linked',
    async (_name, after) => {
      const events: Array<{ type: string; userId?: string }> = [];
      await f.close();
      f = await createLinkingFixture({ onEvent: (event) => events.push(event) });
      const noticed = () => events.filter((event) => event.type === 'unlink-noticed');
      await f.linking.verifyMembership(blair);
      f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
      await f.linking.verifyMembership(alex);
      // Gone from Connect altogether (user not found), or still there without a link.
      const users = f.fake.users;
      if (after) users.set(alex.userId, after);
      else users.delete(alex.userId);
      await f.linking.verifyMembership(alex);
      await f.linking.verifyMembership(alex);
      await f.linking.verifyMembership(blair);
      expect(noticed()).toEqual([{ type: 'unlink-noticed', userId: alex.userId }]);
    },
  );

  it('does not report a deactivated Connect user as unlinked', async () => {
    const events: Array<{ type: string }> = [];
    await f.close();
    f = await createLinkingFixture({ onEvent: (event) => events.push(event) });
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.verifyMembership(alex);
    f.fake.users.set(alex.userId, { linkedTo: 1, active: false });
    await f.linking.verifyMembership(alex);
    expect(events.map((event) => event.type)).not.toContain('unlink-noticed');
  });
});

describe('housekeeping', () => {
  it('deletes expired link transactions', async () => {
    await startLink();
    await startLink();
    f.clock.advance(601);
    expect(await f.linking.deleteExpiredLinkTransactions()).toBe(2);
  });

  it('purges expired link transactions on its own, every hundred link starts', async () => {
    await f.linking.startLink(alex);
    f.clock.advance(601);
    for (let start = 1; start < 99; start++) await f.linking.startLink(blair);
    expect(await countLinkTransactions()).toBe(99);
    await f.linking.startLink(blair);
    // The hundredth start removed the one expired transaction; the 99 live ones stay.
    expect(await countLinkTransactions()).toBe(99);
  });
});

describe('a credential rotation', () => {
  const nextCredentials = { clientId: NEXT_CLIENT_ID, clientSecret: NEXT_CLIENT_SECRET };

  /** The shop restarted with other Connect credentials, on the same database and the same Connect. */
  function restartShop(options: { nextCredentials?: typeof nextCredentials } = {}): Linking {
    const connect = createConnectClient({
      baseUrl: BASE_URL,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      fetch: f.fake.fetch,
      retry: { maxAttempts: 1 },
      now: () => f.clock.now.getTime(),
      ...options,
    });
    return createLinking({ ...f.linking.options, connect });
  }

  /** Starts a link and plays the shopper's Allow at Instacart, for the application the URL names. */
  async function allowAtInstacart(linking: Linking, subject = alex) {
    const url = new URL((await linking.startLink(subject)).authorizationUrl);
    const clientId = url.searchParams.get('client_id') ?? '';
    const { state, codeChallenge } = readAuthorizationUrl(url.href);
    return { clientId, state, code: f.fake.issueCode(1, { codeChallenge, clientId }) };
  }

  async function storedClientIds(): Promise<(string | null)[]> {
    const rows = await sql<{ client_id: string | null }>`
      select client_id from cartlink_link_transactions order by created_at`.execute(f.db);
    return rows.rows.map((row) => row.client_id);
  }

  it('with one set: the URL carries the configured client id, and starting asks Connect nothing', async () => {
    await f.linking.startLink(alex);
    expect(f.fake.calls).toEqual([]);
    expect(await storedClientIds()).toEqual([CLIENT_ID]);
  });

  it('takes the next set when Connect accepts it: its client id in the URL, its credentials for the code', async () => {
    const linking = restartShop({ nextCredentials });
    const { clientId, state, code } = await allowAtInstacart(linking);
    expect(clientId).toBe(NEXT_CLIENT_ID);
    // The token was fetched to learn which set Connect accepts; it serves the completion too.
    expect(f.fake.tokenClientIds).toEqual([NEXT_CLIENT_ID]);
    expect(await storedClientIds()).toEqual([NEXT_CLIENT_ID]);
    expect((await linking.completeLink(alex, { code, state })).outcome).toBe('linked');
    expect(f.fake.exchangeBodies.map((body) => [body.client_id, body.client_secret])).toEqual([
      [NEXT_CLIENT_ID, NEXT_CLIENT_SECRET],
    ]);
    expect(f.fake.tokenClientIds).toEqual([NEXT_CLIENT_ID]);
  });

  it('takes the current set while Connect refuses the next one, without failing the shopper', async () => {
    f.fake.refusedClients.add(NEXT_CLIENT_ID);
    const linking = restartShop({ nextCredentials });
    const { clientId, state, code } = await allowAtInstacart(linking);
    expect(clientId).toBe(CLIENT_ID);
    expect(f.fake.tokenClientIds).toEqual([NEXT_CLIENT_ID, CLIENT_ID]);
    expect((await linking.completeLink(alex, { code, state })).outcome).toBe('linked');
    expect(f.fake.exchangeBodies.map((body) => body.client_id)).toEqual([CLIENT_ID]);
  });

  it('completes a link started under the old application after the shop moved to the new one', async () => {
    // Started before the rotation: one set, the old application.
    const started = await allowAtInstacart(f.linking);
    expect(started.clientId).toBe(CLIENT_ID);
    // The shop restarts with the clone as its next set; the shopper comes back after that.
    const rotated = restartShop({ nextCredentials });
    expect((await rotated.completeLink(alex, started)).outcome).toBe('linked');
    // The code was issued to the old application and exchanged with its credentials.
    expect(f.fake.exchangeBodies.map((body) => [body.client_id, body.client_secret])).toEqual([
      [CLIENT_ID, CLIENT_SECRET],
    ]);
    // The fulfillment calls of the completion went with the clone's token.
    expect(f.fake.tokenClientIds).toEqual([NEXT_CLIENT_ID]);
  });

  it('ends a link whose old application was disabled meanwhile as a clean failure, and the next start works', async () => {
    const started = await allowAtInstacart(f.linking);
    const rotated = restartShop({ nextCredentials });
    f.fake.refusedClients.add(CLIENT_ID);
    const result = await rotated.completeLink(alex, started);
    expect(result).toMatchObject({ outcome: 'failed', detail: 'client-rejected' });
    expect(result.status.state).toBe('unlinked');
    expect(await f.storage.linkRecords.get(alex.userId)).toBeNull();

    // "Try again": a new start takes the set in use, and succeeds.
    const again = await allowAtInstacart(rotated);
    expect(again.clientId).toBe(NEXT_CLIENT_ID);
    expect((await rotated.completeLink(alex, again)).outcome).toBe('linked');
  });

  it('fails a link started under an application the shop holds no credentials for, without an exchange', async () => {
    // Started during the rotation under the clone; the shop then went back to one set without it.
    const rotated = restartShop({ nextCredentials });
    const started = await allowAtInstacart(rotated);
    expect(started.clientId).toBe(NEXT_CLIENT_ID);
    const result = await restartShop().completeLink(alex, started);
    expect(result).toMatchObject({ outcome: 'failed', detail: 'client-rejected' });
    expect(f.fake.count('exchange')).toBe(0);
  });

  it('exchanges the code of a transaction stored without a client id with the current set', async () => {
    const started = await allowAtInstacart(f.linking);
    await sql`update cartlink_link_transactions set client_id = null`.execute(f.db);
    const rotated = restartShop({ nextCredentials });
    expect((await rotated.completeLink(alex, started)).outcome).toBe('linked');
    expect(f.fake.exchangeBodies.map((body) => body.client_id)).toEqual([CLIENT_ID]);
  });

  it('starts a link even when Connect cannot be reached for a token, with the set last seen working', async () => {
    f.fake.overrides.set('token', () => json(503, { error: { message: 'Service Unavailable', code: null } }));
    const linking = restartShop({ nextCredentials });
    const { authorizationUrl } = await linking.startLink(alex);
    // No token yet: the current set, which Connect has not been seen to refuse.
    expect(new URL(authorizationUrl).searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(f.fake.count('token')).toBe(1);
  });
});
