// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from 'vitest';
import { type CartlinkStatus, DEFAULT_JOIN_URL, DEFAULT_MANAGE_URL, type StatusView } from './index.js';
import type { NavigateDetail } from './navigation.js';
import {
  buttonNames,
  deferred,
  getButton,
  getPart,
  jsonResponse,
  mountElement,
  shadowText,
} from './test-helpers.js';

const EXPIRED_AT = '2025-09-22T07:14:43Z';
const CSRF = 'csrf-7f3a9b2c4d5e6f708192a3b4c5d6e7f8';
const LINK_FORM = `authorize-endpoint="/cartlink/authorize" csrf-token="${CSRF}"`;

const unlinkedView = (): StatusView => ({
  state: 'unlinked',
  reason: 'not-linked',
  expiredAt: null,
  manageUrl: DEFAULT_MANAGE_URL,
  joinUrl: DEFAULT_JOIN_URL,
  verifiedAt: '2025-06-01T12:00:00.000Z',
});

const activeView: StatusView = {
  state: 'linked-active',
  reason: null,
  expiredAt: EXPIRED_AT,
  manageUrl: 'https://instacart.example/store/account/instacart-plus',
  joinUrl: 'https://instacart.example/signup',
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

let fetchMock: Mock<typeof fetch>;
let navigations: Array<{ url: string; action: string }>;
// Document listeners added by a test end with it.
let listeners: AbortController;

/** Mounts a status element whose buttons record navigations instead of leaving the page. */
function mountStatus(attributes = ''): Promise<CartlinkStatus> {
  return mountElement('cartlink-status', attributes, navigations);
}

interface Submission {
  /** Whether the element stopped the post. */
  prevented: boolean;
  method: string;
  action: string;
  fields: Record<string, string>;
}

/**
 * Records every submission of a form in the element's shadow root, after the element's own handler
 * ran, and stops it there: happy-dom would otherwise try to navigate.
 */
function recordSubmissions(element: CartlinkStatus): Submission[] {
  const submissions: Submission[] = [];
  element.shadowRoot!.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    submissions.push({
      prevented: event.defaultPrevented,
      method: form.method,
      action: form.action,
      fields: Object.fromEntries(
        [...form.querySelectorAll('input')].map((input) => [input.name, input.value]),
      ),
    });
    event.preventDefault();
  });
  return submissions;
}

beforeEach(() => {
  listeners = new AbortController();
  navigations = [];
  fetchMock = vi.fn<typeof fetch>();
  vi.stubGlobal('fetch', fetchMock);
  window.history.replaceState(null, '', '/account/profile');
  document.documentElement.lang = '';
});

afterEach(() => {
  listeners.abort();
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
});

describe('server-rendered states', () => {
  it('linked-active says the accounts are linked and the membership active, with the expiry and Manage', async () => {
    const status = await mountStatus(`state="linked-active" expired-at="${EXPIRED_AT}"`);
    const text = shadowText(status);
    expect(text).toContain('Your shop account is linked to your Instacart account');
    expect(text).toContain('your Instacart+ membership is active');
    const expiry = getPart(status, 'expiry');
    expect(expiry?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Your membership expires on 09/22/2025.');
    expect(expiry?.querySelector('time')?.getAttribute('datetime')).toBe(EXPIRED_AT);
    expect(buttonNames(status)).toEqual(['Manage Instacart+']);
    getButton(status, 'Manage Instacart+').click();
    expect(navigations).toEqual([{ url: DEFAULT_MANAGE_URL, action: 'manage' }]);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('linked-active leaves the expiry line out when the date is missing or not a date', async () => {
    const status = await mountStatus('state="linked-active" expired-at="soon"');
    expect(getPart(status, 'expiry')).toBeNull();
    expect(shadowText(status)).not.toContain('Invalid');
    expect(buttonNames(status)).toEqual(['Manage Instacart+']);
  });

  it('linked-inactive says linked without an active membership and offers Join', async () => {
    const status = await mountStatus('state="linked-inactive"');
    expect(shadowText(status)).toContain("but you don't have an active Instacart+ membership");
    expect(buttonNames(status)).toEqual(['Join Instacart+']);
    getButton(status, 'Join Instacart+').click();
    expect(navigations).toEqual([{ url: DEFAULT_JOIN_URL, action: 'join' }]);
  });

  it('unlinked says not linked, shows the $0 delivery line, and offers Link (a form) and Join', async () => {
    const status = await mountStatus(`state="unlinked" ${LINK_FORM} shop-name="Corner Market"`);
    const text = shadowText(status);
    expect(text).toContain('Your Corner Market account is not linked to an Instacart account.');
    expect(text).toContain('Instacart+ member? Link your account to get $0 delivery');
    expect(buttonNames(status)).toEqual(['Link Instacart account', 'Join Instacart+']);
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    getButton(status, 'Join Instacart+').click();
    expect(submissions).toEqual([
      {
        prevented: false,
        method: 'post',
        action: `${window.location.origin}/cartlink/authorize`,
        fields: { _csrf: CSRF },
      },
    ]);
    expect(navigations).toEqual([{ url: DEFAULT_JOIN_URL, action: 'join' }]);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('unavailable says Instacart cannot be reached, that the page still works, and offers Try again', async () => {
    const status = await mountStatus('state="unavailable"');
    expect(shadowText(status)).toContain("Instacart can't be reached right now");
    expect(shadowText(status)).toContain('The rest of this page still works');
    expect(buttonNames(status)).toEqual(['Try again']);
  });

  it('loading shows a labelled busy indicator and no buttons', async () => {
    const status = await mountStatus('');
    expect(status.getAttribute('state')).toBe('loading');
    const busy = status.shadowRoot!.querySelector('[aria-busy="true"]');
    expect(busy?.getAttribute('role')).toBe('progressbar');
    expect(busy?.getAttribute('aria-label')).toBe('Loading your Instacart account status');
    expect(buttonNames(status)).toEqual([]);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('uses the manage and join URLs it is given', async () => {
    const status = await mountStatus(
      'state="linked-active" manage-url="https://instacart.example/manage" join-url="https://instacart.example/join"',
    );
    getButton(status, 'Manage Instacart+').click();
    status.state = 'linked-inactive';
    await status.updateComplete;
    getButton(status, 'Join Instacart+').click();
    expect(navigations.map((n) => n.url)).toEqual([
      'https://instacart.example/manage',
      'https://instacart.example/join',
    ]);
  });

  it('exposes the parts a retailer styles', async () => {
    const status = await mountStatus(`state="linked-active" expired-at="${EXPIRED_AT}"`);
    for (const part of ['container', 'title', 'body', 'button', 'button-primary', 'expiry']) {
      expect(getPart(status, part), part).not.toBeNull();
    }
  });
});

describe('locales', () => {
  it('formats the expiry as YYYY-MM-DD in en-CA', async () => {
    const status = await mountStatus(`state="linked-active" expired-at="${EXPIRED_AT}" locale="en-CA"`);
    expect(getPart(status, 'expiry')?.textContent).toContain('2025-09-22');
    expect(buttonNames(status)).toEqual(['Manage Instacart+']);
  });

  it('speaks French in fr-CA, names included', async () => {
    const status = await mountStatus(`state="linked-active" expired-at="${EXPIRED_AT}" locale="fr-CA"`);
    expect(getPart(status, 'expiry')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Votre abonnement expire le 2025-09-22.',
    );
    expect(buttonNames(status)).toEqual(['Gérer Instacart+']);
    status.state = 'unlinked';
    await status.updateComplete;
    expect(buttonNames(status)).toEqual(['Associer le compte Instacart', "S'abonner à Instacart+"]);
    expect(shadowText(status)).toContain('livraison à 0 $');
    status.state = 'unavailable';
    await status.updateComplete;
    expect(buttonNames(status)).toEqual(['Réessayer']);
  });

  it('takes the locale from <html lang> when it has none, and falls back to en-US', async () => {
    document.documentElement.lang = 'fr';
    const french = await mountStatus('state="linked-inactive"');
    expect(buttonNames(french)).toEqual(["S'abonner à Instacart+"]);
    document.documentElement.lang = 'de-DE';
    const fallback = await mountStatus(`state="linked-active" expired-at="${EXPIRED_AT}"`);
    expect(getPart(fallback, 'expiry')?.textContent).toContain('09/22/2025');
  });
});

describe('status-src', () => {
  it('fetches the status with the session cookie and shows it', async () => {
    fetchMock.mockResolvedValue(jsonResponse(activeView));
    const changes: string[] = [];
    document.addEventListener(
      'cartlink:state-change',
      (event) => changes.push(event.detail.state),
      listeners,
    );
    const status = await mountStatus('status-src="/api/instacart/status"');
    await vi.waitFor(() => expect(status.state).toBe('linked-active'));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/instacart/status');
    expect(init?.credentials).toBe('same-origin');
    expect(new Headers(init?.headers).get('Accept')).toBe('application/json');
    await status.updateComplete;
    expect(status.getAttribute('state')).toBe('linked-active');
    expect(changes).toEqual(['linked-active']);
    getButton(status, 'Manage Instacart+').click();
    expect(navigations[0]?.url).toBe(activeView.manageUrl);
  });

  it('does not fetch when the server rendered a state', async () => {
    const status = await mountStatus('state="unlinked" status-src="/api/instacart/status"');
    await Promise.resolve();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(status.state).toBe('unlinked');
  });

  it.each([
    ['a non-2xx answer', () => Promise.resolve(jsonResponse({ error: 'boom' }, 500))],
    ['a network failure', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['a body that is not a status', () => Promise.resolve(jsonResponse({ state: 'linked-maybe' }))],
    ['a body that is not JSON', () => Promise.resolve(new Response('<html>', { status: 200 }))],
  ])('shows unavailable after %s', async (_, answer) => {
    fetchMock.mockImplementation(answer);
    const status = await mountStatus('status-src="/api/instacart/status"');
    await vi.waitFor(() => expect(status.state).toBe('unavailable'));
    await status.updateComplete;
    expect(buttonNames(status)).toEqual(['Try again']);
  });

  it('Try again fetches the status again, showing loading meanwhile', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const status = await mountStatus('status-src="/api/instacart/status"');
    await vi.waitFor(() => expect(status.state).toBe('unavailable'));
    await status.updateComplete;
    const answer = deferred<Response>();
    fetchMock.mockReturnValueOnce(answer.promise);
    getButton(status, 'Try again').click();
    expect(status.state).toBe('loading');
    answer.resolve(jsonResponse(unlinkedView()));
    await vi.waitFor(() => expect(status.state).toBe('unlinked'));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    await status.updateComplete;
    expect(buttonNames(status)).toEqual(['Link Instacart account', 'Join Instacart+']);
  });

  it('does not fetch again when moved in the page', async () => {
    fetchMock.mockResolvedValue(jsonResponse(activeView));
    const status = await mountStatus('status-src="/api/instacart/status"');
    await vi.waitFor(() => expect(status.state).toBe('linked-active'));
    const section = document.createElement('section');
    document.body.append(section);
    section.append(status);
    await status.updateComplete;
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('without status-src, Try again reloads the page (whose server renders the status)', async () => {
    const status = await mountStatus('state="unavailable"');
    getButton(status, 'Try again').click();
    expect(navigations).toEqual([{ url: window.location.href, action: 'reload' }]);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('navigation', () => {
  it('dispatches a cancelable cartlink:navigate, and does not navigate when it is canceled', async () => {
    const status = await mountStatus('state="linked-inactive"');
    const seen: NavigateDetail[] = [];
    document.addEventListener(
      'cartlink:navigate',
      (event) => {
        seen.push(event.detail);
        event.preventDefault();
      },
      listeners,
    );
    getButton(status, 'Join Instacart+').click();
    expect(seen).toEqual([{ url: DEFAULT_JOIN_URL, action: 'join' }]);
    expect(navigations).toEqual([]);
  });
});

describe('the Link form', () => {
  it('is a POST form with the CSRF token in a hidden _csrf field and a submit button', async () => {
    const status = await mountStatus(`state="unlinked" ${LINK_FORM}`);
    const form = status.shadowRoot!.querySelector('form')!;
    expect(form.getAttribute('method')).toBe('post');
    expect(form.getAttribute('action')).toBe('/cartlink/authorize');
    const hidden = [...form.querySelectorAll('input')];
    expect(hidden.map((input) => [input.type, input.name, input.value])).toEqual([['hidden', '_csrf', CSRF]]);
    const button = getButton(status, 'Link Instacart account');
    expect(button.type).toBe('submit');
    expect(button.form).toBe(form);
    expect(button.getAttribute('part')).toBe('button button-primary');
  });

  it('announces a cancelable cartlink:navigate before posting, and marks the button busy', async () => {
    const status = await mountStatus(`state="unlinked" ${LINK_FORM}`);
    const seen: NavigateDetail[] = [];
    document.addEventListener('cartlink:navigate', (event) => seen.push(event.detail), listeners);
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    expect(seen).toEqual([{ url: `${window.location.origin}/cartlink/authorize`, action: 'link' }]);
    expect(submissions.map((submission) => submission.prevented)).toEqual([false]);
    await status.updateComplete;
    const button = getButton(status, 'Link Instacart account');
    expect(button.getAttribute('aria-busy')).toBe('true');
    // A second press while the first post is on its way starts no second link.
    button.click();
    expect(submissions.map((submission) => submission.prevented)).toEqual([false, true]);
    expect(seen).toHaveLength(1);
  });

  it('does not post when a cartlink:navigate listener cancels it (a single-page app)', async () => {
    const status = await mountStatus(`state="unlinked" ${LINK_FORM}`);
    document.addEventListener('cartlink:navigate', (event) => event.preventDefault(), listeners);
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    expect(submissions.map((submission) => submission.prevented)).toEqual([true]);
    await status.updateComplete;
    expect(getButton(status, 'Link Instacart account').hasAttribute('aria-busy')).toBe(false);
  });

  it('is ready again when the shopper comes back through the page cache', async () => {
    const status = await mountStatus(`state="unlinked" ${LINK_FORM}`);
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    // happy-dom's PageTransitionEvent is a plain Event: give it the flag browsers set.
    const pageshow = new Event('pageshow');
    Object.defineProperty(pageshow, 'persisted', { value: true });
    window.dispatchEvent(pageshow);
    await status.updateComplete;
    getButton(status, 'Link Instacart account').click();
    expect(submissions.map((submission) => submission.prevented)).toEqual([false, false]);
  });

  it.each([
    ['without csrf-token', 'authorize-endpoint="/cartlink/authorize"'],
    ['without authorize-endpoint', `csrf-token="${CSRF}"`],
    ['to another origin', `authorize-endpoint="https://evil.example/collect" csrf-token="${CSRF}"`],
    ['to a javascript: URL', `authorize-endpoint="javascript:alert(1)" csrf-token="${CSRF}"`],
  ])('never posts %s, and says linking failed', async (_name, attributes) => {
    const dialog = await mountElement('cartlink-result-dialog', 'id="result"', navigations);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const status = await mountStatus(`state="unlinked" dialog="result" ${attributes}`);
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    expect(submissions.map((submission) => submission.prevented)).toEqual([true]);
    await vi.waitFor(() => expect(dialog.opened).toBe(true));
    expect(dialog.outcome).toBe('failed');
    expect(errors).toHaveBeenCalledTimes(1);
    errors.mockRestore();
  });

  it('works the same on a status fetched from status-src, without any further request', async () => {
    fetchMock.mockResolvedValue(jsonResponse(unlinkedView()));
    const status = await mountStatus(`status-src="/cartlink/status" ${LINK_FORM}`);
    await vi.waitFor(() => expect(status.state).toBe('unlinked'));
    await status.updateComplete;
    const submissions = recordSubmissions(status);
    getButton(status, 'Link Instacart account').click();
    expect(submissions).toMatchObject([{ prevented: false, fields: { _csrf: CSRF } }]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe('hostile attribute values', () => {
  it('shows markup in attributes as text and never as elements', async () => {
    const hostile = '<img src=x onerror="globalThis.pwned=1"><b>bold</b>';
    const status = await mountStatus(
      `state="unlinked" shop-name='${hostile}' authorize-endpoint="/cartlink/authorize" csrf-token='"><img src=y>'`,
    );
    expect(status.shadowRoot!.querySelector('img, b')).toBeNull();
    expect(shadowText(status)).toContain(`Your ${hostile} account is not linked`);
    expect(status.shadowRoot!.querySelector('input')?.value).toBe('"><img src=y>');
  });

  it('never navigates to a javascript: URL', async () => {
    const status = await mountStatus(
      'state="linked-active" manage-url="javascript:alert(1)" status-src="/api/instacart/status"',
    );
    getButton(status, 'Manage Instacart+').click();
    expect(navigations).toEqual([{ url: DEFAULT_MANAGE_URL, action: 'manage' }]);
    fetchMock.mockResolvedValueOnce(
      jsonResponse({ ...unlinkedView(), joinUrl: 'javascript:alert(2)', manageUrl: 'javascript:alert(3)' }),
    );
    await status.refresh();
    await status.updateComplete;
    getButton(status, 'Join Instacart+').click();
    expect(navigations.map((n) => n.url)).toEqual([DEFAULT_MANAGE_URL, DEFAULT_JOIN_URL]);
  });

  it('shows an unknown state as loading', async () => {
    const status = await mountStatus('state="&quot;><script>x</script>"');
    expect(status.state).toBe('loading');
    expect(status.getAttribute('state')).toBe('loading');
    expect(status.shadowRoot!.querySelector('script')).toBeNull();
  });
});
