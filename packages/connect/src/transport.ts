/**
 * One Connect call over `fetch`: headers, a timeout per attempt combined with the caller's signal,
 * retries with backoff where the call allows them, schema validation of the body, and one
 * `onRequest` event per attempt.
 */
import type { z } from 'zod';
import {
  type ConnectError,
  ConnectNetworkError,
  ConnectTimeoutError,
  ConnectUnavailableError,
  RateLimitedError,
  UnexpectedResponseError,
} from './errors.js';
import { mapErrorResponse } from './response-errors.js';
import { computeBackoffDelay, getRetryAfterCapMs, RETRYABLE_STATUSES, type RetryPolicy } from './retry.js';
import type { ConnectFetch } from './types.js';

/**
 * What `onRequest` receives after every attempt. Holds no secret: no header, no body, no query.
 *
 * @example
 * ```ts
 * createConnectClient({ ...options, onRequest: (event) => metrics.observe(event.route, event.durationMs) });
 * ```
 */
export interface ConnectRequestEvent {
  /**
   * Which client call this attempt belongs to: tells apart the two uses of the token endpoint (a
   * fulfillment token refresh is `token.client_credentials`), for metrics and span names.
   */
  operation: ConnectOperation;
  /** HTTP method. */
  method: 'GET' | 'POST';
  /** Path below `baseUrl`, without query, e.g. `/v2/fulfillment/users/u-1/link`. */
  path: string;
  /** The path's template, e.g. `/v2/fulfillment/users/{user_id}/link`: low cardinality, for metrics. */
  route: string;
  /** Response status; absent when no response came (network error, timeout, abort). */
  status?: number;
  /** Time from sending to the body being read, in ms. */
  durationMs: number;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /** The failure's `ConnectError` code, or `aborted` when the caller's signal ended it; absent on success. */
  errorCode?: string;
  /**
   * Set on the attempts of a fulfillment token request made with the current credentials because
   * Connect refused the next ones (`invalid_client`), during a rotation: the same refresh as the
   * refused request before it, not a new one. Absent otherwise.
   */
  fallback?: true;
}

/**
 * The client call a request belongs to (see {@link ConnectRequestEvent.operation}): the grant of a
 * token request, or the endpoint. A closed list, so it is safe as a metric label.
 */
export type ConnectOperation =
  /** A fulfillment token for the cache (`getFulfillmentToken`, or a refresh before a call). */
  | 'token.client_credentials'
  /** The code exchange (`exchangeAuthorizationCode`). */
  | 'token.authorization_code'
  /** `revokeToken`. */
  | 'token.revoke'
  /** `getLinkStatus`. */
  | 'link.get'
  /** `linkUser`. */
  | 'link.create'
  /** `createUser`. */
  | 'user.create'
  /** `sandbox.createInstacartUser`. */
  | 'sandbox.instacart_user.create'
  /** `sandbox.authorize`. */
  | 'sandbox.authorize';

/** Resolved client settings the transport needs. */
export interface TransportConfig {
  /** Absolute base URL without a trailing slash; may hold a path prefix. */
  baseUrl: string;
  fetch: ConnectFetch;
  timeoutMs: number;
  retry: RetryPolicy;
  retailerId: string | undefined;
  acceptLanguage: string | undefined;
  now: () => number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  onRequest: ((event: ConnectRequestEvent) => void) | undefined;
  /** Secrets of the client itself (the client secret), removed from every text kept from Connect. */
  secrets: readonly string[];
}

/** One call. */
export interface RequestSpec {
  /** The client call, for events. */
  operation: ConnectOperation;
  method: 'GET' | 'POST';
  /** Path below `baseUrl`, already encoded, starting with `/`. */
  path: string;
  /** The path's template, for events. */
  route: string;
  /** Which kind of endpoint: decides what a 401 means. */
  endpoint: 'oauth' | 'fulfillment';
  /** JSON body; the only place credentials ever go. */
  body?: Record<string, unknown>;
  /** Bearer token for the Authorization header. */
  bearer?: string;
  /** Whether this call may be retried (docs/connect-api.md section 5). */
  retry: boolean;
  /** Secrets this call carries (codes, tokens, verifier, password). */
  secrets?: readonly string[];
  /** The caller's signal; its abort ends the call at once, without retries. */
  signal?: AbortSignal;
  /** Overrides the client's Accept-Language for this call. */
  acceptLanguage?: string;
  /** A token request with the current credentials after the next ones were refused (see the event's `fallback`). */
  fallback?: boolean;
}

type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: ConnectError; status?: number };

/** A retry with less time than this left could not reach Connect and back: it is not started. */
const MIN_USEFUL_ATTEMPT_MS = 25;

/**
 * Sends one call and returns its body as validated by `schema`, or throws a `ConnectError` (or
 * the caller's abort reason).
 *
 * @see docs/connect-api.md section 5 for what may be retried
 */
export async function sendRequest<T>(
  config: TransportConfig,
  spec: RequestSpec,
  schema: z.ZodType<T>,
): Promise<T> {
  const maxAttempts = spec.retry ? config.retry.maxAttempts : 1;
  // A monotonic clock: the budget is about time spent here, whatever `now` (a test's clock) says.
  const started = performance.now();
  const budgetMs = config.retry.budgetMs ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    const remainingMs = budgetMs - (performance.now() - started);
    const outcome = await runAttempt(
      config,
      spec,
      schema,
      attempt,
      Math.max(1, Math.min(config.timeoutMs, remainingMs)),
    );
    if (outcome.ok) return outcome.value;
    const { error, status } = outcome;
    const retryable =
      error instanceof ConnectNetworkError ||
      error instanceof ConnectTimeoutError ||
      (status !== undefined && RETRYABLE_STATUSES.has(status));
    if (!retryable || attempt >= maxAttempts) throw error;

    let delayMs = computeBackoffDelay(attempt, config.retry, config.random);
    const retryAfterSeconds =
      error instanceof RateLimitedError || error instanceof ConnectUnavailableError
        ? error.retryAfterSeconds
        : null;
    if (retryAfterSeconds !== null) {
      const retryAfterMs = retryAfterSeconds * 1000;
      // Waiting less than the server asked is pointless, waiting longer than the cap is too long for
      // a request path: give up now and let the error carry the server's answer.
      if (retryAfterMs > getRetryAfterCapMs(config.retry)) throw error;
      delayMs = retryAfterMs;
    }
    // No retry that could not finish within the budget: the caller hears of the failure now.
    if (budgetMs - (performance.now() - started) - delayMs < MIN_USEFUL_ATTEMPT_MS) throw error;
    await sleepUnlessAborted(config.sleep(delayMs), spec.signal);
  }
}

async function runAttempt<T>(
  config: TransportConfig,
  spec: RequestSpec,
  schema: z.ZodType<T>,
  attempt: number,
  timeoutMs: number,
): Promise<AttemptOutcome<T>> {
  const callerSignal = spec.signal;
  callerSignal?.throwIfAborted();

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forwardAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', forwardAbort, { once: true });

  const secrets = [...config.secrets, ...(spec.secrets ?? []), ...(spec.bearer ? [spec.bearer] : [])];
  const request = `${spec.method} ${spec.path}`;
  const started = performance.now();
  let status: number | undefined;
  let outcome: AttemptOutcome<T>;
  try {
    const response = await raceAbort(
      config.fetch(`${config.baseUrl}${spec.path}`, {
        method: spec.method,
        headers: buildHeaders(config, spec),
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: controller.signal,
        // A redirect would replay the body (credentials) to wherever it points: never follow one.
        redirect: 'manual',
      }),
      controller.signal,
    );
    status = response.status;
    // The body is read inside the timeout too: a server that sends headers and then stalls is a timeout.
    const text = await raceAbort(response.text(), controller.signal);
    if (status >= 200 && status < 300) {
      outcome = parseSuccess(text, status, schema, request);
    } else {
      outcome = {
        ok: false,
        status,
        error: mapErrorResponse(status, response.headers, text, {
          endpoint: spec.endpoint,
          secrets,
          now: config.now,
          request,
        }),
      };
    }
  } catch (cause) {
    if (callerSignal?.aborted && !timedOut) {
      emitEvent(config, spec, { status, started, attempt, errorCode: 'aborted' });
      throw callerSignal.reason;
    }
    outcome = {
      ok: false,
      status,
      error: timedOut
        ? new ConnectTimeoutError(
            `${request} timed out after ${Math.round(timeoutMs)} ms`,
            Math.round(timeoutMs),
          )
        : new ConnectNetworkError(`${request} failed before a response arrived`, { cause }),
    };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', forwardAbort);
  }
  emitEvent(config, spec, {
    status,
    started,
    attempt,
    errorCode: outcome.ok ? undefined : outcome.error.code,
  });
  return outcome;
}

function parseSuccess<T>(
  text: string,
  status: number,
  schema: z.ZodType<T>,
  request: string,
): AttemptOutcome<T> {
  let body: unknown;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return {
        ok: false,
        status,
        error: new UnexpectedResponseError(
          `Unexpected response to ${request}: status ${status}, body is not JSON`,
          status,
        ),
      };
    }
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  // Issue paths only: issue messages may quote the values, and a token-endpoint body holds tokens.
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].join(
    ', ',
  );
  return {
    ok: false,
    status,
    error: new UnexpectedResponseError(
      `Unexpected response to ${request}: status ${status}, body does not match the contract at ${fields}`,
      status,
    ),
  };
}

/** The call's headers as a plain record: `fetch` takes one as it is, where a `Headers` is built and read again. */
function buildHeaders(config: TransportConfig, spec: RequestSpec): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
  if (spec.bearer !== undefined) headers.Authorization = `Bearer ${spec.bearer}`;
  const acceptLanguage = spec.acceptLanguage ?? config.acceptLanguage;
  if (acceptLanguage !== undefined) headers['Accept-Language'] = acceptLanguage;
  if (config.retailerId !== undefined) headers['X-Retailer-Id'] = config.retailerId;
  return headers;
}

function emitEvent(
  config: TransportConfig,
  spec: RequestSpec,
  data: { status: number | undefined; started: number; attempt: number; errorCode: string | undefined },
): void {
  if (!config.onRequest) return;
  const event: ConnectRequestEvent = {
    operation: spec.operation,
    method: spec.method,
    path: spec.path,
    route: spec.route,
    durationMs: Math.max(0, performance.now() - data.started),
    attempt: data.attempt,
  };
  if (data.status !== undefined) event.status = data.status;
  if (data.errorCode !== undefined) event.errorCode = data.errorCode;
  if (spec.fallback) event.fallback = true;
  try {
    config.onRequest(event);
  } catch {
    // A broken metrics hook must not break the call it observes.
  }
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: an injected fetch that ignores its
 * signal cannot outlive the timeout, and a caller who gave up does not wait for a shared token.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Waits for the backoff, but no longer than until the caller aborts. */
async function sleepUnlessAborted(sleeping: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleeping;
  await raceAbort(sleeping, signal);
}
