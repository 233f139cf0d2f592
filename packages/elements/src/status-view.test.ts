import type { LinkOutcome, LinkState, ReportedOutcome } from '@cartlink/wire';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  LINK_OUTCOMES,
  type NoneMissing,
  parseLinkResult,
  parseStatusView,
  REPORTED_OUTCOMES,
  STATUS_STATES,
  type StatusState,
} from './status-view.js';

const view = {
  state: 'linked-active',
  reason: null,
  expiredAt: '2025-09-22T07:14:43Z',
  manageUrl: 'https://www.instacart.com/store/account/instacart-plus',
  joinUrl: 'https://www.instacart.com/signup',
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

describe('parseStatusView', () => {
  it('accepts a status view', () => {
    expect(parseStatusView(view)).toEqual(view);
  });

  it('fills missing optional fields with null or empty', () => {
    expect(parseStatusView({ state: 'unlinked' })).toEqual({
      state: 'unlinked',
      reason: null,
      expiredAt: null,
      manageUrl: '',
      joinUrl: '',
      verifiedAt: null,
    });
  });

  it.each(['user-not-found', 'not-linked', 'user-not-active', 'connect-unreachable'])(
    'keeps the reason %s',
    (reason) => {
      expect(parseStatusView({ ...view, state: 'unlinked', reason })?.reason).toBe(reason);
    },
  );

  it.each([
    ['a reason a newer server added', 'account-paused'],
    ['a reason of another type', 42],
  ])('reads %s as no reason, keeping the state', (_, reason) => {
    const parsed = parseStatusView({ ...view, state: 'unlinked', reason });
    expect(parsed).toEqual({ ...view, state: 'unlinked', reason: null });
  });

  it('drops fields it does not know, such as an authorization URL from an older server', () => {
    expect(parseStatusView({ ...view, authorizationUrl: 'https://a.example/?state=s' })).toEqual(view);
  });

  it.each([
    ['null', null],
    ['an array', [view]],
    ['a string', 'linked-active'],
    ['an unknown state', { ...view, state: 'linked' }],
    ['the element-only loading state', { ...view, state: 'loading' }],
    ['a non-string expiredAt', { ...view, expiredAt: 1758525283 }],
    ['a non-string manageUrl', { ...view, manageUrl: 42 }],
    ['a non-string joinUrl', { ...view, joinUrl: false }],
    ['a non-string verifiedAt', { ...view, verifiedAt: 1_748_779_200_000 }],
  ])('rejects %s', (_, json) => {
    expect(parseStatusView(json)).toBeUndefined();
  });
});

describe('parseLinkResult', () => {
  it('accepts the throttled outcome', () => {
    expect(parseLinkResult({ outcome: 'throttled', status: view })?.outcome).toBe('throttled');
  });

  it('accepts an outcome with a status', () => {
    expect(parseLinkResult({ outcome: 'already-linked', status: view })).toEqual({
      outcome: 'already-linked',
      status: view,
    });
  });

  it.each([
    ['an unknown outcome', { outcome: 'success', status: view }],
    ['a missing status', { outcome: 'linked' }],
    ['an invalid status', { outcome: 'linked', status: { state: 'nope' } }],
    ['not an object', 'linked'],
  ])('rejects %s', (_, json) => {
    expect(parseLinkResult(json)).toBeUndefined();
  });
});

describe('the runtime lists', () => {
  it('hold each member of their wire type once', () => {
    expect(new Set(STATUS_STATES).size).toBe(STATUS_STATES.length);
    expect(new Set(LINK_OUTCOMES).size).toBe(LINK_OUTCOMES.length);
    expect([...REPORTED_OUTCOMES].sort()).toEqual(['failed', 'throttled']);
    expectTypeOf<(typeof STATUS_STATES)[number]>().toEqualTypeOf<StatusState>();
    expectTypeOf<StatusState>().toEqualTypeOf<'loading' | LinkState>();
    expectTypeOf<(typeof LINK_OUTCOMES)[number]>().toEqualTypeOf<LinkOutcome>();
    expectTypeOf<(typeof REPORTED_OUTCOMES)[number]>().toEqualTypeOf<ReportedOutcome>();
  });

  it('fail the type check when a member is missing or extra', () => {
    const short = ['linked', 'cancelled'] as const satisfies readonly LinkOutcome[];
    // @ts-expect-error the list lacks 'state-invalid' and the other outcomes
    type _Short = NoneMissing<Exclude<LinkOutcome, (typeof short)[number]>>;
    // @ts-expect-error 'success' is not an outcome
    const extra = ['linked', 'success'] as const satisfies readonly LinkOutcome[];
    expect([short, extra]).toHaveLength(2);
  });
});
