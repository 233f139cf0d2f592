/**
 * `@cartlink/react/server` in Node, rendered by React's own server renderer: the status element's
 * HTML is the elements' server render (declarative shadow DOM, the id on the element), every value is
 * escaped, and the CSP pieces are the elements' own.
 */
import * as ElementsSsr from '@cartlink/elements/ssr';
import { createElement } from 'react';
import { renderToStaticMarkup, renderToString } from 'react-dom/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CARTLINK_STATUS_STYLE_HASHES,
  type CartlinkStatusAttributes,
  CartlinkStatusServer,
  type CartlinkStatusServerProps,
  ServerRenderError,
} from './server.js';

const DECLARATIVE_ROOT = '<template shadowroot="open" shadowrootmode="open">';

const attributes: CartlinkStatusAttributes = {
  state: 'unlinked',
  locale: 'en-US',
  shopName: 'Corner Market',
  csrfToken: 'csrf-1',
  authorizeEndpoint: '/cartlink/authorize',
  statusSrc: '/cartlink/status',
  dialog: 'cartlink-result',
};

describe('CartlinkStatusServer', () => {
  it('renders <cartlink-status id> with its shadow root as declarative shadow DOM, as the elements render it', () => {
    const html = renderToStaticMarkup(
      createElement(CartlinkStatusServer, { id: 'cartlink-status', ...attributes }),
    );
    expect(html).toBe(
      `<div>${ElementsSsr.renderCartlinkStatus({ id: 'cartlink-status', ...attributes })}</div>`,
    );
    expect(html).toMatch(
      /^<div><cartlink-status id="cartlink-status" state="unlinked" locale="en-US" shop-name="Corner Market"/,
    );
    expect(html).toContain(DECLARATIVE_ROOT);
    // The card's words and the Link form are in the HTML: painted before any script runs.
    expect(html).toContain('Link Instacart account');
    expect(html).toMatch(/<form method="post" action="\/cartlink\/authorize"/);
    expect(html).toContain('name="_csrf" value="csrf-1"');
  });

  it('renders the same HTML in a streamed page (renderToString), a loading card without a link endpoint', () => {
    const html = renderToString(
      createElement(CartlinkStatusServer, { id: 'cartlink-status', state: 'loading' }),
    );
    expect(html).toMatch(/^<div><cartlink-status id="cartlink-status" state="loading" locale="en-US">/);
    expect(html).toContain(DECLARATIVE_ROOT);
    expect(html).not.toContain('link-endpoint');
  });

  it('escapes markup in every attribute and in the text', () => {
    const attack = '"><script>alert(1)</script><x y="';
    const html = renderToStaticMarkup(
      createElement(CartlinkStatusServer, {
        id: attack,
        state: 'unlinked',
        shopName: attack,
        csrfToken: attack,
        statusSrc: attack,
        dialog: attack,
        styleNonce: attack,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<x ');
    expect(html).toContain('id="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x y=&quot;"');
    expect(html).toContain('shop-name="&quot;&gt;&lt;script&gt;');
    expect(html).toContain('<style nonce="&quot;>&lt;script>');
  });

  it('puts the nonce on the shadow root’s <style> and gives the elements’ CSP hashes', () => {
    const html = renderToStaticMarkup(
      createElement(CartlinkStatusServer, { ...attributes, styleNonce: 'n0nce' }),
    );
    expect(html).toContain(`${DECLARATIVE_ROOT}<style nonce="n0nce">`);
    expect(renderToStaticMarkup(createElement(CartlinkStatusServer, attributes))).not.toContain('nonce=');
    expect(CARTLINK_STATUS_STYLE_HASHES).toBe(ElementsSsr.CARTLINK_STATUS_STYLE_HASHES);
    expect(CARTLINK_STATUS_STYLE_HASHES[0]).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
  });

  it('refuses a Link form that would post the CSRF token off the page’s origin', () => {
    expect(() =>
      renderToStaticMarkup(
        createElement(CartlinkStatusServer, {
          state: 'unlinked',
          authorizeEndpoint: '//evil.example/authorize',
        }),
      ),
    ).toThrow(ServerRenderError);
  });

  it('types its props as the element’s server attributes with an id and a nonce', () => {
    expectTypeOf<CartlinkStatusServerProps>().toExtend<CartlinkStatusAttributes>();
    expectTypeOf<CartlinkStatusServerProps['id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CartlinkStatusServerProps['styleNonce']>().toEqualTypeOf<string | undefined>();
    expectTypeOf(CartlinkStatusServer).returns.not.toExtend<Promise<unknown>>();
  });
});
