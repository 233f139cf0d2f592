// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from 'vitest';
import {
  CALLBACK_STASH_ATTRIBUTE,
  type CartlinkResultDialog,
  type CartlinkStatus,
  DEFAULT_JOIN_URL,
  DEFAULT_MANAGE_URL,
  type FailedDetail,
  type LinkedDetail,
  postLinkCallback,
  type StatusView,
  takeCallbackParams,
} from './index.js';
import { deferred, getButton, jsonResponse, mountElement, shadowText } from './test-helpers.js';

const activeView: StatusView = {
  state: 'linked-active',
  reason: null,
  expiredAt: '2025-09-22T07:14:43Z',
  manageUrl: DEFAULT_MANAGE_URL,
  joinUrl: DEFAULT_JOIN_URL,
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

const unlinkedView: StatusView = {
  state: 'unlinked',
  reason: 'not-linked',
  expiredAt: null,
  manageUrl: DEFAULT_MANAGE_URL,
  joinUrl: DEFAULT_JOIN_URL,
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

const LINK_ENDPOINT = '/api/instacart/link';
const STATUS_SRC = '/api/instacart/status';
const ATTRIBUTES = `link-endpoint="${LINK_ENDPOINT}" status-src="${STATUS_SRC}" dialog="result"`;

let fetchMock: Mock<typeof fetch>;
let navigations: Array<{ url: string; action: string }>;
let dialog: CartlinkResultDialog;
// Document listeners added by a test end with it.
let listeners: AbortController;

function mountStatus(attributes = ATTRIBUTES): Promise<CartlinkStatus> {
  return mountElement('cartlink-status', attributes, navigations);
}

/** Puts an authorization callback in the address bar, as Instacart's redirect does. */
function arriveWith(query: string): void {
  window.history.replaceState(null, '', `/account/profile?${query}#instacart`);
}

function postCalls(): Array<Parameters<typeof fetch>> {
  return fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST');
}

function collect<T>(type: 'cartlink:linked' | 'cartlink:failed'): Array<CustomEvent<T>> {
  const events: Array<CustomEvent<T>> = [];
  document.addEventListener(type, (event) => events.push(event as CustomEvent<T>), listeners);
  return events;
}

beforeEach(async () => {
  listeners = new AbortController();
  navigations = [];
  fetchMock = vi.fn<typeof fetch>();
  vi.stubGlobal('fetch', fetchMock);
  dialog = await mountElement('cartlink-result-dialog', 'id="result"', navigations);
});

afterEach(() => {
  listeners.abort();
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('authorization callback', () => {
  it('cleans the address bar before posting the code, then shows the status and the success dialog', async () => {
    arriveWith('tab=instacart&code=c0de&state=st-1&iss=https%3A%2F%2Fconnect.example');
    const clean = new URL('/account/profile?tab=instacart#instacart', window.location.origin).href;
    let hrefWhenPosted: string | undefined;
    fetchMock.mockImplementation(async () => {
      hrefWhenPosted = window.location.href;
      return jsonResponse({ outcome: 'linked', status: activeView });
    });
    const linked = collect<LinkedDetail>('cartlink:linked');
    const failed = collect<FailedDetail>('cartlink:failed');

    const status = await mountStatus();
    expect(window.location.href).toBe(clean);
    expect(status.state).toBe('loading');
    await vi.waitFor(() => expect(linked).toHaveLength(1));

    expect(hrefWhenPosted).toBe(clean);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe(LINK_ENDPOINT);
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
    expect(JSON.parse(String(init?.body))).toEqual({
      code: 'c0de',
      state: 'st-1',
      iss: 'https://connect.example',
    });

    expect(status.state).toBe('linked-active');
    expect(dialog.opened).toBe(true);
    expect(dialog.result).toBe('success');
    expect(dialog.outcome).toBe('linked');
    await dialog.updateComplete;
    expect(shadowText(dialog)).toContain('Your accounts are linked');

    const [event] = linked;
    expect(event?.detail).toEqual({ outcome: 'linked', status: activeView });
    expect(event?.bubbles).toBe(true);
    expect(event?.composed).toBe(true);
    expect(failed).toEqual([]);
  });

  it('reads the callback the host page stashed on <html> after cleaning the address bar itself', async () => {
    window.history.replaceState(null, '', '/account/profile?tab=instacart');
    document.documentElement.setAttribute(CALLBACK_STASH_ATTRIBUTE, '?code=stashed&state=st-stash');
    fetchMock.mockResolvedValue(jsonResponse({ outcome: 'linked', status: activeView }));
    const linked = collect<LinkedDetail>('cartlink:linked');

    await mountStatus();
    await vi.waitFor(() => expect(linked).toHaveLength(1));
    const [, init] = fetchMock.mock.calls[0]!;
    expect(JSON.parse(String(init?.body))).toEqual({ code: 'stashed', state: 'st-stash' });
    expect(document.documentElement.hasAttribute(CALLBACK_STASH_ATTRIBUTE)).toBe(false);
    expect(window.location.search).toBe('?tab=instacart');
  });

  it.each([
    ['code', 'code=mine&code=injected&state=st-dup-1', 'st-dup-1'],
    ['state', 'code=c0de&state=st-dup-2&state=other', 'st-dup-2'],
  ])(
    'never sends a code when %s is duplicated: the state is spent with invalid_request',
    async (_key, query, state) => {
      arriveWith(query);
      fetchMock.mockResolvedValue(jsonResponse({ outcome: 'failed', status: unlinkedView }));
      const failed = collect<FailedDetail>('cartlink:failed');

      await mountStatus();
      expect(window.location.search).toBe('');
      await vi.waitFor(() => expect(failed).toHaveLength(1));
      const [, init] = fetchMock.mock.calls[0]!;
      expect(JSON.parse(String(init?.body))).toEqual({ state, error: 'invalid_request' });
    },
  );

  it('posts a denial (error, error_description) and opens the failure dialog with its message', async () => {
    arriveWith('error=access_denied&error_description=User%20denied&state=st-2');
    fetchMock.mockResolvedValue(jsonResponse({ outcome: 'cancelled', status: unlinkedView }));
    const failed = collect<FailedDetail>('cartlink:failed');
    const linked = collect<LinkedDetail>('cartlink:linked');

    const status = await mountStatus();
    expect(window.location.search).toBe('');
    await vi.waitFor(() => expect(failed).toHaveLength(1));

    const [, init] = fetchMock.mock.calls[0]!;
    expect(JSON.parse(String(init?.body))).toEqual({
      state: 'st-2',
      error: 'access_denied',
      error_description: 'User denied',
    });
    expect(failed[0]?.detail).toEqual({ outcome: 'cancelled' });
    expect(linked).toEqual([]);
    expect(status.state).toBe('unlinked');
    expect(dialog.result).toBe('failure');
    expect(dialog.outcome).toBe('cancelled');
    await dialog.updateComplete;
    expect(shadowText(dialog)).toContain('You canceled linking at Instacart. You can try again any time.');
  });

  it('emits loading and then the new state when it replaces a server-rendered state', async () => {
    arriveWith('code=c&state=st-3');
    fetchMock.mockResolvedValue(jsonResponse({ outcome: 'linked', status: activeView }));
    const states: string[] = [];
    document.addEventListener('cartlink:state-change', (event) => states.push(event.detail.state), listeners);
    const status = await mountStatus(`state="unlinked" ${ATTRIBUTES}`);
    await vi.waitFor(() => expect(status.state).toBe('linked-active'));
    await status.updateComplete;
    expect(states).toEqual(['loading', 'linked-active']);
  });

  it('posts exactly once per callback: not again on reconnect, from a second element, or if the URL comes back', async () => {
    arriveWith('code=c&state=st-4');
    const answer = deferred<Response>();
    fetchMock.mockReturnValueOnce(answer.promise).mockImplementation(async () => jsonResponse(unlinkedView));
    const first = await mountStatus();
    first.remove();
    document.body.append(first);
    const second = await mountStatus();
    // A client-side router putting the old URL back must not post the single-use code again.
    arriveWith('code=c&state=st-4');
    const third = await mountStatus();
    answer.resolve(jsonResponse({ outcome: 'linked', status: activeView }));
    await vi.waitFor(() => expect(first.state).toBe('linked-active'));
    await vi.waitFor(() => expect(third.state).toBe('unlinked'));
    expect(postCalls()).toHaveLength(1);
    // The other elements simply loaded the status.
    expect(second.state).toBe('unlinked');
  });

  it('turns a network failure into the unavailable outcome and refetches the status', async () => {
    arriveWith('code=c&state=st-5');
    fetchMock
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(jsonResponse(unlinkedView));
    const failed = collect<FailedDetail>('cartlink:failed');
    const status = await mountStatus();
    await vi.waitFor(() => expect(failed).toHaveLength(1));
    expect(failed[0]?.detail).toEqual({ outcome: 'unavailable' });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[1]?.[0]).toBe(STATUS_SRC);
    expect(fetchMock.mock.calls[1]?.[1]?.method).toBeUndefined();
    expect(status.state).toBe('unlinked');
    expect(dialog.outcome).toBe('unavailable');
    await dialog.updateComplete;
    expect(shadowText(dialog)).toContain("Instacart couldn't be reached. Try again in a few minutes.");
  });

  it.each([
    ['a 500 without a result body', () => new Response('Internal Server Error', { status: 500 }), 'failed'],
    ['a 503 without a result body', () => new Response('', { status: 503 }), 'unavailable'],
    ['a 200 with a body that is not a result', () => jsonResponse({ ok: true }), 'failed'],
    [
      'a 400 with a result body (its outcome wins)',
      () => jsonResponse({ outcome: 'state-invalid', status: unlinkedView }, 400),
      'state-invalid',
    ],
  ])('reports %s as %s', async (_, answer, outcome) => {
    arriveWith(`code=c&state=st-6-${outcome}-${Math.random()}`);
    fetchMock.mockResolvedValueOnce(answer()).mockImplementation(async () => jsonResponse(unlinkedView));
    const failed = collect<FailedDetail>('cartlink:failed');
    const status = await mountStatus();
    await vi.waitFor(() => expect(failed).toHaveLength(1));
    expect(failed[0]?.detail.outcome).toBe(outcome);
    expect(dialog.outcome).toBe(outcome);
    expect(status.state).toBe('unlinked');
  });

  it('shows unavailable when linking failed and there is no status to fetch', async () => {
    arriveWith('code=c&state=st-7');
    fetchMock.mockResolvedValueOnce(new Response('', { status: 500 }));
    const status = await mountStatus(`link-endpoint="${LINK_ENDPOINT}" dialog="result"`);
    await vi.waitFor(() => expect(status.state).toBe('unavailable'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(dialog.outcome).toBe('failed');
  });

  it('"Try again" in the failure dialog puts the focus on the Link button', async () => {
    arriveWith('code=c&state=st-8');
    fetchMock.mockResolvedValueOnce(jsonResponse({ outcome: 'state-invalid', status: unlinkedView }));
    const status = await mountStatus();
    await vi.waitFor(() => expect(dialog.opened).toBe(true));
    await dialog.updateComplete;
    getButton(dialog, 'Try again').click();
    expect(dialog.opened).toBe(false);
    await vi.waitFor(() =>
      expect(status.shadowRoot!.activeElement?.textContent?.trim()).toBe('Link Instacart account'),
    );
  });

  it('leaves the address bar alone without link-endpoint, or without code or error', async () => {
    arriveWith('code=c&state=st-9');
    const href = window.location.href;
    fetchMock.mockImplementation(async () => jsonResponse(unlinkedView));
    const status = await mountStatus(`status-src="${STATUS_SRC}"`);
    await vi.waitFor(() => expect(status.state).toBe('unlinked'));
    expect(window.location.href).toBe(href);

    arriveWith('state=st-10&tab=orders');
    const stateOnly = window.location.href;
    const other = await mountStatus();
    await vi.waitFor(() => expect(other.state).toBe('unlinked'));
    expect(window.location.href).toBe(stateOnly);
    expect(postCalls()).toHaveLength(0);
  });

  it('completes a callback the page took itself (takeCallbackParams) as one it finds: completeLink', async () => {
    arriveWith('tab=instacart&code=c0de&state=st-handed');
    const callback = takeCallbackParams();
    expect(callback).toEqual({ code: 'c0de', state: 'st-handed' });
    expect(window.location.search).toBe('?tab=instacart');
    // Taken once: a second reader (the element below, were it given link-endpoint) finds nothing.
    arriveWith('tab=instacart&code=c0de&state=st-handed');
    expect(takeCallbackParams()).toBeUndefined();

    fetchMock.mockImplementation(async () => jsonResponse({ outcome: 'linked', status: activeView }));
    const linked = collect<LinkedDetail>('cartlink:linked');
    const status = await mountStatus('state="unlinked" dialog="result"');
    const attempt = await status.completeLink(callback!, LINK_ENDPOINT);

    expect(attempt).toEqual({ outcome: 'linked', status: activeView });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]?.[0]).toBe(LINK_ENDPOINT);
    expect(JSON.parse(String(fetchMock.mock.calls[0]?.[1]?.body))).toEqual({
      code: 'c0de',
      state: 'st-handed',
    });
    expect(status.state).toBe('linked-active');
    expect(dialog.opened).toBe(true);
    expect(dialog.result).toBe('success');
    expect(linked.map((event) => event.detail)).toEqual([{ outcome: 'linked', status: activeView }]);
  });

  it.each([
    ['a network error', () => Promise.reject(new TypeError('Failed to fetch')), { outcome: 'unavailable' }],
    [
      'a 500 without a link result',
      async () => jsonResponse({ error: 'internal' }, 500),
      { outcome: 'failed' },
    ],
    ['a 504', async () => new Response('Gateway Timeout', { status: 504 }), { outcome: 'unavailable' }],
    [
      'a 403 with a link result',
      async () => jsonResponse({ outcome: 'state-invalid', status: unlinkedView }, 403),
      { outcome: 'state-invalid', status: unlinkedView },
    ],
  ] as const)('postLinkCallback reads %s as the element shows it', async (_, answer, expected) => {
    fetchMock.mockImplementation(answer);
    expect(await postLinkCallback(LINK_ENDPOINT, { state: 'st-post', code: 'c0de' })).toEqual(expected);
  });
});

/** Lets every pending promise settle (the dialog opens a microtask or two after connecting). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('a link start the server refused (cartlink_outcome)', () => {
  const MESSAGES = {
    'en-US': 'You started linking too many times. Wait a few minutes, then try again.',
    'en-CA': 'You started linking too many times. Wait a few minutes, then try again.',
    'fr-CA': "Vous avez lancé l'association trop de fois. Attendez quelques minutes, puis réessayez.",
  } as const;

  it.each(Object.entries(MESSAGES))(
    'cleans the address bar and opens the failure dialog saying to wait (%s)',
    async (locale, message) => {
      dialog.locale = locale;
      window.history.replaceState(null, '', '/account/profile?tab=instacart&cartlink_outcome=throttled#x');
      const failed = collect<FailedDetail>('cartlink:failed');
      const status = await mountStatus(`state="unlinked" dialog="result" locale="${locale}"`);
      expect(window.location.href).toBe(
        new URL('/account/profile?tab=instacart#x', window.location.origin).href,
      );
      await vi.waitFor(() => expect(dialog.opened).toBe(true));
      expect(dialog.result).toBe('failure');
      expect(dialog.outcome).toBe('throttled');
      await dialog.updateComplete;
      expect(shadowText(dialog)).toContain(message);
      expect(failed.map((event) => event.detail)).toEqual([{ outcome: 'throttled' }]);
      // The server-rendered status stays; nothing is fetched or posted.
      expect(status.state).toBe('unlinked');
      expect(fetchMock).not.toHaveBeenCalled();
    },
  );

  it('opens the failure dialog for cartlink_outcome=failed (a Link form that outlived its session)', async () => {
    window.history.replaceState(null, '', '/account/profile?cartlink_outcome=failed');
    const failed = collect<FailedDetail>('cartlink:failed');
    await mountStatus('state="unlinked" dialog="result"');
    await vi.waitFor(() => expect(dialog.opened).toBe(true));
    expect(dialog.outcome).toBe('failed');
    expect(window.location.search).toBe('');
    expect(failed.map((event) => event.detail)).toEqual([{ outcome: 'failed' }]);
  });

  it('shows it once: not on a reload of the cleaned address, nor for a second element', async () => {
    window.history.replaceState(null, '', '/account/profile?cartlink_outcome=throttled');
    await mountStatus('state="unlinked" dialog="result"');
    await vi.waitFor(() => expect(dialog.opened).toBe(true));
    dialog.close();
    await mountStatus('state="unlinked" dialog="result"');
    await nextTask();
    expect(dialog.opened).toBe(false);
  });

  it.each([
    ['an outcome servers never report this way', 'cartlink_outcome=already-linked'],
    ['an unknown outcome', 'cartlink_outcome=constructor'],
    ['the parameter twice', 'cartlink_outcome=throttled&cartlink_outcome=throttled'],
  ])('removes and ignores %s', async (_name, query) => {
    window.history.replaceState(null, '', `/account/profile?${query}&tab=1`);
    const failed = collect<FailedDetail>('cartlink:failed');
    await mountStatus('state="unlinked" dialog="result"');
    await nextTask();
    expect(window.location.search).toBe('?tab=1');
    expect(dialog.opened).toBe(false);
    expect(failed).toEqual([]);
  });
});
