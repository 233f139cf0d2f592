// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CartlinkResultDialog, type DialogCloseDetail, type FailureOutcome, STRINGS } from './index.js';
import { buttonNames, getButton, getPart, mountElement, shadowText } from './test-helpers.js';

let navigations: Array<{ url: string; action: string }>;
let closes: DialogCloseDetail[];

function mountDialog(attributes = ''): Promise<CartlinkResultDialog> {
  return mountElement('cartlink-result-dialog', attributes, navigations);
}

function nativeDialog(element: CartlinkResultDialog): HTMLDialogElement {
  return element.shadowRoot!.querySelector('dialog')!;
}

/** The element focus is really on, looking through shadow roots. */
function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

function recordCloses(event: Event): void {
  closes.push((event as CustomEvent<DialogCloseDetail>).detail);
}

beforeEach(() => {
  navigations = [];
  closes = [];
  document.addEventListener('cartlink:close', recordCloses);
  document.documentElement.lang = '';
});

afterEach(() => {
  document.removeEventListener('cartlink:close', recordCloses);
  document.body.innerHTML = '';
});

describe('success', () => {
  it('opens as a modal naming the accounts, with focus on "Continue shopping"', async () => {
    const dialog = await mountDialog('shop-name="Corner Market"');
    expect(nativeDialog(dialog).open).toBe(false);
    dialog.open({ result: 'success', outcome: 'linked' });
    await dialog.updateComplete;
    expect(nativeDialog(dialog).open).toBe(true);
    expect(dialog.hasAttribute('open')).toBe(true);
    expect(getPart(dialog, 'title')?.textContent).toBe('Your accounts are linked');
    expect(getPart(dialog, 'body')?.textContent).toBe(
      'Your Corner Market account is now linked to your Instacart account.',
    );
    expect(buttonNames(dialog)).toEqual(['Continue shopping']);
    expect(focused()).toBe(getButton(dialog, 'Continue shopping'));
  });

  it('"Continue shopping" closes and goes to continue-url (the storefront home by default)', async () => {
    const dialog = await mountDialog('open result="success"');
    getButton(dialog, 'Continue shopping').click();
    expect(dialog.opened).toBe(false);
    expect(navigations).toEqual([{ url: new URL('/', window.location.href).href, action: 'continue' }]);
    expect(closes).toEqual([{ action: 'continue' }]);

    const custom = await mountDialog('open result="success" continue-url="/catalogue?from=linking"');
    getButton(custom, 'Continue shopping').click();
    expect(navigations[1]?.url).toBe(new URL('/catalogue?from=linking', window.location.href).href);
  });

  it('says "shop" when the page gives no shop name', async () => {
    const dialog = await mountDialog('open result="success"');
    expect(getPart(dialog, 'body')?.textContent).toBe(
      'Your shop account is now linked to your Instacart account.',
    );
  });
});

describe('failure', () => {
  const messages: Record<FailureOutcome, string> = {
    cancelled: 'You canceled linking at Instacart. You can try again any time.',
    'state-invalid':
      "The link request expired or wasn't started from this page. Try again from your account page.",
    'already-linked':
      "That Instacart account is already linked to another shopper's account here. Sign in with that account, or contact Instacart customer service.",
    'user-not-active':
      'Your Instacart Connect profile is not active. Contact Instacart customer service for help.',
    unavailable: "Instacart couldn't be reached. Try again in a few minutes.",
    throttled: 'You started linking too many times. Wait a few minutes, then try again.',
    failed: 'Something went wrong. Please try again.',
  };

  it.each(Object.entries(messages))('says what happened and what to do for %s', async (outcome, message) => {
    const dialog = await mountDialog();
    dialog.open({ result: 'failure', outcome: outcome as FailureOutcome });
    await dialog.updateComplete;
    expect(getPart(dialog, 'title')?.textContent).toBe("We couldn't link your accounts");
    expect(getPart(dialog, 'body')?.textContent).toBe(message);
    expect([...buttonNames(dialog)].sort()).toEqual(['Close', 'Try again']);
  });

  it('puts the focus on "Try again", or on "Close" when trying again cannot help', async () => {
    const dialog = await mountDialog();
    dialog.open({ result: 'failure', outcome: 'cancelled' });
    await dialog.updateComplete;
    expect(focused()).toBe(getButton(dialog, 'Try again'));
    expect(getButton(dialog, 'Try again').getAttribute('part')).toBe('button button-primary');
    dialog.close();
    await dialog.updateComplete;
    dialog.open({ result: 'failure', outcome: 'already-linked' });
    await dialog.updateComplete;
    expect(focused()).toBe(getButton(dialog, 'Close'));
    expect(getButton(dialog, 'Close').getAttribute('part')).toBe('button button-primary');
    dialog.close();
    await dialog.updateComplete;
    // Throttled: trying again at once would be refused again; the message says to wait.
    dialog.open({ result: 'failure', outcome: 'throttled' });
    await dialog.updateComplete;
    expect(focused()).toBe(getButton(dialog, 'Close'));
  });

  it.each(['no-such-outcome', 'constructor', '__proto__', ''])(
    'shows the generic message for the unknown outcome "%s"',
    async (outcome) => {
      const dialog = await mountDialog();
      dialog.setAttribute('outcome', outcome);
      dialog.setAttribute('result', 'failure');
      dialog.setAttribute('open', '');
      await dialog.updateComplete;
      expect(nativeDialog(dialog).open).toBe(true);
      expect(getPart(dialog, 'body')?.textContent).toBe(messages.failed);
    },
  );

  it('treats any result but "success" as a failure', async () => {
    const dialog = await mountDialog('open result="maybe" outcome="cancelled"');
    expect(getPart(dialog, 'title')?.textContent).toBe("We couldn't link your accounts");
  });

  it('"Try again" and "Close" close the dialog and say which was pressed', async () => {
    const dialog = await mountDialog('open result="failure" outcome="cancelled"');
    getButton(dialog, 'Try again').click();
    expect(nativeDialog(dialog).open).toBe(false);
    await dialog.updateComplete;
    expect(dialog.hasAttribute('open')).toBe(false);
    dialog.open({ result: 'failure', outcome: 'cancelled' });
    await dialog.updateComplete;
    getButton(dialog, 'Close').click();
    expect(dialog.opened).toBe(false);
    expect(closes).toEqual([{ action: 'retry' }, { action: 'close' }]);
    expect(navigations).toEqual([]);
  });

  it('"Close" goes to account-url when it is set', async () => {
    const dialog = await mountDialog('open result="failure" outcome="failed" account-url="/account/profile"');
    getButton(dialog, 'Close').click();
    expect(dialog.opened).toBe(false);
    expect(navigations).toEqual([
      { url: new URL('/account/profile', window.location.href).href, action: 'account' },
    ]);
  });
});

describe('focus and closing', () => {
  it('returns the focus to what had it before opening', async () => {
    const dialog = await mountDialog();
    const trigger = document.createElement('button');
    trigger.textContent = 'Elsewhere';
    document.body.prepend(trigger);
    trigger.focus();
    dialog.open({ result: 'failure', outcome: 'failed' });
    await dialog.updateComplete;
    expect(focused()).toBe(getButton(dialog, 'Try again'));
    dialog.close();
    await dialog.updateComplete;
    expect(nativeDialog(dialog).open).toBe(false);
    expect(document.activeElement).toBe(trigger);
    expect(closes).toEqual([{ action: 'dismiss' }]);
  });

  it('reports a close from the browser (Escape) as dismiss and clears the open attribute', async () => {
    const dialog = await mountDialog('open result="success"');
    // What the browser does on Escape: close without a return value.
    nativeDialog(dialog).close();
    await dialog.updateComplete;
    expect(dialog.opened).toBe(false);
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(closes).toEqual([{ action: 'dismiss' }]);
  });
});

describe('locales and escaping', () => {
  it('speaks French in fr-CA', async () => {
    const dialog = await mountDialog('locale="fr-CA" open result="failure" outcome="cancelled"');
    expect(getPart(dialog, 'title')?.textContent).toBe("L'association des comptes a échoué");
    expect(getPart(dialog, 'body')?.textContent).toBe(STRINGS['fr-CA'].dialog.failures.cancelled);
    expect(buttonNames(dialog)).toEqual(['Fermer', 'Réessayer']);
    dialog.result = 'success';
    await dialog.updateComplete;
    expect(buttonNames(dialog)).toEqual(['Continuer vos achats']);
    expect(shadowText(dialog)).toContain('Vos comptes sont associés');
  });

  it.each([
    ['en-US', 'You started linking too many times. Wait a few minutes, then try again.'],
    ['en-CA', 'You started linking too many times. Wait a few minutes, then try again.'],
    ['fr-CA', "Vous avez lancé l'association trop de fois. Attendez quelques minutes, puis réessayez."],
  ])('says to wait a few minutes after too many link starts in %s', async (locale, message) => {
    const dialog = await mountDialog(`locale="${locale}" open result="failure" outcome="throttled"`);
    expect(getPart(dialog, 'body')?.textContent).toBe(message);
    expect(buttonNames(dialog)).toHaveLength(2);
  });

  it('spells "cancelled" the Canadian way in en-CA', async () => {
    const dialog = await mountDialog('locale="en-CA" open result="failure" outcome="cancelled"');
    expect(getPart(dialog, 'body')?.textContent).toBe(
      'You cancelled linking at Instacart. You can try again any time.',
    );
    expect(buttonNames(dialog)).toEqual(['Close', 'Try again']);
  });

  it('shows markup in shop-name as text', async () => {
    const dialog = await mountDialog();
    dialog.setAttribute('shop-name', '<img src=x onerror="globalThis.pwned=1">');
    dialog.open({ result: 'success' });
    await dialog.updateComplete;
    expect(dialog.shadowRoot!.querySelector('img')).toBeNull();
    expect(getPart(dialog, 'body')?.textContent).toContain(
      'Your <img src=x onerror="globalThis.pwned=1"> account',
    );
  });

  it('never navigates to a javascript: URL', async () => {
    const dialog = await mountDialog('open result="success" continue-url="javascript:alert(1)"');
    getButton(dialog, 'Continue shopping').click();
    expect(navigations).toEqual([{ url: new URL('/', window.location.href).href, action: 'continue' }]);
    const failure = await mountDialog('open result="failure" account-url="javascript:alert(1)"');
    getButton(failure, 'Close').click();
    expect(failure.opened).toBe(false);
    expect(navigations).toHaveLength(1);
  });
});
