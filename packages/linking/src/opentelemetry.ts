/**
 * @module `@cartlink/linking/opentelemetry`: Cartlink's traces and metrics through the OpenTelemetry
 * API (`@opentelemetry/api`, an optional peer; never an SDK). {@link createOpenTelemetryInstrumentation}
 * turns the hooks the core already has (the Connect client's `onRequest`, the linking core's `onEvent`
 * and `wrapLinkCompletion`, the discount policy's `onDecision`) into spans and metrics. With no SDK
 * registered the API answers with no-op tracers and meters, so the hooks cost next to nothing (see
 * bench/, `telemetry_overhead_ratio`). Nothing recorded holds a token, code, state, verifier, secret,
 * path or user id: every attribute is a route template, a status, a count or a closed list's value.
 * @see ../README.md, "Telemetry (OpenTelemetry)"
 */
import type { ConnectRequestEvent } from '@cartlink/connect';
import {
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { DeliveryDiscountDecisionEvent } from './delivery-discount.js';
import type { LinkingEvent, LinkResult } from './linking.js';

/** The instrumentation scope every span and metric is recorded under. */
export const INSTRUMENTATION_SCOPE = '@cartlink/linking';

/** Options of {@link createOpenTelemetryInstrumentation}. */
export interface OpenTelemetryInstrumentationOptions {
  /**
   * Where spans go. The global one is a proxy, so an SDK registered after this call is still used.
   * @default trace.getTracerProvider()
   */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go. The API has no proxy for meters: register the SDK's meter provider before this
   * call, or pass it here.
   * @default metrics.getMeterProvider()
   */
  meterProvider?: MeterProvider;
  /** The caller's own Connect hook, called before the instrumentation records the event. */
  onRequest?: (event: ConnectRequestEvent) => void;
  /** The caller's own linking hook (logs, audit trail), called before the instrumentation records the event. */
  onEvent?: (event: LinkingEvent) => void;
  /** The caller's own discount hook, called before the instrumentation records the decision. */
  onDecision?: (event: DeliveryDiscountDecisionEvent) => void;
}

/**
 * The hooks to spread into the options of the Connect client, the linking core and the discount
 * policy. Each one calls the caller's own hook of the same name (given in the options) first.
 */
export interface OpenTelemetryInstrumentation {
  /** For `createConnectClient` of `@cartlink/connect`: a span per Connect attempt, the token refreshes. */
  connect: {
    /** Records one Connect attempt. */
    onRequest: (event: ConnectRequestEvent) => void;
  };
  /** For `createLinking`: the completion span, link outcomes, verification latency. */
  linking: {
    /** Records link outcomes and verifications. */
    onEvent: (event: LinkingEvent) => void;
    /** Runs a link completion in its `cartlink.link.complete` span. */
    wrapLinkCompletion: (run: () => Promise<LinkResult>) => Promise<LinkResult>;
  };
  /** For `createDeliveryDiscountPolicy`: the discounts granted for orders and their cents. */
  discountPolicy: {
    /** Records a discount decision. */
    onDecision: (event: DeliveryDiscountDecisionEvent) => void;
  };
}

/** Durations are recorded in seconds (OpenTelemetry's convention); these buckets suit a network call. */
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

/** The outcomes that are failures on our side or Connect's; a cancel or a replayed callback is not. */
const ERROR_OUTCOMES: ReadonlySet<string> = new Set(['failed', 'unavailable']);

interface Instruments {
  linkOutcomes: Counter;
  linkDuration: Histogram;
  verificationDuration: Histogram;
  tokenRefreshes: Counter;
  discounts: Counter;
  discountAmount: Counter;
}

function createInstruments(meterProvider: MeterProvider): Instruments {
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  const durationAdvice = { advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS } };
  return {
    linkOutcomes: meter.createCounter('cartlink.link.outcomes', {
      description: 'Link completions, by how they ended',
      unit: '{link}',
    }),
    linkDuration: meter.createHistogram('cartlink.link.duration', {
      description: 'Time to complete a link: the callback checks, the Connect calls and the status after',
      unit: 's',
      ...durationAdvice,
    }),
    verificationDuration: meter.createHistogram('cartlink.verification.duration', {
      description: 'Time Connect took to answer a membership verification, retries included',
      unit: 's',
      ...durationAdvice,
    }),
    tokenRefreshes: meter.createCounter('cartlink.fulfillment_token.refreshes', {
      description:
        'Fulfillment tokens requested by the client token cache (retries of one request count once)',
      unit: '{refresh}',
    }),
    discounts: meter.createCounter('cartlink.delivery_discounts', {
      description: 'Delivery discounts granted for orders, by the verification they rest on',
      unit: '{discount}',
    }),
    discountAmount: meter.createCounter('cartlink.delivery_discount.amount', {
      description: 'Delivery fees waived for orders, in cents of the shop currency',
      unit: '{cent}',
    }),
  };
}

/**
 * Creates the instrumentation: spread its parts into the three constructors. Spans: one per Connect
 * attempt (`Connect POST /v2/fulfillment/users/{user_id}/link`, kind client) and one per link completion
 * (`cartlink.link.complete`), whose Connect spans are its children when a context manager is registered
 * (every Node.js SDK setup registers one). Metrics: `cartlink.link.outcomes`, `cartlink.link.duration`,
 * `cartlink.verification.duration`, `cartlink.fulfillment_token.refreshes`, `cartlink.delivery_discounts`
 * and `cartlink.delivery_discount.amount`.
 * @example
 * const otel = createOpenTelemetryInstrumentation({ onEvent: (event) => logger.info(event) });
 * const connect = createConnectClient({ ...toConnectClientOptions(config), ...otel.connect });
 * const linking = createLinking({ ...toLinkingOptions(config), connect, storage, loadConnectUserProfile, ...otel.linking });
 * const policy = createDeliveryDiscountPolicy({ linking, ...otel.discountPolicy });
 */
export function createOpenTelemetryInstrumentation(
  options: OpenTelemetryInstrumentationOptions = {},
): OpenTelemetryInstrumentation {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_SCOPE,
  );
  const instruments = createInstruments(options.meterProvider ?? metrics.getMeterProvider());
  const own = { onRequest: options.onRequest, onEvent: options.onEvent, onDecision: options.onDecision };

  function recordConnectAttempt(event: ConnectRequestEvent): void {
    // The event comes when the attempt has ended: the span is laid where it ran. Within a link
    // completion, the active context holds the completion's span, which becomes the parent.
    const endTime = Date.now();
    const span = tracer.startSpan(`Connect ${event.method} ${event.route}`, {
      kind: SpanKind.CLIENT,
      startTime: endTime - event.durationMs,
    });
    if (span.isRecording()) {
      // Never the path: it holds the shopper's user id. The route template says the same, safely.
      const attributes: Attributes = {
        'http.request.method': event.method,
        'url.template': event.route,
        'cartlink.connect.operation': event.operation,
        'cartlink.connect.attempt': event.attempt,
      };
      if (event.status !== undefined) attributes['http.response.status_code'] = event.status;
      // During a credential rotation: the current set's request after Connect refused the next set.
      if (event.fallback) attributes['cartlink.connect.credentials_fallback'] = true;
      if (event.errorCode !== undefined) {
        attributes['error.type'] = event.errorCode;
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.setAttributes(attributes);
    }
    span.end(endTime);
    // One refresh is one token request, however many attempts it takes, and however many credential
    // sets it asks: the fallback to the current set after the next one was refused is the same refresh.
    if (event.operation === 'token.client_credentials' && event.attempt === 1 && !event.fallback) {
      instruments.tokenRefreshes.add(1);
    }
  }

  function recordLinkingEvent(event: LinkingEvent): void {
    switch (event.type) {
      case 'link-completed':
        instruments.linkOutcomes.add(1, { 'cartlink.link.outcome': event.outcome });
        instruments.linkDuration.record(event.durationMs / 1000, { 'cartlink.link.outcome': event.outcome });
        return;
      case 'membership-verified':
        instruments.verificationDuration.record(event.durationMs / 1000, {
          'cartlink.verification.result': event.result,
        });
        return;
      case 'membership-unverifiable':
        instruments.verificationDuration.record(event.durationMs / 1000, {
          'cartlink.verification.result': 'unverifiable',
          'error.type': event.errorCode,
        });
        return;
      default:
        return;
    }
  }

  function recordDecision(event: DeliveryDiscountDecisionEvent): void {
    // A quote prices a page; the order decides again, and only that decision is a discount granted.
    if (event.purpose !== 'order' || !event.eligible || event.basis === null) return;
    const attributes = { 'cartlink.discount.basis': event.basis };
    instruments.discounts.add(1, attributes);
    instruments.discountAmount.add(event.waivedCents, attributes);
  }

  async function runInCompletionSpan(run: () => Promise<LinkResult>): Promise<LinkResult> {
    return tracer.startActiveSpan('cartlink.link.complete', { kind: SpanKind.INTERNAL }, async (span) => {
      try {
        const result = await run();
        span.setAttribute('cartlink.link.outcome', result.outcome);
        if (result.detail !== null) span.setAttribute('cartlink.link.detail', result.detail);
        if (ERROR_OUTCOMES.has(result.outcome)) {
          span.setAttribute('error.type', result.detail ?? result.outcome);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return result;
      } catch (error) {
        // The error's class only: its message is not ours to vouch for (a driver's text, say).
        span.setAttribute('error.type', error instanceof Error ? error.name : 'unknown');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  return {
    connect: {
      onRequest(event) {
        try {
          own.onRequest?.(event);
        } finally {
          recordConnectAttempt(event);
        }
      },
    },
    linking: {
      onEvent(event) {
        try {
          own.onEvent?.(event);
        } finally {
          recordLinkingEvent(event);
        }
      },
      wrapLinkCompletion: runInCompletionSpan,
    },
    discountPolicy: {
      onDecision(event) {
        try {
          own.onDecision?.(event);
        } finally {
          recordDecision(event);
        }
      },
    },
  };
}
