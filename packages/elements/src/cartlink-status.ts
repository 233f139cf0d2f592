/**
 * @module `<cartlink-status>`: the status element of the seed's "Components" section. It shows whether
 * the shopper's account is linked to Instacart and whether their Instacart+ membership is active,
 * offers the matching button (Manage, Join, Link), and completes the link when the page loads with
 * the authorization callback in its address bar. "Link Instacart account" is a real form that POSTs
 * the session's CSRF token to the server's authorize endpoint, which starts the link and answers 303
 * to Instacart: showing the element never starts a link.
 *
 * @see https://docs.instacart.com/connect (account linking how-to), "Status element" and "Check for authorization"
 */
import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { CartlinkResultDialog } from './cartlink-result-dialog.js';
import {
  type CallbackParams,
  type LinkAttempt,
  postLinkCallback,
  takeCallbackParams,
  takeReportedOutcome,
} from './link-callback.js';
import {
  announceNavigation,
  assignLocation,
  type Navigate,
  type NavigateAction,
  requestNavigation,
  toSafeUrl,
  toSameOriginUrl,
} from './navigation.js';
import {
  type FailureOutcome,
  isStatusState,
  type LinkOutcome,
  parseStatusView,
  type StatusState,
  type StatusView,
} from './status-view.js';
import { formatExpiryDate, type Locale, resolveLocale, STRINGS } from './strings.js';
import { baseStyles } from './styles.js';

/** Where "Manage Instacart+" goes unless `manage-url` or the server says otherwise (from the seed). */
export const DEFAULT_MANAGE_URL = 'https://www.instacart.com/store/account/instacart-plus';

/** Where "Join Instacart+" goes unless `join-url` or the server says otherwise (from the seed). */
export const DEFAULT_JOIN_URL = 'https://www.instacart.com/signup?next=%2Fstore%2Faccount%2Finstacart-plus';

/** Detail of `cartlink:state-change`. */
export interface StateChangeDetail {
  /** The state now shown. */
  state: StatusState;
}

/** Detail of `cartlink:linked`, dispatched when the callback linked the accounts. */
export interface LinkedDetail {
  /** Always `linked`. */
  outcome: 'linked';
  /** The status the link endpoint answered with, now shown. */
  status: StatusView;
}

/** The name of the Link form's CSRF field, which the server's authorize endpoint checks. */
export const CSRF_FIELD = '_csrf';

/**
 * Detail of `cartlink:failed`, dispatched when the callback did not link the accounts, or when the
 * page was loaded with an outcome the server reported (`cartlink_outcome=throttled` or `failed`).
 */
export interface FailedDetail {
  /** How it failed; the failure dialog shows that outcome's message. */
  outcome: FailureOutcome;
}

/**
 * The account linking status element.
 *
 * Attributes (each also a camelCase property): `state` (reflected: `loading`, `linked-active`,
 * `linked-inactive`, `unlinked`, `unavailable`), `expired-at`, `authorize-endpoint`, `csrf-token`,
 * `manage-url`, `join-url`, `locale`, `shop-name`, `status-src`, `link-endpoint`, `dialog`. Property
 * only: `navigate`.
 *
 * Events (all bubble and cross shadow roots): `cartlink:state-change`, `cartlink:linked`,
 * `cartlink:failed`, and the cancelable `cartlink:navigate` (for Link, before the form posts;
 * canceling it stops the post, so a single-page app can start the link its own way).
 *
 * Parts: `container`, `title`, `body`, `button`, `button-primary`, `expiry`.
 *
 * @example
 * ```html
 * <cartlink-status status-src="/cartlink/status" link-endpoint="/cartlink/link"
 *   authorize-endpoint="/cartlink/authorize" csrf-token="{session's CSRF token}"
 *   dialog="cartlink-result" shop-name="Corner Market"></cartlink-status>
 * <cartlink-result-dialog id="cartlink-result" shop-name="Corner Market"></cartlink-result-dialog>
 * ```
 */
export class CartlinkStatus extends LitElement {
  /** @internal Lit's reactive property declarations; the properties below document themselves. */
  static override properties = {
    state: { reflect: true },
    expiredAt: { attribute: 'expired-at' },
    authorizeEndpoint: { attribute: 'authorize-endpoint' },
    csrfToken: { attribute: 'csrf-token' },
    manageUrl: { attribute: 'manage-url' },
    joinUrl: { attribute: 'join-url' },
    locale: {},
    shopName: { attribute: 'shop-name' },
    statusSrc: { attribute: 'status-src' },
    linkEndpoint: { attribute: 'link-endpoint' },
    dialog: {},
    linkBusy: { state: true },
  };

  /**
   * The element's styles, constructed stylesheets adopted by its shadow root. Theme it with the
   * `--cartlink-*` custom properties and its `::part()`s rather than by replacing these.
   */
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      .card {
        box-sizing: border-box;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        padding: var(--_pad);
        box-shadow: 0 1px 3px rgb(0 0 0 / 0.06);
      }
      .eyebrow {
        display: inline-block;
        margin: 0 0 10px;
        padding: 2px 10px;
        border-radius: 999px;
        background: var(--cartlink-accent-soft, #e9f6ed);
        color: var(--_accent);
        font-size: 0.8rem;
        font-weight: 700;
      }
      .promo {
        font-weight: 600;
        color: var(--_accent);
      }
      .hint {
        color: var(--_muted);
        font-size: 0.875rem;
      }
      .loading {
        display: flex;
        align-items: center;
        gap: 12px;
        color: var(--_muted);
        min-height: 3rem;
      }
      form {
        display: contents;
      }
      .loading .spinner {
        width: 1.5rem;
        height: 1.5rem;
        border-width: 3px;
        color: var(--_accent);
      }
    `,
  ];

  /**
   * The state shown; set by the server's HTML, by `status-src`, or by the callback. The `state`
   * attribute, reflected; an unknown value shows as `loading`.
   * @default 'loading'
   */
  declare state: StatusState;
  /**
   * ISO 8601 instant the membership expires, shown as a date in `linked-active`; the `expired-at`
   * attribute.
   * @default null
   */
  declare expiredAt: string | null;
  /**
   * URL of the server's authorize endpoint (`POST`, form with `_csrf`), which starts a link and
   * answers 303 to Instacart; the `authorize-endpoint` attribute. Must be on the page's origin: the
   * form carries the CSRF token. Without it, "Link Instacart account" posts nothing and the failure
   * dialog opens.
   * @default ''
   */
  declare authorizeEndpoint: string;
  /**
   * The session's CSRF token, posted as `_csrf` with the Link form; the `csrf-token` attribute.
   * @default ''
   */
  declare csrfToken: string;
  /**
   * Where "Manage Instacart+" goes; the `manage-url` attribute, replaced by the server's `manageUrl`
   * when a status view carries one.
   * @default DEFAULT_MANAGE_URL
   */
  declare manageUrl: string;
  /**
   * Where "Join Instacart+" goes; the `join-url` attribute, replaced by the server's `joinUrl` when
   * a status view carries one.
   * @default DEFAULT_JOIN_URL
   */
  declare joinUrl: string;
  /**
   * `en-US`, `en-CA` or `fr-CA`; the `locale` attribute. Empty means `<html lang>` (any French is
   * fr-CA), then en-US.
   * @default ''
   */
  declare locale: string;
  /**
   * The shop's name in the sentences ("Your Corner Market account is linked..."); the `shop-name`
   * attribute. Empty uses a generic word ("shop").
   * @default ''
   */
  declare shopName: string;
  /**
   * URL of the server's status endpoint (GET, JSON {@link StatusView}); the `status-src` attribute.
   * Fetched when `state` is absent or `loading`, and by "Try again". Without it, "Try again" reloads
   * the page.
   * @default ''
   */
  declare statusSrc: string;
  /**
   * URL of the server's link endpoint (POST, JSON {@link CallbackParams}, answering a `LinkResult`);
   * the `link-endpoint` attribute. Without it, the element leaves an
   * authorization callback in the address bar alone.
   * @default ''
   */
  declare linkEndpoint: string;
  /**
   * Id of the `<cartlink-result-dialog>` that shows the link result; the `dialog` attribute.
   * @default ''
   */
  declare dialog: string;
  declare private linkBusy: boolean;

  /**
   * How buttons leave the page; replace it in single-page apps and tests.
   * @default location.assign
   */
  navigate: Navigate = assignLocation;

  // Reconnecting (moving the element in the DOM) must not fetch or post again.
  private started = false;
  // The last state announced with `cartlink:state-change` (or the one the element started with).
  private knownState: StatusState | undefined;
  // Only the newest status request may change what is shown.
  private requestSeq = 0;

  constructor() {
    super();
    this.state = 'loading';
    this.expiredAt = null;
    this.authorizeEndpoint = '';
    this.csrfToken = '';
    this.manageUrl = DEFAULT_MANAGE_URL;
    this.joinUrl = DEFAULT_JOIN_URL;
    this.locale = '';
    this.shopName = '';
    this.statusSrc = '';
    this.linkEndpoint = '';
    this.dialog = '';
    this.linkBusy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const firstConnect = !this.started;
    this.started = true;
    if (firstConnect) this.knownState = isStatusState(this.state) ? this.state : 'loading';
    // The callback is read synchronously here, before any await, so the address bar is cleaned
    // before the first request leaves and before a second element can read it.
    const callback = this.linkEndpoint ? takeCallbackParams() : undefined;
    const reported = takeReportedOutcome();
    window.addEventListener('pageshow', this.onPageShow);
    if (callback) {
      void this.completeLink(callback);
      return;
    }
    if (firstConnect && this.knownState === 'loading' && this.statusSrc) {
      // A state rendered by the server is already right: no request then.
      void this.refresh();
    }
    if (reported) void this.reportOutcome(reported);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pageshow', this.onPageShow);
  }

  // Back from Instacart through the browser's page cache: the page is as it was left, Link busy.
  private readonly onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this.linkBusy = false;
  };

  /**
   * Fetches `status-src` again and shows the answer (`unavailable` when it fails): what "Try again"
   * does. Without `status-src` it reloads the page, whose server renders the status.
   */
  async refresh(): Promise<void> {
    if (!this.statusSrc) {
      this.go(window.location.href, 'reload');
      return;
    }
    this.state = 'loading';
    const seq = ++this.requestSeq;
    const view = await this.fetchStatus();
    if (seq === this.requestSeq) this.applyStatus(view);
  }

  /**
   * Shows a status view (`undefined` shows `unavailable`), for pages that get the status some other
   * way than `status-src`.
   */
  applyStatus(view: StatusView | undefined): void {
    if (!view) {
      this.state = 'unavailable';
      return;
    }
    this.state = view.state;
    this.expiredAt = view.expiredAt;
    if (view.manageUrl) this.manageUrl = view.manageUrl;
    if (view.joinUrl) this.joinUrl = view.joinUrl;
  }

  private async fetchStatus(): Promise<StatusView | undefined> {
    try {
      const response = await fetch(this.statusSrc, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      return response.ok ? parseStatusView(await response.json()) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Completes an authorization callback: shows `loading`, posts it with {@link postLinkCallback},
   * shows the status the server answered with (or fetches `status-src`; `unavailable` without either),
   * opens the result dialog (`dialog`), and dispatches `cartlink:linked` or `cartlink:failed`. The
   * element does this itself for a callback it finds in the address bar when it has a
   * `link-endpoint`. A page that reads the callback itself with {@link takeCallbackParams} (as
   * `useLinkCallback` of `@cartlink/react` does) hands it over here, and the element shows it the same
   * way; a status request still on its way is then ignored.
   *
   * @param params - The callback, as {@link takeCallbackParams} returned it. Post each one once.
   * @param linkEndpoint - Where to post it; the element's `link-endpoint` unless given (a page that
   *   reads the callback itself leaves that attribute unset, or the element would take it first).
   * @returns How the attempt ended, and the status the server answered with.
   */
  async completeLink(params: CallbackParams, linkEndpoint: string = this.linkEndpoint): Promise<LinkAttempt> {
    this.state = 'loading';
    const seq = ++this.requestSeq;
    const attempt = await postLinkCallback(linkEndpoint, params);
    const status = attempt.status ?? (this.statusSrc ? await this.fetchStatus() : undefined);
    if (seq === this.requestSeq) this.applyStatus(status);
    const { outcome } = attempt;
    await this.openDialog(outcome);
    if (outcome === 'linked' && status) {
      this.emit<LinkedDetail>('cartlink:linked', { outcome, status });
    } else {
      this.emit<FailedDetail>('cartlink:failed', { outcome: outcome === 'linked' ? 'failed' : outcome });
    }
    return attempt;
  }

  /** Shows an outcome the server reported in the address bar (a link start it refused). */
  private async reportOutcome(outcome: FailureOutcome): Promise<void> {
    await this.openDialog(outcome);
    this.emit<FailedDetail>('cartlink:failed', { outcome });
  }

  private async openDialog(outcome: LinkOutcome): Promise<void> {
    if (!this.dialog) return;
    const root = this.getRootNode() as Document | ShadowRoot;
    const target = root.getElementById(this.dialog) ?? document.getElementById(this.dialog);
    if (target?.localName !== 'cartlink-result-dialog') return;
    // The dialog's definition may load after this element's; wait for it rather than miss it.
    await customElements.whenDefined('cartlink-result-dialog');
    const dialog = target as CartlinkResultDialog;
    dialog.open({ result: outcome === 'linked' ? 'success' : 'failure', outcome });
    // "Try again" in the dialog means "link again": put the shopper on the Link button.
    dialog.addEventListener(
      'cartlink:close',
      (event) => {
        if (event.detail.action === 'retry') void this.focusLinkButton();
      },
      { once: true },
    );
  }

  private async focusLinkButton(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('button[data-action="link"]')?.focus();
  }

  /**
   * The Link form is about to post. Lets a `cartlink:navigate` listener cancel it, then lets the
   * browser post: the server starts the link and answers 303 to Instacart.
   */
  private onLinkSubmit(event: SubmitEvent): void {
    // One press, one link transaction: a second press while the first post is on its way does nothing.
    if (this.linkBusy) {
      event.preventDefault();
      return;
    }
    const endpoint = toSameOriginUrl(this.authorizeEndpoint);
    if (!endpoint || !this.csrfToken) {
      // A page without an authorize endpoint or a token cannot start a link: say so rather than post
      // the form somewhere else, or without its token.
      event.preventDefault();
      console.error('<cartlink-status>: set authorize-endpoint (same origin) and csrf-token to link');
      void this.openDialog('failed');
      return;
    }
    if (!announceNavigation(this, endpoint, 'link')) {
      event.preventDefault();
      return;
    }
    this.linkBusy = true;
  }

  private go(url: string, action: NavigateAction): void {
    requestNavigation(this, this.navigate, url, action);
  }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private get resolvedLocale(): Locale {
    // No document when the server renders the element (`@cartlink/elements/ssr`, which always sets
    // `locale`): render() must not touch one there.
    return resolveLocale(this.locale || globalThis.document?.documentElement.lang);
  }

  protected override willUpdate(changed: PropertyValues): void {
    // An unknown state (a typo in server HTML) shows as loading rather than as nothing.
    if (changed.has('state') && !isStatusState(this.state)) this.state = 'loading';
  }

  protected override updated(): void {
    // Compared with the state at first connect (the server's), not with the last render: a callback
    // turns a server-rendered state into `loading` before anything has rendered, and that is a change.
    if (this.state !== this.knownState) {
      this.knownState = this.state;
      this.emit<StateChangeDetail>('cartlink:state-change', { state: this.state });
    }
  }

  protected override render(): TemplateResult {
    const locale = this.resolvedLocale;
    const strings = STRINGS[locale];
    const t = strings.status;
    const state = this.state;
    if (state === 'loading') {
      return html`<div part="container" class="card loading">
        <span class="spinner" role="progressbar" aria-busy="true" aria-label=${t.loading}></span>
        <span aria-hidden="true">${t.loading}…</span>
      </div>`;
    }
    const shop = this.shopName || strings.shop;
    const manage = () => this.go(toSafeUrl(this.manageUrl) ?? DEFAULT_MANAGE_URL, 'manage');
    const join = () => this.go(toSafeUrl(this.joinUrl) ?? DEFAULT_JOIN_URL, 'join');
    let body: unknown;
    let actions: unknown;
    if (state === 'linked-active') {
      const date = formatExpiryDate(this.expiredAt, locale);
      const [before, after] = t.expiry.split('{date}');
      body = html`<p>${t.linkedActive(shop)}</p>
        ${date ? html`<p part="expiry">${before}<time datetime=${this.expiredAt ?? ''}>${date}</time>${after}</p>` : nothing}
        <p class="hint">${t.unlinkHint}</p>`;
      actions = this.button(t.manage, 'manage', true, manage);
    } else if (state === 'linked-inactive') {
      body = html`<p>${t.linkedInactive(shop)}</p>
        <p class="hint">${t.unlinkHint}</p>`;
      actions = this.button(t.join, 'join', true, join);
    } else if (state === 'unlinked') {
      body = html`<p>${t.unlinked(shop)}</p>
        <p class="promo">${t.promo}</p>`;
      actions = [this.linkForm(t.link), this.button(t.join, 'join', false, join)];
    } else {
      body = html`<p>${t.unavailable}</p>`;
      actions = this.button(t.retry, 'retry', true, () => this.refresh());
    }
    return html`<section part="container" class="card" aria-labelledby="title">
      <p class="eyebrow">${t.eyebrow}</p>
      <h2 id="title" part="title">${t.titles[state]}</h2>
      <div part="body">${body}</div>
      <div class="actions">${actions}</div>
    </section>`;
  }

  /** "Link Instacart account": a form that posts the CSRF token to the authorize endpoint. */
  private linkForm(label: string): TemplateResult {
    const busy = this.linkBusy;
    return html`<form method="post" action=${this.authorizeEndpoint} @submit=${this.onLinkSubmit}>
      <input type="hidden" name=${CSRF_FIELD} value=${this.csrfToken}>
      <button
        type="submit"
        part="button button-primary"
        class="primary"
        data-action="link"
        aria-busy=${busy ? 'true' : nothing}
        aria-disabled=${busy ? 'true' : nothing}
      >${busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${label}</button>
    </form>`;
  }

  private button(label: string, action: string, primary: boolean, onClick: () => unknown): TemplateResult {
    return html`<button
      type="button"
      part=${primary ? 'button button-primary' : 'button'}
      class=${primary ? 'primary' : ''}
      data-action=${action}
      @click=${onClick}
    >${label}</button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cartlink-status': CartlinkStatus;
  }
  // Global handlers' map, so that document and window listeners are typed too: the events bubble
  // and cross shadow roots.
  interface GlobalEventHandlersEventMap {
    'cartlink:state-change': CustomEvent<StateChangeDetail>;
    'cartlink:linked': CustomEvent<LinkedDetail>;
    'cartlink:failed': CustomEvent<FailedDetail>;
  }
}
