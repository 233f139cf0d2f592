// @vitest-environment happy-dom
/**
 * `useLinkCallback` and `<CartlinkLinkCallback>` on the page Instacart redirects back to: the
 * callback leaves the address bar and is posted exactly once (under StrictMode's double effects, on a
 * second mount with the same URL), the status element and the dialog show the result as the element
 * shows a callback it completes itself, failures included, and a page without a callback posts nothing.
 */
import type { LinkAttempt, LinkedDetail, StateChangeDetail, StatusView } from '@cartlink/elements';
import { createElement, Fragment, type ReactElement } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it, type Mock, vi } from 'vitest';
import {
  CartlinkLinkCallback,
  type CartlinkLinkCallbackProps,
  CartlinkResultDialog,
  CartlinkStatus,
  type LinkCallbackState,
  type LinkResult,
  useLinkCallback,
} from './index.js';
import { loadElements } from './load-elements.js';
import { cleanUp, definedDialog, definedStatus, jsonResponse, render, statusView } from './test-helpers.js';

const LINK_ENDPOINT = '/cartlink/link';
const STATUS_SRC = '/cartlink/status';
const EXPIRED_AT = '2025-09-22T07:14:43Z';
const activeView: StatusView = statusView('linked-active', EXPIRED_AT);

let fetchMock: Mock<typeof fetch>;

// Defined before anything renders, as in cartlink-status.test.ts: happy-dom does not hand an element
// it upgrades the attributes it already had.
beforeAll(() => loadElements());

beforeEach(() => {
  fetchMock = vi.fn<typeof fetch>();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  cleanUp();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

/** A promise with its resolve function outside, for answers a test releases when it chooses. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Puts an authorization callback in the address bar, as Instacart's redirect does. */
function arriveWith(query: string): void {
  window.history.replaceState(null, '', `/account/profile?${query}#instacart`);
}

/** The JSON bodies of the POSTs so far. */
function postedBodies(): unknown[] {
  return fetchMock.mock.calls
    .filter(([, init]) => init?.method === 'POST')
    .map(([, init]) => JSON.parse(String(init?.body)));
}

interface ProfileProps {
  /** Every state the hook returned, in order. */
  states: LinkCallbackState[];
  suffix?: string;
  statusSrc?: string;
  onStateChange?: (detail: StateChangeDetail) => void;
  onLinked?: (detail: LinkedDetail) => void;
}

/** The profile page as a client component: the status element (loading, no link endpoint), the dialog, and the hook. */
function Profile({ states, suffix = '', statusSrc, onStateChange, onLinked }: ProfileProps): ReactElement {
  const state = useLinkCallback({
    linkEndpoint: LINK_ENDPOINT,
    statusId: `status${suffix}`,
    dialogId: `result${suffix}`,
  });
  states.push(state);
  return createElement(
    Fragment,
    null,
    createElement(CartlinkStatus, {
      id: `status${suffix}`,
      state: 'loading',
      statusSrc,
      onStateChange,
      onLinked,
    }),
    createElement(CartlinkResultDialog, { id: `result${suffix}` }),
  );
}

function page(states: LinkCallbackState[], options: Omit<ProfileProps, 'states'> = {}): ReactElement {
  return createElement(Profile, { states, ...options });
}

function lastPhase(states: LinkCallbackState[]): string | undefined {
  return states.at(-1)?.phase;
}

/**
 * Proves that trees rendered before it have read the address bar and posted whatever they were going
 * to: a hook started after them, whose callback (state `state`) is posted after theirs would be.
 */
async function postWitness(state: string): Promise<void> {
  // The hooks already mounted took (or not) the callback in the address bar when the elements'
  // module resolved for them: by now.
  await loadElements();
  arriveWith(`code=witness-code&state=${state}`);
  const states: LinkCallbackState[] = [];
  render(page(states, { suffix: `-${state}` }));
  await vi.waitFor(() => expect(lastPhase(states)).toBe('done'));
}

describe('useLinkCallback', () => {
  it('under StrictMode: cleans the address bar, posts the callback once, shows the status and opens the dialog', async () => {
    arriveWith('tab=instacart&code=c0de&state=st-strict&iss=https%3A%2F%2Fconnect.example');
    const clean = new URL('/account/profile?tab=instacart#instacart', window.location.origin).href;
    let hrefWhenPosted: string | undefined;
    const answer = deferred<Response>();
    fetchMock.mockImplementation(() => {
      hrefWhenPosted = window.location.href;
      return answer.promise;
    });
    const linked = vi.fn<(detail: LinkedDetail) => void>();
    const states: LinkCallbackState[] = [];

    render(page(states, { onLinked: linked }));
    expect(new Set(states.map((state) => state.phase))).toEqual(new Set(['idle']));
    await vi.waitFor(() => expect(lastPhase(states)).toBe('completing'));
    expect(window.location.href).toBe(clean);
    expect(hrefWhenPosted).toBe(clean);
    expect(postedBodies()).toEqual([{ code: 'c0de', state: 'st-strict', iss: 'https://connect.example' }]);

    answer.resolve(jsonResponse({ outcome: 'linked', status: activeView }));
    await vi.waitFor(() => expect(lastPhase(states)).toBe('done'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe(LINK_ENDPOINT);
    expect(init?.credentials).toBe('same-origin');
    expect(window.location.href).toBe(clean);
    expect(states.at(-1)).toEqual({ phase: 'done', result: { outcome: 'linked', status: activeView } });

    const status = await definedStatus('status');
    await status.updateComplete;
    expect(status.state).toBe('linked-active');
    expect(status.expiredAt).toBe(EXPIRED_AT);
    const dialog = await definedDialog('result');
    expect(dialog.opened).toBe(true);
    expect(dialog.result).toBe('success');
    expect(dialog.outcome).toBe('linked');
    expect(linked.mock.calls).toEqual([[{ outcome: 'linked', status: activeView }]]);
  });

  it('posts nothing on a second mount with the same URL (a router that puts the old URL back)', async () => {
    arriveWith('code=c0de&state=st-again');
    fetchMock.mockImplementation(async () => jsonResponse({ outcome: 'linked', status: activeView }));
    const first: LinkCallbackState[] = [];
    const tree = render(page(first));
    await vi.waitFor(() => expect(lastPhase(first)).toBe('done'));
    tree.unmount();

    arriveWith('code=c0de&state=st-again');
    const second: LinkCallbackState[] = [];
    render(page(second, { suffix: '-again' }));
    await postWitness('st-witness-again');

    expect(postedBodies()).toEqual([
      { code: 'c0de', state: 'st-again' },
      { code: 'witness-code', state: 'st-witness-again' },
    ]);
    expect(new Set(second.map((state) => state.phase))).toEqual(new Set(['idle']));
  });

  it.each([
    ['no query', ''],
    ['other parameters only', 'tab=instacart'],
    ['a state without code or error', 'state=st-alone'],
  ])('stays idle and posts nothing with %s in the address bar', async (_, query) => {
    arriveWith(query);
    const before = window.location.href;
    fetchMock.mockImplementation(async () => jsonResponse({ outcome: 'linked', status: activeView }));
    const states: LinkCallbackState[] = [];
    render(page(states));
    await loadElements();
    // Nothing taken, nothing cleaned.
    expect(window.location.href).toBe(before);
    await postWitness(`st-witness-idle-${query.length}`);

    expect(postedBodies()).toEqual([{ code: 'witness-code', state: `st-witness-idle-${query.length}` }]);
    expect(new Set(states.map((state) => state.phase))).toEqual(new Set(['idle']));
    expect((await definedStatus('status')).state).toBe('loading');
    expect((await definedDialog('result')).opened).toBe(false);
  });

  it.each([
    ['a network error', () => Promise.reject(new TypeError('Failed to fetch')), 'unavailable'],
    ['a 500 without a link result', async () => jsonResponse({ error: 'internal' }, 500), 'failed'],
    ['a 502 from a gateway', async () => new Response('Bad Gateway', { status: 502 }), 'unavailable'],
    [
      'a 409 with a link result',
      async () => jsonResponse({ outcome: 'already-linked', status: statusView('unlinked') }, 409),
      'already-linked',
    ],
  ] as const)(
    'shows %s as the element does: the failure dialog with its outcome',
    async (name, answer, outcome) => {
      fetchMock.mockImplementation(answer);
      const id = name.replaceAll(' ', '-');

      // The hook completes the callback…
      arriveWith(`code=c0de&state=st-hook-${id}`);
      const states: LinkCallbackState[] = [];
      render(page(states));
      await vi.waitFor(() => expect(lastPhase(states)).toBe('done'));
      const byHook = await shown('status', 'result');
      expect(states.at(-1)?.result?.outcome).toBe(outcome);
      cleanUp();

      // …and the element, given the link endpoint, completes one itself.
      arriveWith(`code=c0de&state=st-element-${id}`);
      render(
        createElement(
          Fragment,
          null,
          createElement(CartlinkStatus, { id: 'status', linkEndpoint: LINK_ENDPOINT, dialog: 'result' }),
          createElement(CartlinkResultDialog, { id: 'result' }),
        ),
      );
      const dialog = await definedDialog('result');
      await vi.waitFor(() => expect(dialog.opened).toBe(true));
      const byElement = await shown('status', 'result');

      expect(byHook).toEqual(byElement);
      expect(byHook).toEqual({
        result: 'failure',
        outcome,
        state: outcome === 'already-linked' ? 'unlinked' : 'unavailable',
      });
      expect(postedBodies()).toEqual([
        { code: 'c0de', state: `st-hook-${id}` },
        { code: 'c0de', state: `st-element-${id}` },
      ]);
    },
  );

  it('asks the element’s status-src when the server gave no status, and a status request on its way is ignored', async () => {
    arriveWith('code=c0de&state=st-status-src');
    const firstGet = deferred<Response>();
    const post = deferred<Response>();
    const staleAnswer = jsonResponse(statusView('linked-inactive'));
    const staleRead = vi.spyOn(staleAnswer, 'json');
    let gets = 0;
    fetchMock.mockImplementation(async (_, init) => {
      if (init?.method === 'POST') return post.promise;
      gets += 1;
      return gets === 1 ? firstGet.promise : jsonResponse(statusView('unlinked'));
    });
    const shownStates: string[] = [];
    const states: LinkCallbackState[] = [];
    render(page(states, { statusSrc: STATUS_SRC, onStateChange: ({ state }) => shownStates.push(state) }));
    // The element asked for its status when it connected; the hook then took the callback.
    await vi.waitFor(() => expect(lastPhase(states)).toBe('completing'));
    expect(gets).toBe(1);

    // That answer comes while the link is being posted: the element must not show it.
    firstGet.resolve(staleAnswer);
    await vi.waitFor(() => expect(staleRead).toHaveBeenCalled());
    post.resolve(new Response('Bad Gateway', { status: 502 }));
    await vi.waitFor(() => expect(lastPhase(states)).toBe('done'));

    expect(gets).toBe(2);
    const status = await definedStatus('status');
    expect(status.state).toBe('unlinked');
    expect(shownStates).not.toContain('linked-inactive');
    expect((await definedDialog('result')).outcome).toBe('unavailable');
  });

  it('without a status element: posts the callback once and opens the dialog alone', async () => {
    arriveWith('code=c0de&state=st-no-status');
    fetchMock.mockImplementation(async () =>
      jsonResponse({ outcome: 'cancelled', status: statusView('unlinked') }),
    );
    const onComplete = vi.fn<(result: LinkAttempt) => void>();
    render(
      createElement(
        Fragment,
        null,
        createElement(CartlinkLinkCallback, {
          linkEndpoint: LINK_ENDPOINT,
          statusId: 'missing',
          dialogId: 'result',
          onComplete,
        }),
        createElement(CartlinkResultDialog, { id: 'result' }),
      ),
    );
    await vi.waitFor(() => expect(onComplete).toHaveBeenCalled());
    expect(onComplete.mock.calls).toEqual([[{ outcome: 'cancelled', status: statusView('unlinked') }]]);
    expect(postedBodies()).toEqual([{ code: 'c0de', state: 'st-no-status' }]);
    const dialog = await definedDialog('result');
    expect(dialog.opened).toBe(true);
    expect(dialog.result).toBe('failure');
    expect(dialog.outcome).toBe('cancelled');
  });

  it('types its result as the attempt the element completes', () => {
    expectTypeOf<LinkCallbackState['phase']>().toEqualTypeOf<'idle' | 'completing' | 'done'>();
    expectTypeOf<LinkCallbackState['result']>().toEqualTypeOf<LinkAttempt | undefined>();
    // A server's whole link result is an attempt whose status is known.
    expectTypeOf<LinkResult>().toExtend<LinkAttempt>();
    expectTypeOf<NonNullable<CartlinkLinkCallbackProps['onComplete']>>().parameters.toEqualTypeOf<
      [LinkAttempt]
    >();
  });
});

describe('CartlinkLinkCallback', () => {
  it('renders nothing, completes the callback once under StrictMode and calls onComplete once', async () => {
    arriveWith('code=c0de&state=st-component');
    fetchMock.mockImplementation(async () => jsonResponse({ outcome: 'linked', status: activeView }));
    const onComplete = vi.fn<(result: LinkAttempt) => void>();
    render(
      createElement(
        Fragment,
        null,
        createElement(CartlinkStatus, { id: 'status', state: 'loading' }),
        createElement(CartlinkLinkCallback, {
          linkEndpoint: LINK_ENDPOINT,
          statusId: 'status',
          dialogId: 'result',
          onComplete,
        }),
        createElement(CartlinkResultDialog, { id: 'result' }),
      ),
    );
    const status = await definedStatus('status');
    expect(status.nextElementSibling?.localName).toBe('cartlink-result-dialog');
    await vi.waitFor(() => expect(onComplete).toHaveBeenCalled());
    expect(onComplete.mock.calls).toEqual([[{ outcome: 'linked', status: activeView }]]);
    expect(postedBodies()).toEqual([{ code: 'c0de', state: 'st-component' }]);
    expect((await definedDialog('result')).result).toBe('success');
  });
});

/** What the page shows after a callback: the dialog's result and outcome, and the status's state. */
async function shown(statusId: string, dialogId: string) {
  const status = await definedStatus(statusId);
  const dialog = await definedDialog(dialogId);
  await status.updateComplete;
  return { result: dialog.result, outcome: dialog.outcome, state: status.state };
}
