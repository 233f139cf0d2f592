/**
 * @module The Cartlink web components: `<cartlink-status>` and `<cartlink-result-dialog>`, registered
 * on import, with their types and strings. Framework-agnostic: drop the tags into any page.
 *
 * @example
 * ```html
 * <script type="module" src="/cartlink-elements.js"></script>
 * <cartlink-status status-src="/cartlink/status" link-endpoint="/cartlink/link"
 *   authorize-endpoint="/cartlink/authorize" csrf-token="{session's CSRF token}"
 *   dialog="cartlink-result"></cartlink-status>
 * <cartlink-result-dialog id="cartlink-result"></cartlink-result-dialog>
 * ```
 */
// First: it must run before Lit's LitElement module, so that elements whose shadow root the server
// rendered (`@cartlink/elements/ssr`) hydrate it instead of rendering over it.
import '@lit-labs/ssr-client/lit-element-hydrate-support.js';
import { CartlinkResultDialog } from './cartlink-result-dialog.js';
import { CartlinkStatus } from './cartlink-status.js';

export {
  CartlinkResultDialog,
  type DialogCloseAction,
  type DialogCloseDetail,
  type DialogResult,
  type OpenDialogOptions,
} from './cartlink-result-dialog.js';
export {
  CartlinkStatus,
  CSRF_FIELD,
  DEFAULT_JOIN_URL,
  DEFAULT_MANAGE_URL,
  type FailedDetail,
  type LinkedDetail,
  type StateChangeDetail,
} from './cartlink-status.js';
export {
  CALLBACK_STASH_ATTRIBUTE,
  type CallbackParams,
  LINK_OUTCOME_PARAM,
  type LinkAttempt,
  postLinkCallback,
  takeCallbackParams,
} from './link-callback.js';
export type { Navigate, NavigateAction, NavigateDetail } from './navigation.js';
export {
  type FailureOutcome,
  LINK_OUTCOMES,
  type LinkOutcome,
  type LinkResult,
  type LinkState,
  type LinkStateReason,
  parseLinkResult,
  parseStatusView,
  type ReportedOutcome,
  type ServerStatusState,
  STATUS_STATES,
  type StatusState,
  type StatusView,
} from './status-view.js';
export {
  type ElementStrings,
  formatExpiryDate,
  LOCALES,
  type Locale,
  resolveLocale,
  STRINGS,
} from './strings.js';

/**
 * Registers both elements under their tag names. Safe to call more than once, and safe when another
 * copy of this bundle registered them first (a second `customElements.define` would throw).
 */
export function defineCartlinkElements(): void {
  if (!customElements.get('cartlink-status')) customElements.define('cartlink-status', CartlinkStatus);
  if (!customElements.get('cartlink-result-dialog')) {
    customElements.define('cartlink-result-dialog', CartlinkResultDialog);
  }
}

defineCartlinkElements();
