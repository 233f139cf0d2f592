/**
 * `@cartlink/linking/opentelemetry` against the real emulator, in process: a link through the real
 * client, core and discount policy, recorded by an OpenTelemetry SDK with an in-memory span exporter
 * and a metric reader the test collects from. The spans, their parent-child links and the metrics'
 * values are what a retailer's backend would receive; no secret is in any of them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ConnectFetch, createConnectClient } from '@cartlink/connect';
import { createEmulator, DEMO_SEED, type Emulator } from '@cartlink/emulator';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryDiscountPolicy, type DeliveryDiscountPolicy } from './delivery-discount.js';
import { createLinking, type Linking, type LinkingEvent } from './linking.js';
import {
  createOpenTelemetryInstrumentation,
  type OpenTelemetryInstrumentationOptions,
} from './opentelemetry.js';
import { migrateToLatest } from './storage/migrate.js';
import { createSqlStorage } from './storage/sql-storage.js';
import { openSqliteDatabase } from './storage/sqlite-node.js';
import type { LinkingStorage } from './storage/types.js';
import { readAuthorizationUrl } from './test-support/fake-connect.js';

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const BASE = 'http://emulator.test';
const alex = { sessionId: 's-alex', userId: 'u-alex-5d1f0c3e' };
const FEE_CENTS = 399;

/**
 * What a Node.js SDK registers (`AsyncLocalStorageContextManager`), in a few lines: the active context
 * follows the async calls, so a Connect call made inside a link completion sees its span.
 */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** A reader the test collects from when it wants, as a Prometheus scrape does. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

interface World {
  emulator: Emulator;
  storage: LinkingStorage;
  linking: Linking;
  policy: DeliveryDiscountPolicy;
  spans: InMemorySpanExporter;
  reader: CollectingReader;
  /** Every credential that crossed the wire (bodies sent, tokens received), and each state and code. */
  secrets: Set<string>;
  /** Plays the shopper: Link, then Allow at Instacart as `instacartUserId`. */
  consent(instacartUserId: number): Promise<{ code: string; state: string }>;
}

const CREDENTIAL_FIELDS = [
  'client_secret',
  'code',
  'code_verifier',
  'linking_token',
  'token',
  'access_token',
  'refresh_token',
  'password',
];

function collectCredentials(text: string | undefined, into: Set<string>): void {
  if (!text) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof body !== 'object' || body === null) return;
  for (const field of CREDENTIAL_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.length > 0) into.add(value);
  }
}

const worlds: World[] = [];

async function createWorld(
  hooks: Omit<OpenTelemetryInstrumentationOptions, 'tracerProvider' | 'meterProvider'> = {},
  providers: 'sdk' | 'none' = 'sdk',
): Promise<World> {
  const emulator = createEmulator({ seed: 'demo', issuer: BASE });
  const db = openSqliteDatabase(':memory:');
  await migrateToLatest(db);
  const storage = createSqlStorage(db);
  const spans = new InMemorySpanExporter();
  const reader = new CollectingReader();
  const secrets = new Set<string>([clientSecret]);
  const otel = createOpenTelemetryInstrumentation({
    ...hooks,
    ...(providers === 'sdk'
      ? {
          tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
          meterProvider: new MeterProvider({ readers: [reader] }),
        }
      : {}),
  });
  // The emulator's own fetch, reading what goes over the wire for the secret scan.
  const fetch: ConnectFetch = async (url, init) => {
    collectCredentials(init.body, secrets);
    const response = await emulator.fetch(url, init);
    collectCredentials(await response.clone().text(), secrets);
    return response;
  };
  const connect = createConnectClient({
    baseUrl: BASE,
    clientId,
    clientSecret,
    fetch,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    ...otel.connect,
  });
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: `${BASE}/oauth/authorize`,
    clientId,
    redirectUri,
    usePkce: true,
    loadConnectUserProfile: async () => ({ firstName: 'Alex' }),
    now: () => emulator.now(),
    ...otel.linking,
  });
  const policy = createDeliveryDiscountPolicy({ linking, ...otel.discountPolicy });
  const world: World = {
    emulator,
    storage,
    linking,
    policy,
    spans,
    reader,
    secrets,
    async consent(instacartUserId) {
      const { authorizationUrl } = await linking.startLink(alex);
      const { state, codeChallenge } = readAuthorizationUrl(authorizationUrl);
      const code = emulator.authorizeForTest({
        instacartUserId,
        clientId,
        redirectUri,
        ...(codeChallenge ? { codeChallenge } : {}),
      });
      secrets.add(state).add(code);
      if (codeChallenge) secrets.add(codeChallenge);
      return { code, state };
    },
  };
  worlds.push(world);
  return world;
}

function createMember(world: World): number {
  return world.emulator.createInstacartUser({
    email: 'member@otel.test',
    password: 'pw-member-otel',
    instacartplusMember: true,
    expiredAt: new Date(Date.now() + 200 * 86_400_000),
  }).id;
}

/** Every data point of every metric collected now, by metric name, with its unit. */
async function collectMetrics(
  reader: CollectingReader,
): Promise<Map<string, { unit: string; points: DataPoint<unknown>[] }>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const found = new Map<string, { unit: string; points: DataPoint<unknown>[] }>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      found.set(metric.descriptor.name, {
        unit: metric.descriptor.unit,
        points: metric.dataPoints as DataPoint<unknown>[],
      });
    }
  }
  return found;
}

/** The values of a metric's points, keyed by their attributes (sorted, as JSON). */
function valuesOf(
  metricsByName: Map<string, { points: DataPoint<unknown>[] }>,
  name: string,
): Record<string, unknown> {
  const points = metricsByName.get(name)?.points ?? [];
  return Object.fromEntries(
    points.map((point) => [
      JSON.stringify(Object.fromEntries(Object.entries(point.attributes).sort())),
      point.value,
    ]),
  );
}

/** Every text a backend would receive: span names, attribute keys and values, metric names and labels. */
async function exportedTexts(world: World): Promise<string[]> {
  const texts: string[] = [];
  for (const span of world.spans.getFinishedSpans()) {
    texts.push(span.name, ...Object.entries(span.attributes).flatMap(([key, value]) => [key, String(value)]));
    for (const event of span.events) texts.push(event.name, JSON.stringify(event.attributes ?? {}));
    texts.push(span.status.message ?? '');
  }
  for (const [name, metric] of await collectMetrics(world.reader)) {
    texts.push(name);
    for (const point of metric.points) {
      texts.push(...Object.entries(point.attributes).flatMap(([key, value]) => [key, String(value)]));
    }
  }
  return texts;
}

/** Fails naming each secret (or the user id) found in anything exported. */
async function expectNothingSecretExported(world: World): Promise<void> {
  const texts = await exportedTexts(world);
  expect(texts.length).toBeGreaterThan(20);
  // The scan reads the attribute values themselves: the route templates are among them.
  expect(texts).toContain('/v2/fulfillment/users/{user_id}/link');
  // Enough credentials crossed the wire for the scan to mean something: the client secret, a
  // fulfillment token, the state, code, challenge, verifier and linking token of each link.
  expect(world.secrets.size).toBeGreaterThanOrEqual(7);
  const leaks = [...world.secrets, alex.userId].filter((secret) =>
    texts.some((text) => text.includes(secret)),
  );
  expect(leaks).toEqual([]);
}

const completionOf = (spans: ReadableSpan[]) =>
  spans.filter((span) => span.name === 'cartlink.link.complete');

beforeAll(() => {
  context.setGlobalContextManager(new AsyncContextManager());
});
afterAll(() => {
  context.disable();
});
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.storage.close();
});

describe('a link, instrumented', () => {
  it('produces the completion span with its Connect calls as children, and the metrics', async () => {
    const world = await createWorld();
    const plus = createMember(world);
    // The profile page: Connect does not know the shopper yet (a token, then "user not found").
    expect((await world.linking.getStatus(alex)).state).toBe('unlinked');
    const result = await world.linking.completeLink(alex, await world.consent(plus));
    expect(result.outcome).toBe('linked');
    // The checkout page prices the order (a quote), then the order decides again.
    await world.policy.decide({ userId: alex.userId, deliveryFeeCents: FEE_CENTS, purpose: 'quote' });
    const decision = await world.policy.decide({ userId: alex.userId, deliveryFeeCents: FEE_CENTS });
    expect(decision.eligible).toBe(true);

    const spans = world.spans.getFinishedSpans();
    const [completion, ...others] = completionOf(spans);
    expect(others).toEqual([]);
    expect(completion?.kind).toBe(SpanKind.INTERNAL);
    expect(completion?.attributes).toEqual({ 'cartlink.link.outcome': 'linked' });
    expect(completion?.status.code).toBe(SpanStatusCode.UNSET);
    const completionId = completion?.spanContext().spanId;

    const connectSpans = spans.filter((span) => span.name.startsWith('Connect '));
    const children = connectSpans.filter((span) => span.parentSpanContext?.spanId === completionId);
    // A new shopper whose last status said "user not found": exchange, create, link, then the status.
    expect(children.map((span) => span.name)).toEqual([
      'Connect POST /v2/oauth/token',
      'Connect POST /v2/fulfillment/users',
      'Connect POST /v2/fulfillment/users/{user_id}/link',
      'Connect GET /v2/fulfillment/users/{user_id}/link',
    ]);
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(completion?.spanContext().traceId);
      expect(child.kind).toBe(SpanKind.CLIENT);
    }
    expect(children[0]?.attributes).toEqual({
      'http.request.method': 'POST',
      'url.template': '/v2/oauth/token',
      'http.response.status_code': 200,
      'cartlink.connect.attempt': 1,
      'cartlink.connect.operation': 'token.authorization_code',
    });
    // Outside the completion: the first status's token and lookup, the two checkout verifications.
    const roots = connectSpans.filter((span) => span.parentSpanContext === undefined);
    expect(roots.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
      ['Connect POST /v2/oauth/token', 200],
      ['Connect GET /v2/fulfillment/users/{user_id}/link', 400],
      ['Connect GET /v2/fulfillment/users/{user_id}/link', 200],
      ['Connect GET /v2/fulfillment/users/{user_id}/link', 200],
    ]);
    expect(roots[0]?.attributes['cartlink.connect.operation']).toBe('token.client_credentials');
    expect(roots[1]?.attributes['error.type']).toBe('user_not_found');
    expect(roots[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(connectSpans).toHaveLength(children.length + roots.length);

    const found = await collectMetrics(world.reader);
    expect(valuesOf(found, 'cartlink.link.outcomes')).toEqual({ '{"cartlink.link.outcome":"linked"}': 1 });
    expect(valuesOf(found, 'cartlink.fulfillment_token.refreshes')).toEqual({ '{}': 1 });
    // The quote is not a discount granted: one order, one discount of the whole fee.
    expect(valuesOf(found, 'cartlink.delivery_discounts')).toEqual({
      '{"cartlink.discount.basis":"fresh"}': 1,
    });
    expect(valuesOf(found, 'cartlink.delivery_discount.amount')).toEqual({
      '{"cartlink.discount.basis":"fresh"}': FEE_CENTS,
    });
    const verifications = valuesOf(found, 'cartlink.verification.duration') as Record<
      string,
      { count: number; sum: number }
    >;
    expect(
      Object.fromEntries(
        Object.entries(verifications).map(([labels, histogram]) => [labels, histogram.count]),
      ),
    ).toEqual({
      '{"cartlink.verification.result":"user-not-found"}': 1,
      '{"cartlink.verification.result":"linked"}': 3,
    });
    for (const histogram of Object.values(verifications)) expect(histogram.sum).toBeGreaterThan(0);
    expect(
      Object.fromEntries(
        ['cartlink.verification.duration', 'cartlink.link.duration', 'cartlink.delivery_discount.amount'].map(
          (name) => [name, found.get(name)?.unit],
        ),
      ),
    ).toEqual({
      'cartlink.verification.duration': 's',
      'cartlink.link.duration': 's',
      'cartlink.delivery_discount.amount': '{cent}',
    });

    await expectNothingSecretExported(world);
  });

  it('records a refused code, a retried Connect failure, an unverifiable verification and a grace discount', async () => {
    const world = await createWorld();
    const plus = createMember(world);
    const refused = await world.consent(plus);
    const failed = await world.linking.completeLink(alex, { ...refused, code: `${refused.code}-altered` });
    expect(failed).toMatchObject({ outcome: 'failed', detail: 'code-rejected' });
    expect((await world.linking.completeLink(alex, await world.consent(plus))).outcome).toBe('linked');
    // Connect goes down at checkout: three attempts, then the grace rule on the link's verification.
    world.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
    const decision = await world.policy.decide({ userId: alex.userId, deliveryFeeCents: FEE_CENTS });
    expect(decision).toMatchObject({ eligible: true, evidence: { verification: 'grace' } });

    const spans = world.spans.getFinishedSpans();
    const [failedCompletion, linkedCompletion] = completionOf(spans);
    expect(failedCompletion?.attributes).toEqual({
      'cartlink.link.outcome': 'failed',
      'cartlink.link.detail': 'code-rejected',
      'error.type': 'code-rejected',
    });
    expect(failedCompletion?.status.code).toBe(SpanStatusCode.ERROR);
    expect(linkedCompletion?.attributes['cartlink.link.outcome']).toBe('linked');
    const attempts = spans.filter(
      (span) =>
        span.name === 'Connect GET /v2/fulfillment/users/{user_id}/link' &&
        span.parentSpanContext === undefined,
    );
    expect(
      attempts.map((span) => [
        span.attributes['cartlink.connect.attempt'],
        span.attributes['http.response.status_code'],
        span.attributes['error.type'],
      ]),
    ).toEqual([
      [1, 503, 'unavailable'],
      [2, 503, 'unavailable'],
      [3, 503, 'unavailable'],
    ]);

    const found = await collectMetrics(world.reader);
    expect(valuesOf(found, 'cartlink.link.outcomes')).toEqual({
      '{"cartlink.link.outcome":"failed"}': 1,
      '{"cartlink.link.outcome":"linked"}': 1,
    });
    expect(valuesOf(found, 'cartlink.delivery_discounts')).toEqual({
      '{"cartlink.discount.basis":"grace"}': 1,
    });
    expect(valuesOf(found, 'cartlink.delivery_discount.amount')).toEqual({
      '{"cartlink.discount.basis":"grace"}': FEE_CENTS,
    });
    const unverifiable = valuesOf(found, 'cartlink.verification.duration')[
      '{"cartlink.verification.result":"unverifiable","error.type":"unavailable"}'
    ] as { count: number } | undefined;
    expect(unverifiable?.count).toBe(1);

    await expectNothingSecretExported(world);
  });
});

describe('composition and the API alone', () => {
  it("calls the caller's own hooks first, and records even when one of them throws", async () => {
    const told: string[] = [];
    const world = await createWorld({
      onRequest: (event) => told.push(`request ${event.operation}`),
      onEvent: (event: LinkingEvent) => {
        told.push(event.type);
        throw new Error('a faulty audit trail');
      },
      onDecision: (event) => told.push(`decision ${event.purpose} ${event.basis}`),
    });
    const plus = createMember(world);
    expect((await world.linking.completeLink(alex, await world.consent(plus))).outcome).toBe('linked');
    await world.policy.decide({ userId: alex.userId, deliveryFeeCents: FEE_CENTS });
    expect(told).toEqual([
      'link-started',
      'request token.authorization_code',
      'request token.client_credentials',
      'request link.create',
      'request user.create',
      'request link.create',
      'request link.get',
      'membership-verified',
      'link-completed',
      'request link.get',
      'membership-verified',
      'decision order fresh',
    ]);
    const found = await collectMetrics(world.reader);
    expect(valuesOf(found, 'cartlink.link.outcomes')).toEqual({ '{"cartlink.link.outcome":"linked"}': 1 });
    expect(valuesOf(found, 'cartlink.delivery_discounts')).toEqual({
      '{"cartlink.discount.basis":"fresh"}': 1,
    });
  });

  it('links with the API present and no SDK registered: nothing throws, nothing is recorded', async () => {
    const told: string[] = [];
    const world = await createWorld({ onEvent: (event) => told.push(event.type) }, 'none');
    const plus = createMember(world);
    expect((await world.linking.completeLink(alex, await world.consent(plus))).outcome).toBe('linked');
    expect(await world.policy.decide({ userId: alex.userId, deliveryFeeCents: FEE_CENTS })).toMatchObject({
      eligible: true,
    });
    expect(told).toContain('link-completed');
    // The world's own SDK was never handed to the instrumentation: the global no-op API was used.
    expect(world.spans.getFinishedSpans()).toEqual([]);
  });
});

describe('a credential rotation, instrumented', () => {
  it('counts a token refresh that fell back from a refused next set once, and marks the fallback', async () => {
    const spans = new InMemorySpanExporter();
    const reader = new CollectingReader();
    const otel = createOpenTelemetryInstrumentation({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
      meterProvider: new MeterProvider({ readers: [reader] }),
    });
    const emulator = createEmulator({ seed: 'demo', issuer: BASE });
    const nextSecret = 'next-secret-unknown-to-connect';
    const connect = createConnectClient({
      baseUrl: BASE,
      clientId,
      clientSecret,
      // An application Connect does not know: its grant is refused with invalid_client.
      nextCredentials: { clientId: 'cartlink-demo-clone', clientSecret: nextSecret },
      fetch: (url, init) => emulator.fetch(url, init),
      ...otel.connect,
    });
    await connect.getFulfillmentToken();
    expect(connect.credentialsInUse()).toBe(clientId);

    const tokenSpans = spans
      .getFinishedSpans()
      .filter((span) => span.attributes['cartlink.connect.operation'] === 'token.client_credentials');
    expect(
      tokenSpans.map((span) => [
        span.attributes['http.response.status_code'],
        span.attributes['error.type'],
        span.attributes['cartlink.connect.credentials_fallback'],
      ]),
    ).toEqual([
      [401, 'invalid_client', undefined],
      [200, undefined, true],
    ]);
    expect(valuesOf(await collectMetrics(reader), 'cartlink.fulfillment_token.refreshes')).toEqual({
      '{}': 1,
    });
    const exported = spans.getFinishedSpans().flatMap((span) => Object.values(span.attributes).map(String));
    expect(exported.some((text) => text.includes(nextSecret) || text.includes(clientSecret))).toBe(false);
  });
});
