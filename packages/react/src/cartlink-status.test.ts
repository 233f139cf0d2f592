// @vitest-environment happy-dom
/**
 * The two components in a browser (happy-dom): their props reach the elements as attributes (and the
 * elements read them as their properties), the elements' events reach the typed handlers, and the
 * handlers follow the props.
 */
import type { DialogCloseDetail, FailedDetail, LinkedDetail, StateChangeDetail } from '@cartlink/elements';
import { createElement } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it, type Mock, vi } from 'vitest';
import {
  CartlinkResultDialog,
  type CartlinkResultDialogProps,
  CartlinkStatus,
  type CartlinkStatusProps,
  type StatusState,
} from './index.js';
import { loadElements } from './load-elements.js';
import { cleanUp, definedDialog, definedStatus, jsonResponse, render, statusView } from './test-helpers.js';

const EXPIRED_AT = '2025-09-22T07:14:43Z';

function attributesOf(element: Element): Record<string, string> {
  return Object.fromEntries([...element.attributes].map(({ name, value }) => [name, value]));
}
let fetchMock: Mock<typeof fetch>;

// Defined before anything renders: happy-dom, unlike browsers, does not hand an element it upgrades
// the attributes it already had (attributeChangedCallback), so an element React created before the
// definition would start from its defaults here.
beforeAll(() => loadElements());

beforeEach(() => {
  fetchMock = vi.fn<typeof fetch>();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  cleanUp();
  vi.unstubAllGlobals();
});

describe('CartlinkStatus', () => {
  it('writes every prop as the element’s attribute, which the element reads as its property', async () => {
    render(
      createElement(CartlinkStatus, {
        id: 'status',
        className: 'card',
        state: 'linked-active',
        expiredAt: EXPIRED_AT,
        locale: 'fr-CA',
        shopName: 'Corner Market',
        csrfToken: 'csrf-1',
        authorizeEndpoint: '/cartlink/authorize',
        manageUrl: 'https://instacart.example/manage',
        joinUrl: 'https://instacart.example/join',
        statusSrc: '/cartlink/status',
        linkEndpoint: '/cartlink/link',
        dialog: 'result',
      }),
    );
    const element = await definedStatus('status');
    // The attributes under their HTML names (React sets `id`, `state`, `locale` and `dialog` as the
    // element's properties of the same name, and `className` as `class`).
    expect(attributesOf(element)).toMatchObject({
      class: 'card',
      'expired-at': EXPIRED_AT,
      'shop-name': 'Corner Market',
      'csrf-token': 'csrf-1',
      'authorize-endpoint': '/cartlink/authorize',
      'manage-url': 'https://instacart.example/manage',
      'join-url': 'https://instacart.example/join',
      'status-src': '/cartlink/status',
      'link-endpoint': '/cartlink/link',
    });
    await element.updateComplete;
    expect(element).toMatchObject({
      id: 'status',
      state: 'linked-active',
      expiredAt: EXPIRED_AT,
      locale: 'fr-CA',
      shopName: 'Corner Market',
      csrfToken: 'csrf-1',
      authorizeEndpoint: '/cartlink/authorize',
      manageUrl: 'https://instacart.example/manage',
      joinUrl: 'https://instacart.example/join',
      statusSrc: '/cartlink/status',
      linkEndpoint: '/cartlink/link',
      dialog: 'result',
    });
    // The state given was the server's: the element asks for nothing.
    expect(fetchMock).not.toHaveBeenCalled();
    expect(element.shadowRoot?.textContent).toContain('Votre abonnement Instacart+ est actif');
  });

  it('leaves out the props not given, and follows a prop that changes', async () => {
    const tree = render(createElement(CartlinkStatus, { id: 'status', state: 'unlinked', expiredAt: null }));
    const element = await definedStatus('status');
    expect(element.getAttributeNames().sort()).toEqual(['id', 'state']);
    tree.rerender(
      createElement(CartlinkStatus, { id: 'status', state: 'unlinked', shopName: 'Corner Market' }),
    );
    expect(document.getElementById('status')).toBe(element);
    await element.updateComplete;
    expect(element.shopName).toBe('Corner Market');
    expect(element.getAttribute('shop-name')).toBe('Corner Market');
  });

  it('calls onStateChange, onLinked and onFailed with the details of the element’s events', async () => {
    fetchMock.mockResolvedValue(jsonResponse(statusView('unlinked')));
    const onStateChange = vi.fn<(detail: StateChangeDetail) => void>();
    const onLinked = vi.fn<(detail: LinkedDetail) => void>();
    const onFailed = vi.fn<(detail: FailedDetail) => void>();
    render(
      createElement(CartlinkStatus, {
        id: 'status',
        statusSrc: '/cartlink/status',
        onStateChange,
        onLinked,
        onFailed,
      }),
    );
    const element = await definedStatus('status');
    // The element fetched its status and showed it: its first event.
    await vi.waitFor(() => expect(onStateChange).toHaveBeenCalledWith({ state: 'unlinked' }));
    expect(fetchMock).toHaveBeenCalledTimes(1);

    const linked: LinkedDetail = { outcome: 'linked', status: statusView('linked-active', EXPIRED_AT) };
    element.dispatchEvent(new CustomEvent('cartlink:linked', { detail: linked, bubbles: true }));
    element.dispatchEvent(
      new CustomEvent('cartlink:failed', { detail: { outcome: 'cancelled' }, bubbles: true }),
    );
    expect(onLinked.mock.calls).toEqual([[linked]]);
    expect(onFailed.mock.calls).toEqual([[{ outcome: 'cancelled' }]]);
  });

  it('calls the handlers of the latest render only, and none once unmounted', async () => {
    const first = vi.fn<(detail: FailedDetail) => void>();
    const second = vi.fn<(detail: FailedDetail) => void>();
    const tree = render(createElement(CartlinkStatus, { id: 'status', state: 'unlinked', onFailed: first }));
    const element = await definedStatus('status');
    const fail = () =>
      element.dispatchEvent(new CustomEvent('cartlink:failed', { detail: { outcome: 'failed' } }));
    fail();
    tree.rerender(createElement(CartlinkStatus, { id: 'status', state: 'unlinked', onFailed: second }));
    fail();
    tree.rerender(createElement(CartlinkStatus, { id: 'status', state: 'unlinked' }));
    fail();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    tree.rerender(createElement(CartlinkStatus, { id: 'status', state: 'unlinked', onFailed: first }));
    fail();
    expect(first).toHaveBeenCalledTimes(2);
    tree.unmount();
    fail();
    expect(first).toHaveBeenCalledTimes(2);
  });

  it('types its props as the element’s values and its handlers’ details as the element’s events', () => {
    expectTypeOf<CartlinkStatusProps['state']>().toEqualTypeOf<StatusState | undefined>();
    expectTypeOf<CartlinkStatusProps['expiredAt']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<NonNullable<CartlinkStatusProps['onLinked']>>().parameters.toEqualTypeOf<[LinkedDetail]>();
    expectTypeOf<NonNullable<CartlinkStatusProps['onFailed']>>().parameters.toEqualTypeOf<[FailedDetail]>();
    expectTypeOf<NonNullable<CartlinkStatusProps['onStateChange']>>().parameters.toEqualTypeOf<
      [StateChangeDetail]
    >();
    expectTypeOf<LinkedDetail['status']['state']>().toEqualTypeOf<Exclude<StatusState, 'loading'>>();
    expectTypeOf<FailedDetail['outcome']>().exclude<'linked'>().toEqualTypeOf<FailedDetail['outcome']>();
    const wrongState: CartlinkStatusProps = {
      // @ts-expect-error: an outcome, not a state of the element
      state: 'linked',
    };
    expect(wrongState.state).toBe('linked');
  });
});

describe('CartlinkResultDialog', () => {
  it('writes its props as the element’s attributes and calls onClose with how it closed', async () => {
    const onClose = vi.fn<(detail: DialogCloseDetail) => void>();
    render(
      createElement(CartlinkResultDialog, {
        id: 'result',
        shopName: 'Corner Market',
        locale: 'en-CA',
        continueUrl: '/shop',
        accountUrl: '/account/profile',
        onClose,
      }),
    );
    const dialog = await definedDialog('result');
    expect(attributesOf(dialog)).toMatchObject({
      'shop-name': 'Corner Market',
      'continue-url': '/shop',
      'account-url': '/account/profile',
    });
    expect(dialog).toMatchObject({
      id: 'result',
      shopName: 'Corner Market',
      locale: 'en-CA',
      continueUrl: '/shop',
      accountUrl: '/account/profile',
    });
    expect(typeof dialog.open).toBe('function');

    dialog.open({ result: 'success', outcome: 'linked' });
    await dialog.updateComplete;
    expect(dialog.shadowRoot?.textContent).toContain('Corner Market');
    dialog.close();
    await vi.waitFor(() => expect(onClose).toHaveBeenCalledWith({ action: 'dismiss' }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('types onClose’s detail as the element’s close event', () => {
    expectTypeOf<NonNullable<CartlinkResultDialogProps['onClose']>>().parameters.toEqualTypeOf<
      [DialogCloseDetail]
    >();
    expectTypeOf<DialogCloseDetail['action']>().toEqualTypeOf<
      'continue' | 'retry' | 'close' | 'account' | 'dismiss'
    >();
  });
});
