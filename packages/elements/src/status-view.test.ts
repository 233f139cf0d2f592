import { describe, expect, it } from 'vitest';
import { parseLinkResult, parseStatusView } from './status-view.js';

const view = {
  state: 'linked-active',
  expiredAt: '2025-09-22T07:14:43Z',
  manageUrl: 'https://www.instacart.com/store/account/instacart-plus',
  joinUrl: 'https://www.instacart.com/signup',
};

describe('parseStatusView', () => {
  it('accepts a status view', () => {
    expect(parseStatusView(view)).toEqual(view);
  });

  it('fills missing optional fields with null or empty', () => {
    expect(parseStatusView({ state: 'unlinked' })).toEqual({
      state: 'unlinked',
      expiredAt: null,
      manageUrl: '',
      joinUrl: '',
    });
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
