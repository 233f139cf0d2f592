import { describe, expect, it } from 'vitest';
import {
  CODE_LIFETIME_MS,
  DuplicateEmailError,
  EmulatorState,
  getMembership,
  type InstacartUser,
} from './domain.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const DAY = 86_400_000;

function account(
  state: EmulatorState,
  email: string,
  instacartplusMember = false,
  expiredAt?: number | null,
): InstacartUser {
  return state.createInstacartUser(
    { email, passwordHash: 'h', instacartplusMember, ...(expiredAt === undefined ? {} : { expiredAt }) },
    NOW,
  );
}

describe('membership', () => {
  it('needs the flag and an end date in the future', () => {
    const state = new EmulatorState();
    expect(getMembership(account(state, 'a@x', true, NOW + DAY), NOW)).toEqual({
      instacartplusMember: true,
      expiredAt: NOW + DAY,
    });
    expect(getMembership(account(state, 'b@x', true, NOW - DAY), NOW)).toEqual({
      instacartplusMember: false,
      expiredAt: NOW - DAY,
    });
    expect(getMembership(account(state, 'c@x', false, NOW + DAY), NOW).instacartplusMember).toBe(false);
    expect(getMembership(account(state, 'd@x', false), NOW)).toEqual({
      instacartplusMember: false,
      expiredAt: null,
    });
  });

  it('gives a member created without an end date a year', () => {
    const state = new EmulatorState();
    expect(account(state, 'a@x', true).expiredAt).toBe(NOW + 365 * DAY);
  });

  it('ends exactly at expired_at', () => {
    const state = new EmulatorState();
    const user = account(state, 'a@x', true, NOW + 1000);
    expect(getMembership(user, NOW + 999).instacartplusMember).toBe(true);
    expect(getMembership(user, NOW + 1000).instacartplusMember).toBe(false);
  });
});

describe('Instacart accounts', () => {
  it('refuses a second account with the same email, ignoring case', () => {
    const state = new EmulatorState();
    account(state, 'Same@Instacart.test');
    expect(() => account(state, 'same@instacart.test')).toThrow(DuplicateEmailError);
  });

  it('numbers accounts from 1', () => {
    const state = new EmulatorState();
    expect([account(state, 'a@x').id, account(state, 'b@x').id]).toEqual([1, 2]);
  });
});

describe('links', () => {
  it('allow one user per Instacart account and retailer, move a relinked user, and repeat idempotently', () => {
    const state = new EmulatorState();
    expect(state.linkAccounts('shop', 'app', 'u1', 1, NOW)).toBe('linked');
    expect(state.linkAccounts('shop', 'app', 'u1', 1, NOW)).toBe('linked');
    expect(state.linkAccounts('shop', 'app', 'u2', 1, NOW)).toBe('conflict');
    // Another application of the same retailer is the same isolation context.
    expect(state.linkAccounts('shop', 'app-clone', 'u2', 1, NOW)).toBe('conflict');
    expect(state.linkAccounts('other-shop', 'other-app', 'u2', 1, NOW)).toBe('linked');
    expect(state.linkAccounts('shop', 'app', 'u1', 2, NOW)).toBe('linked');
    expect(state.getLink('shop', 'u1')?.instacartUserId).toBe(2);
    // Account 1 is free again at "shop" once u1 moved away.
    expect(state.linkAccounts('shop', 'app', 'u2', 1, NOW)).toBe('linked');
    expect(state.unlink('shop', 'u2')).toBe(true);
    expect(state.unlink('shop', 'u2')).toBe(false);
  });
});

describe('applications', () => {
  const app = { clientId: 'app', clientSecret: 's', name: 'App', redirectUris: ['http://r/cb'] };

  it('keep their retailer, status and scopes when replaced without them', () => {
    const state = new EmulatorState();
    expect(state.upsertApp({ ...app, retailerId: 'shop', scopes: ['connect:fulfillment'] }).outcome).toBe(
      'created',
    );
    state.setAppStatus('app', 'disabled');
    const { outcome, app: replaced } = state.upsertApp({ ...app, name: 'Renamed' });
    expect(outcome).toBe('updated');
    expect(replaced).toMatchObject({
      retailerId: 'shop',
      status: 'disabled',
      scopes: ['connect:fulfillment'],
      name: 'Renamed',
    });
    expect(state.upsertApp({ ...app, clientId: 'fresh' }).app).toMatchObject({
      retailerId: 'fresh',
      status: 'enabled',
      scopes: ['connect:fulfillment', 'account_linking'],
    });
  });

  it('clone with new random credentials, or the ones given, and refuse a taken client id', () => {
    const state = new EmulatorState();
    state.upsertApp({ ...app, retailerId: 'shop', scopes: ['account_linking'] });
    state.setAppStatus('app', 'disabled');
    const first = state.cloneApp('app');
    const second = state.cloneApp('app');
    if (!first.ok || !second.ok) throw new Error('clone refused');
    expect(first.app.clientId).not.toBe(second.app.clientId);
    expect(first.app.clientSecret).not.toBe(second.app.clientSecret);
    expect(first.app.clientSecret).not.toBe('s');
    expect(first.app).toMatchObject({
      retailerId: 'shop',
      status: 'enabled',
      scopes: ['account_linking'],
      redirectUris: ['http://r/cb'],
    });
    expect(state.cloneApp('app', { clientId: first.app.clientId })).toEqual({
      ok: false,
      reason: 'client_id_taken',
    });
    expect(state.cloneApp('nobody')).toEqual({ ok: false, reason: 'not_found' });
  });

  it('are deleted only once their last unrevoked token has expired', () => {
    const state = new EmulatorState();
    state.upsertApp(app);
    const early = state.issueToken({ kind: 'fulfillment', clientId: 'app', instacartUserId: null }, NOW);
    const late = state.issueToken(
      { kind: 'fulfillment', clientId: 'app', instacartUserId: null },
      NOW + 1000,
    );
    const revoked = state.issueToken(
      { kind: 'fulfillment', clientId: 'app', instacartUserId: null },
      NOW + 5000,
    );
    state.revokeToken(revoked.token, NOW + 5000);
    expect(state.deleteApp('app', NOW + 5000)).toEqual({
      ok: false,
      reason: 'live_tokens',
      liveTokens: { count: 2, lastExpiresAt: late.expiresAt },
    });
    expect(state.liveTokens('app', early.expiresAt)).toEqual({ count: 1, lastExpiresAt: late.expiresAt });
    expect(state.deleteApp('app', late.expiresAt)).toEqual({ ok: true });
    expect(state.apps.has('app')).toBe(false);
    expect(state.tokens.size).toBe(0);
    expect(state.deleteApp('app', late.expiresAt)).toEqual({ ok: false, reason: 'not_found' });
  });
});

describe('authorization codes', () => {
  const absent = { kind: 'absent' } as const;

  it('are consumed by the first attempt of their client, whatever its outcome', () => {
    const state = new EmulatorState();
    account(state, 'a@x');
    const code = state.issueCode(
      { clientId: 'app', redirectUri: 'http://r/cb', instacartUserId: 1, codeChallenge: null },
      NOW,
    );
    const wrongRedirect = state.redeemCode(
      { code, clientId: 'app', redirectUri: 'http://r/other', verifier: absent },
      NOW,
    );
    expect(wrongRedirect.ok).toBe(false);
    const retry = state.redeemCode(
      { code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent },
      NOW,
    );
    expect(retry).toEqual({ ok: false, description: expect.stringMatching(/already been used/) });
  });

  it('are not consumed by another client', () => {
    const state = new EmulatorState();
    account(state, 'a@x');
    const code = state.issueCode(
      { clientId: 'app', redirectUri: 'http://r/cb', instacartUserId: 1, codeChallenge: null },
      NOW,
    );
    expect(
      state.redeemCode({ code, clientId: 'thief', redirectUri: 'http://r/cb', verifier: absent }, NOW).ok,
    ).toBe(false);
    expect(
      state.redeemCode({ code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent }, NOW).ok,
    ).toBe(true);
  });

  it('revoke the tokens of the first redemption when presented again', () => {
    const state = new EmulatorState();
    account(state, 'a@x');
    const code = state.issueCode(
      { clientId: 'app', redirectUri: 'http://r/cb', instacartUserId: 1, codeChallenge: null },
      NOW,
    );
    const first = state.redeemCode(
      { code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent },
      NOW,
    );
    if (!first.ok) throw new Error('first redemption failed');
    expect(first.token.revokedAt).toBeNull();
    state.redeemCode({ code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent }, NOW + 1);
    expect(state.tokens.get(first.token.token)?.revokedAt).toBe(NOW + 1);
  });

  it('expire after ten minutes', () => {
    const state = new EmulatorState();
    account(state, 'a@x');
    const code = state.issueCode(
      { clientId: 'app', redirectUri: 'http://r/cb', instacartUserId: 1, codeChallenge: null },
      NOW,
    );
    expect(
      state.redeemCode(
        { code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent },
        NOW + CODE_LIFETIME_MS,
      ).ok,
    ).toBe(false);
  });

  it('are refused for a deactivated account', () => {
    const state = new EmulatorState();
    account(state, 'a@x');
    const code = state.issueCode(
      { clientId: 'app', redirectUri: 'http://r/cb', instacartUserId: 1, codeChallenge: null },
      NOW,
    );
    state.updateInstacartUser(1, { active: false }, NOW);
    expect(
      state.redeemCode({ code, clientId: 'app', redirectUri: 'http://r/cb', verifier: absent }, NOW).ok,
    ).toBe(false);
  });
});

describe('snapshots', () => {
  it('round-trip through toData and load', () => {
    const state = new EmulatorState();
    state.upsertApp({ clientId: 'app', clientSecret: 's', name: 'App', redirectUris: ['http://r/cb'] });
    account(state, 'a@x', true);
    state.createConnectUser(
      'app',
      'app',
      { userId: 'u', firstName: 'U', lastName: null, phoneNumber: null, locale: null },
      NOW,
    );
    state.linkAccounts('app', 'app', 'u', 1, NOW);
    state.issueToken({ kind: 'fulfillment', clientId: 'app', instacartUserId: null }, NOW);
    const copy = new EmulatorState();
    copy.load(JSON.parse(JSON.stringify(state.toData())));
    expect(copy.toData()).toEqual(state.toData());
    expect(copy.nextInstacartUserId).toBe(2);
  });
});
