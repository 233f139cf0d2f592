import { CARTLINK_STATUS_STYLE_HASHES } from '@cartlink/elements/ssr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isSameOriginRequest, safeNextPath } from './security.js';
import { escapeHtml, html, trusted } from './views/html.js';

describe('safeNextPath', () => {
  it.each([
    '//evil.example',
    '//evil.example/account',
    '/\\evil.example',
    '\\\\evil.example',
    'https:evil.example',
    'https://evil.example',
    'http:/evil.example',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,hi',
    'evil.example',
    'account/profile',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /account',
    '',
    // A percent-escaped separator: a proxy or a later decoding step could make it `//evil.example`.
    '/%2F%2Fevil.example',
  ])('refuses %j', (value) => {
    expect(safeNextPath(value)).toBe('/');
  });

  it('refuses values that are not strings', () => {
    expect(safeNextPath(undefined)).toBe('/');
    expect(safeNextPath(['/checkout'])).toBe('/');
  });

  it.each([
    '/',
    '/checkout',
    '/account/profile',
    '/admin/reconciliation?from=2025-01-01&to=2025-01-31',
    '/orders#latest',
  ])('keeps the same-origin path %j', (value) => {
    expect(safeNextPath(value)).toBe(value);
  });

  it('never returns anything a browser would resolve to another origin', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const result = safeNextPath(value);
        expect(new URL(result, 'https://shop.example').origin).toBe('https://shop.example');
        expect(result.startsWith('/')).toBe(true);
        expect(result.startsWith('//')).toBe(false);
      }),
    );
  });
});

describe('isSameOriginRequest', () => {
  const origin = 'https://shop.example';
  it('accepts the shop origin and refuses others', () => {
    expect(isSameOriginRequest(new Headers({ origin }), origin)).toBe(true);
    expect(isSameOriginRequest(new Headers({ origin: 'https://evil.example' }), origin)).toBe(false);
    expect(isSameOriginRequest(new Headers({ origin: 'http://shop.example' }), origin)).toBe(false);
  });

  it('falls back to Sec-Fetch-Site for an opaque or missing Origin', () => {
    expect(
      isSameOriginRequest(new Headers({ origin: 'null', 'sec-fetch-site': 'same-origin' }), origin),
    ).toBe(true);
    expect(isSameOriginRequest(new Headers({ origin: 'null', 'sec-fetch-site': 'cross-site' }), origin)).toBe(
      false,
    );
    expect(isSameOriginRequest(new Headers({ 'sec-fetch-site': 'same-site' }), origin)).toBe(false);
    expect(isSameOriginRequest(new Headers(), origin)).toBe(true);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows scripts only from the shop or with the nonce, styles from the shop and the status card’s one hash, nothing from third parties', () => {
    const [cardStyles] = CARTLINK_STATUS_STYLE_HASHES;
    expect(CARTLINK_STATUS_STYLE_HASHES).toHaveLength(1);
    expect(cardStyles).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
    expect(contentSecurityPolicy('abc')).toBe(
      `default-src 'self'; script-src 'self' 'nonce-abc'; style-src 'self' ${cardStyles}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
    );
  });
});

describe('html', () => {
  it('escapes interpolated text but not trusted fragments', () => {
    const name = '<script>alert("x")</script>';
    expect(html`<p title="${name}">${name}</p>${trusted('<br>')}`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p><br>',
    );
    expect(escapeHtml(`'&`)).toBe('&#39;&amp;');
    expect(html`${['a', null, false, undefined, 1]}`.value).toBe('a1');
  });
});
