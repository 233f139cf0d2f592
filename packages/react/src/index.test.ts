/**
 * `@cartlink/react` on a server (Node, no DOM): importing it and rendering its components touches no
 * `customElements` and no `document` (the elements register in the browser only, in an effect), and
 * the client components' HTML carries the elements' attributes under their HTML names.
 */
import { createElement, Fragment } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Makes reading `name` on the global object throw, as a server without it would. */
function forbidGlobal(name: 'customElements' | 'document' | 'window', touched: string[]): void {
  vi.stubGlobal(name, undefined);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touched.push(name);
      throw new ReferenceError(`${name} is not defined`);
    },
  });
}

it('imports and renders on a server without touching customElements, document or window', async () => {
  expect(typeof customElements).toBe('undefined');
  const touched: string[] = [];
  forbidGlobal('customElements', touched);
  forbidGlobal('document', touched);
  forbidGlobal('window', touched);
  vi.resetModules();
  const react = await import('./index.js');
  const html = renderToString(
    createElement(
      Fragment,
      null,
      createElement(react.CartlinkStatus, {
        id: 'cartlink-status',
        state: 'unlinked',
        shopName: 'Corner Market',
        csrfToken: 'csrf-1',
        authorizeEndpoint: '/cartlink/authorize',
        statusSrc: '/cartlink/status',
        dialog: 'cartlink-result',
        onLinked: () => undefined,
      }),
      createElement(react.CartlinkLinkCallback, {
        linkEndpoint: '/cartlink/link',
        statusId: 'cartlink-status',
        dialogId: 'cartlink-result',
      }),
      createElement(react.CartlinkResultDialog, { id: 'cartlink-result', shopName: 'Corner Market' }),
    ),
  );
  expect(touched).toEqual([]);
  expect(html).toBe(
    '<cartlink-status id="cartlink-status" state="unlinked" shop-name="Corner Market" csrf-token="csrf-1" authorize-endpoint="/cartlink/authorize" status-src="/cartlink/status" dialog="cartlink-result"></cartlink-status>' +
      '<cartlink-result-dialog id="cartlink-result" shop-name="Corner Market"></cartlink-result-dialog>',
  );
});

it('escapes the attributes of the client components’ server HTML', async () => {
  const { CartlinkStatus } = await import('./index.js');
  const html = renderToString(createElement(CartlinkStatus, { shopName: '"><script>alert(1)</script>' }));
  expect(html).toBe(
    '<cartlink-status shop-name="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"></cartlink-status>',
  );
});
