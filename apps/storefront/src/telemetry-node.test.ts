/**
 * The storefront's telemetry: `GET /metrics` (Prometheus text, to a bearer of `METRICS_TOKEN` only)
 * after a link and a checkout, the attempts to read it without the token, and the OTLP export to a
 * collector on loopback when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseEnv } from './env.js';
import { PROMETHEUS_CONTENT_TYPE } from './telemetry-node.js';
import { createMemoryLogger, createTestShop, linkAccount, type TestShop } from './test-support.js';

const TOKEN = 'mt_0123456789abcdef0123456789abcdef_metrics';

let testShop: TestShop | undefined;
let collector: Server | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
  await new Promise<void>((resolve) => (collector ? collector.close(() => resolve()) : resolve()));
  collector = undefined;
});

function createMember(shop: TestShop): number {
  return shop.emulator.createInstacartUser({
    email: 'member@metrics.test',
    password: 'instacart',
    instacartplusMember: true,
    expiredAt: new Date(Date.now() + 200 * 86_400_000),
  }).id;
}

/** Alex links an Instacart+ account and places an order with $0 delivery (the checkout page first). */
async function linkAndCheckOut(shop: TestShop): Promise<void> {
  const client = shop.client();
  await client.signIn('alex@example.com');
  await client.get('/');
  expect((await client.post('/cart/items', { product_id: 'bananas' })).status).toBe(303);
  expect(await linkAccount(shop, client, createMember(shop))).toMatchObject({ outcome: 'linked' });
  expect((await client.get('/checkout')).status).toBe(200);
  expect((await client.post('/checkout', { expected_fee_cents: '0' })).status).toBe(303);
}

/** The value of the one sample of `metric` whose labels include every one of `labels`. */
function sampleOf(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const samples = text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .filter((line) => Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`)));
  expect(samples.length, `${metric} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  const value = samples[0]?.slice(samples[0].lastIndexOf('}') + 1).trim();
  return value === undefined ? undefined : Number(value);
}

describe('GET /metrics', () => {
  it('serves the link outcome and, after a checkout, the discount, to a bearer of METRICS_TOKEN', async () => {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ env: { METRICS_TOKEN: TOKEN }, deps: { logger: memory.logger } });
    await linkAndCheckOut(testShop);

    // A scraper: no session, only the token.
    const scrape = await testShop.client().get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(scrape.headers.get('cache-control')).toBe('no-store');
    const text = scrape.text;
    expect(text).toContain('# TYPE cartlink_link_outcomes_total counter');
    expect(sampleOf(text, 'cartlink_link_outcomes_total', { cartlink_link_outcome: 'linked' })).toBe(1);
    // The checkout page's quote is not a discount: one order, one discount of the whole $3.99 fee.
    expect(sampleOf(text, 'cartlink_delivery_discounts_total', { cartlink_discount_basis: 'fresh' })).toBe(1);
    expect(
      sampleOf(text, 'cartlink_delivery_discount_amount_total', { cartlink_discount_basis: 'fresh' }),
    ).toBe(399);
    expect(sampleOf(text, 'cartlink_fulfillment_token_refreshes_total', {})).toBe(1);
    // The link's status refresh, the checkout page and the order: three verifications said "linked".
    expect(
      sampleOf(text, 'cartlink_verification_duration_count', { cartlink_verification_result: 'linked' }),
    ).toBe(3);
    expect(text).not.toContain('5d1f0c3e'); // no user id in any label

    // The request log has the scrape's line, without its header.
    const lines = memory.lines();
    expect(
      lines.some((line) => line.msg === 'request' && line.path === '/metrics' && line.status === 200),
    ).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('answers 401 with WWW-Authenticate: Bearer to every scrape that does not present the token', async () => {
    testShop = await createTestShop({ env: { METRICS_TOKEN: TOKEN } });
    const scraper = testShop.client();
    const wrongSameLength = `${TOKEN.slice(0, -1)}X`;
    const attempts: Array<[string, Record<string, string>]> = [
      ['/metrics', {}],
      ['/metrics', { authorization: `Bearer ${wrongSameLength}` }],
      ['/metrics', { authorization: `Bearer ${TOKEN}x` }],
      ['/metrics', { authorization: `Bearer ${TOKEN.slice(0, 16)}` }],
      ['/metrics', { authorization: 'Bearer ' }],
      ['/metrics', { authorization: TOKEN }],
      ['/metrics', { authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}` }],
      ['/metrics', { authorization: `Bearer ${TOKEN} ${TOKEN}` }],
      [`/metrics?token=${TOKEN}`, {}],
      [`/metrics?access_token=${TOKEN}`, {}],
      ['/metrics', { cookie: `metrics_token=${TOKEN}` }],
    ];
    for (const [path, headers] of attempts) {
      const answer = await scraper.get(path, headers);
      expect({ path, headers, status: answer.status }).toEqual({ path, headers, status: 401 });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.text).not.toContain('cartlink_');
    }
    // The scheme is case-insensitive (RFC 7235): the right token in any spelling of it is served.
    expect((await scraper.get('/metrics', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('does not exist without METRICS_TOKEN: 404, whatever the request carries', async () => {
    testShop = await createTestShop();
    const answer = await testShop.client().get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('cartlink_');
  });

  it('refuses a METRICS_TOKEN shorter than 32 characters, and an OTLP endpoint that is not a URL', () => {
    const refusal = (source: Record<string, string>) => {
      try {
        parseEnv(source);
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(refusal({ METRICS_TOKEN: 'a'.repeat(31) })).toMatch(
      /^METRICS_TOKEN: must be at least 32 characters/,
    );
    expect(refusal({ METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` })).toMatch(/^METRICS_TOKEN: /);
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(
      /^OTEL_EXPORTER_OTLP_ENDPOINT: /,
    );
    expect(
      parseEnv({ METRICS_TOKEN: TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }),
    ).toMatchObject({
      metricsToken: TOKEN,
      otlpEndpoint: 'http://127.0.0.1:4318',
    });
    expect(parseEnv({})).toMatchObject({ metricsToken: undefined, otlpEndpoint: undefined });
  });
});

interface ExportRequest {
  path: string;
  body: string;
}

/** A collector on a free loopback port that keeps every request it gets and answers 200. */
async function startCollector(): Promise<{ url: string; requests: ExportRequest[] }> {
  const requests: ExportRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collector = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

describe('OTLP export', () => {
  it("sends a link's spans and metrics to OTEL_EXPORTER_OTLP_ENDPOINT, flushed on shutdown", async () => {
    const { url, requests } = await startCollector();
    const shop = await createTestShop({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: url } });
    testShop = shop;
    const client = shop.client();
    await client.signIn('alex@example.com');
    expect(await linkAccount(shop, client, createMember(shop))).toMatchObject({ outcome: 'linked' });
    // The graceful stop: the batch of spans and the last metrics go out before it resolves.
    testShop = undefined;
    await shop.close();
    await vi.waitFor(() => {
      expect(requests.map((request) => request.path).sort()).toEqual(['/v1/metrics', '/v1/traces']);
    });

    const traces = JSON.parse(requests.find((request) => request.path === '/v1/traces')?.body ?? '{}') as {
      resourceSpans: Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
        scopeSpans: Array<{ spans: OtlpSpan[] }>;
      }>;
    };
    const [resourceSpans] = traces.resourceSpans;
    expect(
      resourceSpans?.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value,
    ).toEqual({ stringValue: 'cartlink-storefront' });
    const spans = resourceSpans?.scopeSpans.flatMap((scope) => scope.spans) ?? [];
    const completion = spans.find((span) => span.name === 'cartlink.link.complete');
    expect(completion?.attributes).toContainEqual({
      key: 'cartlink.link.outcome',
      value: { stringValue: 'linked' },
    });
    // The async context manager the SDK registered made the completion's Connect calls its children.
    expect(
      spans.filter((span) => span.parentSpanId === completion?.spanId).map((span) => span.name),
    ).toContain('Connect POST /v2/oauth/token');

    const exported = requests.find((request) => request.path === '/v1/metrics')?.body ?? '';
    expect(exported).toContain('"cartlink.link.outcomes"');
  });
});
