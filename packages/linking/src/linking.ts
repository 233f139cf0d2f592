/**
 * @module The seed's flow on the server, framework-agnostic: status, link start, link completion and
 * membership verification for the session's shopper. Reading a status never writes a link
 * transaction; only {@link Linking.startLink}, on the shopper's request, does.
 * @see https://docs.instacart.com/connect (account linking how-to), "Check for authorization",
 *   "Update the status element", "Link customer accounts"
 */
import {
  AlreadyLinkedError,
  type AuthorizationResponse,
  AuthorizationResponseError,
  type ConnectClient,
  ConnectError,
  ConnectNetworkError,
  ConnectOAuthError,
  ConnectTimeoutError,
  ConnectUnavailableError,
  type CreateUserInput,
  InvalidClientError,
  InvalidLinkingTokenError,
  parseAuthorizationResponse,
  RateLimitedError,
  UserAlreadyExistsError,
  UserNotActiveError,
  UserNotFoundError,
  UserNotLinkedError,
} from '@cartlink/connect';
import { LinkingConfigError } from './errors.js';
import { beginLinkTransaction, consumeLinkTransaction, type LinkingSubject } from './link-transactions.js';
import type { LinkFailureDetail, LinkOutcome } from './outcomes.js';
import { createInstacartWebLinks, deriveLinkState, type StatusView } from './status.js';
import type { LinkingStorage, MembershipVerification } from './storage/types.js';

/** The shopper's details Instacart needs to create a Connect user (seed: "create Connect user account"). */
export type ConnectUserProfile = Omit<CreateUserInput, 'userId'>;

/**
 * Options of {@link createLinking}. `toLinkingOptions` of `@cartlink/linking/config` makes the ones
 * the configuration decides from the `CONNECT_*` variables.
 */
export interface LinkingOptions {
  /** The Connect client, from `createConnectClient` of `@cartlink/connect`; one per process. */
  connect: ConnectClient;
  /** Where link transactions, verifications, link records and the ledger live. */
  storage: LinkingStorage;
  /** The authorization URL Instacart gave the retailer (`<instacart_auth_endpoint>`). */
  authorizationEndpoint: string;
  /**
   * The Connect OAuth application's client id, sent in the authorization URL. During a credential
   * rotation (a `connect` client made with `nextCredentials`), the URL carries instead the client id
   * that client takes its tokens from (`connect.credentialsInUse()`); see {@link Linking.startLink}.
   */
  clientId: string;
  /** The redirect URI registered with Instacart: the account profile page. */
  redirectUri: string;
  /** Send a PKCE challenge (RFC 7636, S256) with every authorization request. */
  usePkce: boolean;
  /**
   * RFC 9207: the authorization server's issuer identifier. When set, an `iss` in the callback must
   * equal it; with `requireIssuer`, a callback without `iss` is refused too. Unset: `iss` is not checked.
   */
  issuer?: string;
  /**
   * Refuse a callback without `iss`, for an authorization server known to send it. Needs `issuer`
   * ({@link LinkingConfigError} otherwise).
   * @default false
   */
  requireIssuer?: boolean;
  /**
   * Base of Instacart's website, for the manage and join links.
   * @default "https://www.instacart.com"
   */
  instacartWebUrl?: string;
  /** Looks up the shopper's name (and optional phone and locale) to create their Connect user. */
  loadConnectUserProfile: (userId: string) => Promise<ConnectUserProfile>;
  /**
   * How long a link transaction waits for the shopper's return, in seconds.
   * @default 600
   */
  linkTransactionTtlSeconds?: number;
  /**
   * How long a verification serves ordinary page loads without asking Connect, in seconds. Sign-in
   * and checkout always ask.
   * @default 60
   */
  verificationFreshnessSeconds?: number;
  /**
   * The clock of link transactions and verifications.
   * @default () => new Date()
   */
  now?: () => Date;
  /**
   * Told of each link started and completed, each verification, and each unlink Instacart reports,
   * for logs, metrics and audit trails. Never carries a secret (no state, code, verifier or token).
   */
  onEvent?: (event: LinkingEvent) => void;
  /**
   * Runs each {@link Linking.completeLink} inside the caller's scope, for tracing: it must call `run`
   * once and return (or rethrow) what it gives. `@cartlink/linking/opentelemetry` passes one that opens
   * the `cartlink.link.complete` span, so that the completion's Connect calls become its children.
   * @default run => run()
   */
  wrapLinkCompletion?: (run: () => Promise<LinkResult>) => Promise<LinkResult>;
}

/** What {@link LinkingOptions.onEvent} is told. Every event names the user and nothing secret. */
export type LinkingEvent =
  /** {@link Linking.startLink} created a link transaction: the shopper pressed "Link Instacart account". */
  | {
      /** The event. */
      type: 'link-started';
      /** The shopper's user id. */
      userId: string;
    }
  /** {@link Linking.completeLink} finished, whatever the outcome. */
  | {
      /** The event. */
      type: 'link-completed';
      /** The shopper's user id. */
      userId: string;
      /** How the link attempt ended. */
      outcome: LinkOutcome;
      /** Which check or call decided a failure; null on success. */
      detail: LinkFailureDetail | null;
      /** How long the completion took, in ms: the callback's checks, Connect's calls and the status after. */
      durationMs: number;
    }
  /**
   * A verification found the user not linked (or without a Connect user) although the retailer's link
   * record said linked: the link was undone at Instacart (customer service). Emitted once per unlink.
   */
  | {
      /** The event. */
      type: 'unlink-noticed';
      /** The shopper's user id. */
      userId: string;
    }
  /** Connect answered a membership verification. */
  | {
      /** The event. */
      type: 'membership-verified';
      /** The shopper's user id. */
      userId: string;
      /** What Connect said. */
      result: MembershipVerification['result'];
      /** How long Connect took to answer, retries included, in ms. */
      durationMs: number;
    }
  /** Connect could not be reached for a verification; the stored one (if any) was used. */
  | {
      /** The event. */
      type: 'membership-unverifiable';
      /** The shopper's user id. */
      userId: string;
      /** The `code` of the Connect error, e.g. `timeout`. */
      errorCode: string;
      /** How long the attempt to ask Connect took before it failed, retries included, in ms. */
      durationMs: number;
    };

/** The answer to a callback: the outcome for the dialog and the status to show under it. */
export interface LinkResult {
  /** How the link attempt ended: the results dialog shows it. */
  outcome: LinkOutcome;
  /** Which check or call decided a failure; null on success. */
  detail: LinkFailureDetail | null;
  /** The shopper's status after the attempt, for the status element. */
  status: StatusView;
}

/** The query parameters Instacart appended to the redirect URI, as the browser sent them on. */
export interface AuthorizationCallback {
  /** `code`: the authorization code, after Allow. */
  code?: string | undefined;
  /** `state`: the link transaction's state, echoed back. */
  state?: string | undefined;
  /** `iss`: the authorization server's issuer (RFC 9207), when it sends one. */
  iss?: string | undefined;
  /** `error`: e.g. `access_denied` after Deny. */
  error?: string | undefined;
  /** `error_description`: text from the authorization server; never shown or logged as it is. */
  errorDescription?: string | undefined;
}

/** Options of {@link Linking.startLink}. */
export interface StartLinkOptions {
  /**
   * The redirect URI for this transaction, when the retailer registered more than one with Instacart.
   * @default linking.options.redirectUri
   */
  redirectUri?: string;
}

/** The linking core, made by {@link createLinking}: the seed's flow for the session's shopper. */
export interface Linking {
  /**
   * The subject's status for an ordinary page load: a verification younger than the freshness window
   * is reused, otherwise Connect is asked. Starts no link transaction: reading a status never creates
   * state that a shopper did not ask for.
   */
  getStatus(
    subject: LinkingSubject,
    options?: {
      /**
       * Ask Connect even when a verification younger than the freshness window is stored.
       * @default false
       */
      fresh?: boolean;
      /** The shopper's locale, for Connect's answer. */
      locale?: Locale;
    },
  ): Promise<StatusView>;
  /**
   * Starts a link: creates a link transaction (single-use state and, with PKCE, a code verifier) bound
   * to the subject's session and returns the authorization URL that carries it. Call it only when the
   * shopper asked to link (the handler's `POST {basePath}/authorize`), never on a page load. Purges
   * expired transactions now and then.
   *
   * The URL carries `options.clientId`. During a credential rotation (the Connect client holds two
   * sets) it carries the client id in use instead, after making sure that a fulfillment token has
   * been fetched (from the cache, nearly always, or with one token request), so that the id is one
   * Connect accepted, not a guess; when Connect cannot be reached for it, the set last seen working
   * (the current one, before any token). The transaction keeps that id: the code is exchanged with
   * its application's credentials.
   * @example
   * const { authorizationUrl } = await linking.startLink({ sessionId, userId });
   * return Response.redirect(authorizationUrl, 303);
   * @see https://docs.instacart.com/connect (account linking how-to), "Authorization URL"
   */
  startLink(
    subject: LinkingSubject,
    options?: StartLinkOptions,
  ): Promise<{
    /** Instacart's authorization URL with the state (and PKCE challenge): redirect the shopper to it. */
    authorizationUrl: string;
  }>;
  /** Always asks Connect: for sign-in and checkout, as the seed's best practices say. */
  verifyMembership(subject: LinkingSubject, options?: { locale?: Locale }): Promise<StatusView>;
  /**
   * Completes the link from the callback's parameters: checks the state, exchanges the code, links.
   * The code is exchanged with the credentials of the application the transaction's authorization URL
   * named. When that application has been disabled since (a credential rotation finished while the
   * shopper was at Instacart), or the shop no longer holds its credentials, the outcome is `failed`
   * (`client-rejected`): the dialog says to try again, and the next {@link Linking.startLink} uses the
   * set in use.
   */
  completeLink(
    subject: LinkingSubject,
    callback: AuthorizationCallback,
    options?: { locale?: Locale },
  ): Promise<LinkResult>;
  /**
   * The latest verification stored for the user, asking Connect first when `fresh`. When Connect
   * cannot be reached the stored one is returned with `reachable: false`.
   */
  getVerification(userId: string, options: { fresh: boolean; locale?: Locale }): Promise<VerificationLookup>;
  /** Removes link transactions that have expired. Called on its own now and then; exposed for jobs. */
  deleteExpiredLinkTransactions(): Promise<number>;
  /** The options it was made with, defaults filled in. */
  readonly options: Readonly<ResolvedLinkingOptions>;
}

/** What {@link Linking.getVerification} found. */
export interface VerificationLookup {
  /** The latest verification (fresh, or stored), or null when there has never been one. */
  verification: MembershipVerification | null;
  /** False when Connect could not be reached and `verification` is the stored one. */
  reachable: boolean;
  /**
   * True when this call's verification removed the retailer's link record: the link was undone at
   * Instacart, and this call is where the shop learns it (the `unlink-noticed` event is emitted too).
   * Of the calls that see one unlink, exactly one says so.
   */
  unlinkNoticed: boolean;
}

/** The shopper's locale, for Connect's answers (`Accept-Language`) and the elements' texts. */
export type Locale = 'en-US' | 'en-CA' | 'fr-CA';

/** {@link LinkingOptions} with every default filled in, as {@link Linking.options} holds them. */
export type ResolvedLinkingOptions = Required<
  Omit<LinkingOptions, 'issuer' | 'onEvent' | 'wrapLinkCompletion'>
> &
  Pick<LinkingOptions, 'issuer' | 'onEvent' | 'wrapLinkCompletion'>;

/** Purge expired link transactions after this many link starts, so the table stays small without a job. */
const PURGE_EVERY_N_TRANSACTIONS = 100;

/** The failure each rule of the authorization response that a callback can break is reported as. */
const RESPONSE_REJECTION_DETAIL: Record<AuthorizationResponseError['reason'], LinkFailureDetail> = {
  issuer_mismatch: 'issuer-mismatch',
  missing_issuer: 'issuer-missing',
  no_code_or_error: 'code-missing',
  code_and_error: 'authorization-error',
  // A callback holds one value a name, and a callback without a state never gets this far.
  duplicate_parameter: 'authorization-error',
  missing_state: 'state-missing',
};

/** The callback's parameters under their OAuth names, for `parseAuthorizationResponse` of `@cartlink/connect`. */
function toAuthorizationResponseParams(callback: AuthorizationCallback): URLSearchParams {
  const params = new URLSearchParams();
  const { code, state, iss, error } = callback;
  for (const [name, value] of Object.entries({ code, state, iss, error })) {
    if (value !== undefined) params.set(name, value);
  }
  return params;
}

/**
 * Creates the linking core.
 * @example
 * const linking = createLinking({
 *   connect, storage,
 *   authorizationEndpoint: env.CONNECT_AUTH_URL, clientId: env.CONNECT_CLIENT_ID,
 *   redirectUri: env.CONNECT_REDIRECT_URI, usePkce: true,
 *   loadConnectUserProfile: async (userId) => ({ firstName: (await users.get(userId)).firstName }),
 * });
 * const status = await linking.getStatus({ sessionId, userId });
 */
export function createLinking(options: LinkingOptions): Linking {
  const resolved: ResolvedLinkingOptions = {
    instacartWebUrl: 'https://www.instacart.com',
    linkTransactionTtlSeconds: 600,
    verificationFreshnessSeconds: 60,
    requireIssuer: false,
    now: () => new Date(),
    ...options,
  };
  if (resolved.requireIssuer && !resolved.issuer) {
    throw new LinkingConfigError('requireIssuer is set but no issuer is configured');
  }
  const { connect, storage } = resolved;
  const webLinks = createInstacartWebLinks(resolved.instacartWebUrl);
  let startsSincePurge = 0;

  const emit = (event: LinkingEvent): void => {
    try {
      resolved.onEvent?.(event);
    } catch {
      // A faulty listener must not break a shopper's flow.
    }
  };

  /**
   * Asks Connect and stores the answer; says whether storing it removed the link record. Throws a
   * ConnectError when Connect cannot answer.
   */
  async function fetchVerification(
    userId: string,
    locale: Locale | undefined,
  ): Promise<{ verification: MembershipVerification; unlinkNoticed: boolean }> {
    const verifiedAt = resolved.now();
    // A monotonic clock for the duration: `now` may be a test's (or the emulator's) movable clock.
    const started = performance.now();
    let verification: MembershipVerification;
    try {
      const status = await connect.getLinkStatus(userId, locale ? { acceptLanguage: locale } : undefined);
      verification = {
        userId,
        result: 'linked',
        instacartplusMember: status.instacartplusMember,
        expiredAt: status.expiredAt,
        verifiedAt,
      };
    } catch (error) {
      const result =
        error instanceof UserNotFoundError
          ? 'user-not-found'
          : error instanceof UserNotLinkedError
            ? 'not-linked'
            : error instanceof UserNotActiveError
              ? 'user-not-active'
              : null;
      if (result === null) throw error;
      verification = { userId, result, instacartplusMember: false, expiredAt: null, verifiedAt };
    }
    const durationMs = performance.now() - started;
    // Two statements, no transaction. The retailer's own record follows Instacart's answer: this is how
    // an unlink done through Instacart customer service (there is no webhook) reaches it. Each statement
    // is idempotent and depends on nothing read before it: the upsert saves this answer, and the
    // insert-if-absent or the delete makes the record say what this answer says, whatever it said
    // before. A failure between the two is corrected by the next verification (any page load after
    // the freshness window, every sign-in and checkout), which writes both again. Two verifications of
    // one user that race with different answers (the link changed at Instacart between their Connect
    // calls) can leave one's verification beside the other's record until the next verification; a
    // transaction would keep the pair consistent, but no more current, since the answer that commits
    // last need not be the newer one. What no interleaving can do: create a record from an answer
    // other than "linked", delete one on a "linked" answer, or report one unlink twice (only the delete
    // that removed the row reports it).
    await storage.verifications.save(verification);
    let unlinked = false;
    if (verification.result === 'linked') {
      // An existing record keeps its `linkedAt`: the link completed then, not now.
      await storage.linkRecords.confirmLinked(userId, verifiedAt);
    } else if (verification.result !== 'user-not-active') {
      unlinked = await storage.linkRecords.markUnlinked(userId);
    }
    emit({ type: 'membership-verified', userId, result: verification.result, durationMs });
    // Only the call that removed the record reports it, so one unlink is one event.
    if (unlinked) emit({ type: 'unlink-noticed', userId });
    return { verification, unlinkNoticed: unlinked };
  }

  async function getVerification(
    userId: string,
    options: { fresh: boolean; locale?: Locale },
  ): Promise<VerificationLookup> {
    if (!options.fresh) {
      const stored = await storage.verifications.get(userId);
      const ageMs = stored
        ? resolved.now().getTime() - stored.verifiedAt.getTime()
        : Number.POSITIVE_INFINITY;
      if (stored && ageMs >= 0 && ageMs < resolved.verificationFreshnessSeconds * 1000) {
        return { verification: stored, reachable: true, unlinkNoticed: false };
      }
    }
    // Connect failed before anything was stored, so this is the time spent asking it.
    const started = performance.now();
    try {
      return { ...(await fetchVerification(userId, options.locale)), reachable: true };
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      const durationMs = performance.now() - started;
      emit({ type: 'membership-unverifiable', userId, errorCode: error.code, durationMs });
      return {
        verification: await storage.verifications.get(userId),
        reachable: false,
        unlinkNoticed: false,
      };
    }
  }

  function buildStatusView(verification: MembershipVerification | null, reachable: boolean): StatusView {
    if (!reachable || verification === null) {
      return {
        state: 'unavailable',
        reason: 'connect-unreachable',
        expiredAt: null,
        ...webLinks,
        verifiedAt: verification?.verifiedAt.toISOString() ?? null,
      };
    }
    const { state, reason } = deriveLinkState(verification, resolved.now());
    return {
      state,
      reason,
      expiredAt: verification.result === 'linked' ? (verification.expiredAt?.toISOString() ?? null) : null,
      ...webLinks,
      verifiedAt: verification.verifiedAt.toISOString(),
    };
  }

  /**
   * The client id of a new authorization URL: the configured one with one credential set, as ever;
   * during a rotation, the one the Connect client takes its tokens from, once it has a token.
   */
  async function chooseAuthorizationClientId(): Promise<string> {
    if (connect.listClientIds().length < 2) return resolved.clientId;
    try {
      // Nearly always cached; otherwise the completion would have fetched it moments later anyway.
      await connect.getFulfillmentToken();
    } catch (error) {
      // Connect unreachable: the shopper may still get through, under the set last seen working.
      if (!(error instanceof ConnectError)) throw error;
    }
    return connect.credentialsInUse();
  }

  /**
   * The client id to exchange a transaction's code with: the transaction's own. Undefined (the
   * current set) for a transaction that kept none, or for the configured id when the client spells
   * its own differently, as before rotations; null when the shop holds no credentials for it.
   */
  function chooseExchangeClientId(transactionClientId: string | null | undefined): string | undefined | null {
    if (transactionClientId === null || transactionClientId === undefined) return undefined;
    if (connect.listClientIds().includes(transactionClientId)) return transactionClientId;
    if (transactionClientId === resolved.clientId) return undefined;
    return null;
  }

  async function startLink(
    subject: LinkingSubject,
    options: StartLinkOptions = {},
  ): Promise<{ authorizationUrl: string }> {
    const clientId = await chooseAuthorizationClientId();
    const now = resolved.now();
    const url = await beginLinkTransaction(
      storage.linkTransactions,
      subject,
      {
        authorizationEndpoint: resolved.authorizationEndpoint,
        clientId,
        redirectUri: options.redirectUri ?? resolved.redirectUri,
        usePkce: resolved.usePkce,
        ttlSeconds: resolved.linkTransactionTtlSeconds,
      },
      now,
    );
    emit({ type: 'link-started', userId: subject.userId });
    if (++startsSincePurge >= PURGE_EVERY_N_TRANSACTIONS) {
      startsSincePurge = 0;
      await storage.linkTransactions.deleteExpired(now);
    }
    return { authorizationUrl: url.toString() };
  }

  async function getStatus(
    subject: LinkingSubject,
    options: { fresh?: boolean; locale?: Locale } = {},
  ): Promise<StatusView> {
    const { verification, reachable } = await getVerification(subject.userId, {
      fresh: options.fresh ?? false,
      ...(options.locale ? { locale: options.locale } : {}),
    });
    return buildStatusView(verification, reachable);
  }

  /** Maps an error of the exchange or link calls to an outcome; rethrows what is not Connect's. */
  function classifyLinkError(error: unknown): { outcome: LinkOutcome; detail: LinkFailureDetail } {
    if (error instanceof AlreadyLinkedError) return { outcome: 'already-linked', detail: 'already-linked' };
    if (error instanceof UserNotActiveError) return { outcome: 'user-not-active', detail: 'user-not-active' };
    if (error instanceof InvalidLinkingTokenError)
      return { outcome: 'failed', detail: 'linking-token-rejected' };
    if (error instanceof InvalidClientError) return { outcome: 'failed', detail: 'client-rejected' };
    if (error instanceof ConnectOAuthError) return { outcome: 'failed', detail: 'code-rejected' };
    if (
      error instanceof ConnectNetworkError ||
      error instanceof ConnectTimeoutError ||
      error instanceof ConnectUnavailableError ||
      error instanceof RateLimitedError
    ) {
      return { outcome: 'unavailable', detail: 'connect-unreachable' };
    }
    if (error instanceof ConnectError) return { outcome: 'failed', detail: 'unexpected-response' };
    throw error;
  }

  async function createConnectUser(userId: string): Promise<void> {
    const profile = await resolved.loadConnectUserProfile(userId);
    try {
      await connect.createUser({ userId, ...profile });
    } catch (error) {
      // Someone (another tab, another instance) created it first: that is what we wanted.
      if (!(error instanceof UserAlreadyExistsError)) throw error;
    }
  }

  /**
   * Links with the linking token: the seed's sequence, minus one call when the last status call
   * already said `User Not Found` (create first, then link: three Connect calls, not four).
   */
  async function linkWithToken(userId: string, linkingToken: string): Promise<void> {
    const last = await storage.verifications.get(userId);
    if (last?.result === 'user-not-found') {
      await createConnectUser(userId);
      await connect.linkUser(userId, linkingToken);
      return;
    }
    try {
      await connect.linkUser(userId, linkingToken);
    } catch (error) {
      if (!(error instanceof UserNotFoundError)) throw error;
      await createConnectUser(userId);
      await connect.linkUser(userId, linkingToken);
    }
  }

  async function completeLink(
    subject: LinkingSubject,
    callback: AuthorizationCallback,
    options: { locale?: Locale } = {},
  ): Promise<LinkResult> {
    const run = () => runCompleteLink(subject, callback, options);
    return resolved.wrapLinkCompletion ? resolved.wrapLinkCompletion(run) : run();
  }

  async function runCompleteLink(
    subject: LinkingSubject,
    callback: AuthorizationCallback,
    options: { locale?: Locale },
  ): Promise<LinkResult> {
    const started = performance.now();
    const finish = async (
      outcome: LinkOutcome,
      detail: LinkFailureDetail | null,
      statusOptions: { fresh: boolean },
    ): Promise<LinkResult> => {
      const status = await getStatus(subject, { ...statusOptions, ...options });
      // Connect said "linked" but its own status says otherwise: never show a success that the
      // shopper's next page would contradict (the refresh has already corrected the retailer's record).
      const contradicted = outcome === 'linked' && status.state === 'unlinked';
      const final = contradicted
        ? { outcome: 'failed' as const, detail: 'unexpected-response' as const }
        : { outcome, detail };
      emit({
        type: 'link-completed',
        userId: subject.userId,
        ...final,
        durationMs: performance.now() - started,
      });
      return { ...final, status };
    };

    const now = resolved.now();
    const consumed = await consumeLinkTransaction(storage.linkTransactions, subject, callback.state, now);
    if (!consumed.ok) {
      return finish('state-invalid', `state-${consumed.rejection}`, { fresh: false });
    }
    const { transaction } = consumed;

    // Connect's reading of the response also refuses one that names another authorization server
    // (RFC 9207, the mix-up attack), before its code or error is looked at.
    let response: AuthorizationResponse;
    try {
      response = parseAuthorizationResponse(toAuthorizationResponseParams(callback), {
        expectedIssuer: resolved.issuer,
        requireIssuer: resolved.requireIssuer,
      });
    } catch (error) {
      if (!(error instanceof AuthorizationResponseError)) throw error;
      return finish('failed', RESPONSE_REJECTION_DETAIL[error.reason], { fresh: false });
    }
    if ('error' in response) {
      return response.error === 'access_denied'
        ? finish('cancelled', 'access-denied', { fresh: false })
        : finish('failed', 'authorization-error', { fresh: false });
    }

    const exchangeClientId = chooseExchangeClientId(transaction.clientId);
    // Started under an application the shop no longer holds credentials for (its rotation is over):
    // Connect would refuse any exchange, so none is tried.
    if (exchangeClientId === null) return finish('failed', 'client-rejected', { fresh: false });
    try {
      // The code is exchanged once, here, and never retried: a second redemption would revoke the
      // tokens of the first (RFC 6749 §4.1.2).
      const linkingToken = await connect.exchangeAuthorizationCode({
        code: response.code,
        redirectUri: transaction.redirectUri,
        ...(transaction.codeVerifier === null ? {} : { codeVerifier: transaction.codeVerifier }),
        ...(exchangeClientId === undefined ? {} : { clientId: exchangeClientId }),
      });
      // The linking token lives only in this scope: it is never stored or logged.
      await linkWithToken(subject.userId, linkingToken.accessToken);
    } catch (error) {
      const { outcome, detail } = classifyLinkError(error);
      return finish(outcome, detail, { fresh: false });
    }
    await storage.linkRecords.markLinked(subject.userId, resolved.now());
    // The seed refreshes the status element after linking: ask Connect for the membership now.
    return finish('linked', null, { fresh: true });
  }

  return {
    getStatus,
    startLink,
    verifyMembership: (subject, options = {}) => getStatus(subject, { ...options, fresh: true }),
    completeLink,
    getVerification,
    deleteExpiredLinkTransactions: () => storage.linkTransactions.deleteExpired(resolved.now()),
    options: resolved,
  };
}
