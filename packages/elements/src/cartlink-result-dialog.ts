/**
 * @module `<cartlink-result-dialog>`: the seed's "Account linking results dialog window". A native
 * modal `<dialog>` that says the accounts are linked (and sends the shopper back to shopping), or that
 * linking failed, why, and what to do next.
 *
 * @see https://docs.instacart.com/connect (account linking how-to), "Account linking results dialog window"
 */
import { css, html, LitElement, type PropertyValues, type TemplateResult } from 'lit';
import {
  assignLocation,
  type Navigate,
  type NavigateAction,
  requestNavigation,
  toSafeUrl,
} from './navigation.js';
import type { FailureOutcome, LinkOutcome } from './status-view.js';
import { resolveLocale, STRINGS } from './strings.js';
import { baseStyles } from './styles.js';

/** Which dialog to show. */
export type DialogResult = 'success' | 'failure';

/** Argument of {@link CartlinkResultDialog.open}. */
export interface OpenDialogOptions {
  /** `success` shows the success dialog; `failure` the failure dialog with the outcome's message. */
  result: DialogResult;
  /** Picks the failure message; an unknown or missing outcome gets the `failed` message. */
  outcome?: LinkOutcome | undefined;
}

/**
 * How the dialog was closed: a button (`continue`, `retry`, `close`, `account`), or Escape / the
 * {@link CartlinkResultDialog.close} method (`dismiss`).
 */
export type DialogCloseAction = 'continue' | 'retry' | 'close' | 'account' | 'dismiss';

/** Detail of `cartlink:close`. */
export interface DialogCloseDetail {
  /** The button that closed the dialog, or `dismiss`. */
  action: DialogCloseAction;
}

const CLOSE_ACTIONS: readonly string[] = ['continue', 'retry', 'close', 'account'];

// Trying again right away cannot help with these: the shopper has to do something else (or wait)
// first, so "Close" is the primary button and takes the focus.
const RETRY_USELESS: readonly string[] = ['already-linked', 'user-not-active', 'throttled'];

/** The focused element, looking inside shadow roots (the Link button lives in one). */
function deepActiveElement(): HTMLElement | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active instanceof HTMLElement ? active : null;
}

/**
 * The account linking results dialog. Opened by `<cartlink-status dialog="id">` after the callback,
 * by {@link CartlinkResultDialog.open}, or by the `open` attribute (with `result` and `outcome`).
 *
 * Attributes (each also a camelCase property): `result` (`success` | `failure`), `outcome`, `open`
 * (property `opened`), `shop-name`, `continue-url` (default `/`), `account-url`, `locale`. Property
 * only: `navigate`.
 *
 * Events: `cartlink:close` (detail {@link DialogCloseDetail}) and the cancelable `cartlink:navigate`.
 *
 * Parts: `dialog`, `title`, `body`, `button`, `button-primary`.
 *
 * @example
 * ```js
 * document.querySelector('cartlink-result-dialog').open({ result: 'failure', outcome: 'cancelled' });
 * ```
 */
export class CartlinkResultDialog extends LitElement {
  /** @internal Lit's reactive property declarations; the properties below document themselves. */
  static override properties = {
    result: { reflect: true },
    outcome: { reflect: true },
    opened: { type: Boolean, attribute: 'open', reflect: true },
    shopName: { attribute: 'shop-name' },
    continueUrl: { attribute: 'continue-url' },
    accountUrl: { attribute: 'account-url' },
    locale: {},
  };

  /**
   * The element's styles, constructed stylesheets adopted by its shadow root. Theme it with the
   * `--cartlink-*` custom properties and its `::part()`s rather than by replacing these.
   */
  static override styles = [
    baseStyles,
    css`
      dialog {
        box-sizing: border-box;
        width: min(28rem, calc(100vw - 32px));
        padding: 28px;
        border: none;
        border-radius: var(--_radius);
        background: var(--_bg);
        color: var(--_text);
        box-shadow: 0 24px 60px rgb(0 0 0 / 0.3);
      }
      dialog::backdrop {
        background: rgb(17 24 39 / 0.55);
      }
      .icon {
        display: block;
        width: 44px;
        height: 44px;
        margin-bottom: 14px;
      }
      .disc {
        fill: var(--_accent);
      }
      .failure .disc {
        fill: var(--cartlink-danger, #b3261e);
      }
      .mark {
        fill: none;
        stroke: var(--_accent-text);
        stroke-width: 3.5;
        stroke-linecap: round;
        stroke-linejoin: round;
      }
      .actions {
        justify-content: flex-end;
        margin-top: 22px;
      }
    `,
  ];

  /**
   * `success` or `failure` (anything else shows as a failure); the `result` attribute, reflected.
   * @default 'failure'
   */
  declare result: DialogResult;
  /**
   * The {@link LinkOutcome} whose failure message to show; an unknown or empty one shows the `failed`
   * message. The `outcome` attribute, reflected.
   * @default ''
   */
  declare outcome: string;
  /**
   * Whether the dialog is showing; the `open` attribute.
   * @default false
   */
  declare opened: boolean;
  /**
   * The shop's name in the success message; the `shop-name` attribute. Empty says "shop".
   * @default ''
   */
  declare shopName: string;
  /**
   * Where "Continue shopping" goes (an http(s) URL or a path); the `continue-url` attribute.
   * @default '/'
   */
  declare continueUrl: string;
  /**
   * When set, "Close" on the failure dialog goes to this page (the account page) instead of closing;
   * the `account-url` attribute.
   * @default ''
   */
  declare accountUrl: string;
  /**
   * `en-US`, `en-CA` or `fr-CA`; the `locale` attribute. Empty means `<html lang>` (any French is
   * fr-CA), then en-US.
   * @default ''
   */
  declare locale: string;

  /**
   * How buttons leave the page; replace it in single-page apps and tests.
   * @default location.assign
   */
  navigate: Navigate = assignLocation;

  private returnFocusTo: HTMLElement | null = null;

  constructor() {
    super();
    this.result = 'failure';
    this.outcome = '';
    this.opened = false;
    this.shopName = '';
    this.continueUrl = '/';
    this.accountUrl = '';
    this.locale = '';
  }

  /** Shows the dialog as a modal with the given result; focus moves to its primary button. */
  open(options: OpenDialogOptions): void {
    this.result = options.result;
    this.outcome = options.outcome ?? '';
    this.opened = true;
  }

  /** Closes the dialog (as Escape does); focus returns to where it was before it opened. */
  close(): void {
    this.opened = false;
  }

  private get dialogElement(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  private get primaryButton(): HTMLButtonElement | null {
    return this.renderRoot.querySelector('button.primary');
  }

  protected override updated(changed: PropertyValues): void {
    if (!changed.has('opened')) return;
    const dialog = this.dialogElement;
    if (!dialog) return;
    if (this.opened && !dialog.open) {
      this.returnFocusTo = deepActiveElement();
      // Escape closes without a value, and a dialog keeps its last returnValue: start clean.
      dialog.returnValue = '';
      dialog.showModal();
      // showModal() focuses the autofocus button in browsers; doing it here too covers the rest.
      this.primaryButton?.focus();
    } else if (!this.opened && dialog.open) {
      dialog.close();
    }
  }

  private onClose(): void {
    const value = this.dialogElement?.returnValue ?? '';
    const action = (CLOSE_ACTIONS.includes(value) ? value : 'dismiss') as DialogCloseAction;
    this.opened = false;
    const previous = this.returnFocusTo;
    this.returnFocusTo = null;
    if (previous?.isConnected) previous.focus();
    this.dispatchEvent(
      new CustomEvent<DialogCloseDetail>('cartlink:close', {
        detail: { action },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private finish(action: DialogCloseAction, url?: string, navigateAction?: NavigateAction): void {
    this.dialogElement?.close(action);
    if (url && navigateAction) requestNavigation(this, this.navigate, url, navigateAction);
  }

  protected override render(): TemplateResult {
    const strings = STRINGS[resolveLocale(this.locale || document.documentElement.lang)];
    const t = strings.dialog;
    const success = this.result === 'success';
    let title: string;
    let message: string;
    let buttons: TemplateResult[];
    if (success) {
      title = t.successTitle;
      message = t.success(this.shopName || strings.shop);
      const url = toSafeUrl(this.continueUrl) ?? toSafeUrl('/') ?? '/';
      buttons = [this.button(t.continue, true, () => this.finish('continue', url, 'continue'))];
    } else {
      title = t.failureTitle;
      // Own keys only: an outcome such as "constructor" must not reach the prototype.
      const outcome = (Object.hasOwn(t.failures, this.outcome) ? this.outcome : 'failed') as FailureOutcome;
      message = t.failures[outcome];
      const account = toSafeUrl(this.accountUrl);
      const close = () => (account ? this.finish('account', account, 'account') : this.finish('close'));
      const retryHelps = !RETRY_USELESS.includes(outcome);
      buttons = [
        this.button(t.close, !retryHelps, close),
        this.button(t.retry, retryHelps, () => this.finish('retry')),
      ];
      // Secondary first, primary last: the usual order for dialog buttons, and the tab order.
      if (!retryHelps) buttons.reverse();
    }
    return html`<dialog part="dialog" aria-labelledby="title" aria-describedby="message" @close=${this.onClose}>
      ${success ? successIcon : failureIcon}
      <h2 id="title" part="title">${title}</h2>
      <p id="message" part="body">${message}</p>
      <div class="actions">${buttons}</div>
    </dialog>`;
  }

  private button(label: string, primary: boolean, onClick: () => void): TemplateResult {
    return html`<button
      type="button"
      part=${primary ? 'button button-primary' : 'button'}
      class=${primary ? 'primary' : ''}
      ?autofocus=${primary}
      @click=${onClick}
    >${label}</button>`;
  }
}

// Colours come from the stylesheet (classes below): SVG presentation attributes cannot use var().
const successIcon = html`<svg class="icon" viewBox="0 0 44 44" aria-hidden="true">
  <circle class="disc" cx="22" cy="22" r="22" />
  <path class="mark" d="M13 22.5l6 6 12-13" />
</svg>`;

const failureIcon = html`<svg class="icon failure" viewBox="0 0 44 44" aria-hidden="true">
  <circle class="disc" cx="22" cy="22" r="22" />
  <path class="mark" d="M22 12v12M22 31.5v.5" />
</svg>`;

declare global {
  interface HTMLElementTagNameMap {
    'cartlink-result-dialog': CartlinkResultDialog;
  }
  interface GlobalEventHandlersEventMap {
    'cartlink:close': CustomEvent<DialogCloseDetail>;
  }
}
