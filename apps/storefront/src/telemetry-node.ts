/**
 * @module The storefront's OpenTelemetry SDK, started only when the configuration asks for it (and
 * then imported on demand, so a shop without telemetry never loads the SDK): with
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, traces (batched) and metrics (every minute) go to that collector over
 * OTLP/HTTP; with `METRICS_TOKEN`, `GET /metrics` serves the metrics as Prometheus text to a bearer of
 * that token only. Both under the resource `service.name=cartlink-storefront`. The spans and metrics
 * themselves are made by `@cartlink/linking/opentelemetry` from the shop's Connect client, linking core
 * and discount policy (see `app.ts`). Shutting down flushes what is left (the graceful stop of
 * `server-node.ts` calls it through `Storefront.close`).
 * @see ../../../packages/linking/README.md, "Telemetry (OpenTelemetry)"
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  context,
  type MeterProvider as MeterProviderApi,
  metrics,
  propagation,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The resource's `service.name`. */
export const SERVICE_NAME = 'cartlink-storefront';

/** The Prometheus text format's media type (exposition format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What {@link startTelemetry} reads of the configuration (`env.ts`). */
export interface TelemetrySettings {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL, or undefined. */
  otlpEndpoint?: string | undefined;
  /** `METRICS_TOKEN`: the bearer token of `GET /metrics`, or undefined. */
  metricsToken?: string | undefined;
}

/** The running SDK: its providers for the instrumentation, the `/metrics` handler, and its stop. */
export interface StorefrontTelemetry {
  /** The tracer provider, when traces are exported (OTLP). */
  tracerProvider: TracerProvider | undefined;
  /** The meter provider, when metrics are exported (OTLP) or served (`/metrics`). */
  meterProvider: MeterProviderApi | undefined;
  /**
   * Answers `GET /metrics`: the Prometheus text to `Authorization: Bearer <METRICS_TOKEN>`, 401 to
   * anything else. Undefined when `METRICS_TOKEN` is unset (the route does not exist).
   */
  serveMetrics: ((request: Request) => Promise<Response>) | undefined;
  /** Flushes the spans and metrics not yet exported, then stops the SDK and releases the API's globals. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP URL of one signal below the collector's base URL (the SDK's rule for this variable). */
function signalUrl(endpoint: string, signal: 'traces' | 'metrics'): string {
  return new URL(`v1/${signal}`, endpoint.endsWith('/') ? endpoint : `${endpoint}/`).href;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether an `Authorization` header carries `token` as a bearer token (RFC 6750 §2.1; the scheme is
 * case-insensitive). Both sides are hashed first, so the comparison takes the same time whatever the
 * length or the first differing byte of a guess.
 */
function isBearerOf(header: string | null, tokenDigest: Buffer): boolean {
  const match = header === null ? null : /^bearer +([\x21-\x7e]+) *$/i.exec(header);
  const presented = sha256(match?.[1] ?? '');
  return timingSafeEqual(presented, tokenDigest) && match !== null;
}

/** A 401 that names the scheme; the token is never in the query, so a query is not read at all. */
function refuse(): Response {
  return new Response('Unauthorized\n', {
    status: 401,
    headers: {
      'WWW-Authenticate': 'Bearer realm="metrics"',
      'Cache-Control': 'no-store',
      'Content-Type': 'text/plain; charset=utf-8',
    },
  });
}

/** The `/metrics` handler over a Prometheus reader that never opens a port of its own. */
function createMetricsHandler(
  reader: PrometheusExporter,
  token: string,
): (request: Request) => Promise<Response> {
  const tokenDigest = sha256(token);
  const serializer = new PrometheusSerializer();
  return async (request) => {
    if (!isBearerOf(request.headers.get('authorization'), tokenDigest)) return refuse();
    const { resourceMetrics } = await reader.collect();
    return new Response(serializer.serialize(resourceMetrics), {
      status: 200,
      headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' },
    });
  };
}

/**
 * Starts the SDK the settings ask for, or returns null when they ask for none. The providers are also
 * registered as the API's globals (with Node's async context manager, which makes the Connect spans of
 * a link completion its children), unless another SDK holds them already.
 * @example
 * const telemetry = startTelemetry({ otlpEndpoint: config.otlpEndpoint, metricsToken: config.metricsToken });
 * // ... createOpenTelemetryInstrumentation({ tracerProvider: telemetry?.tracerProvider, ... })
 * await telemetry?.shutdown();
 */
export function startTelemetry(settings: TelemetrySettings): StorefrontTelemetry | null {
  const { otlpEndpoint, metricsToken } = settings;
  if (otlpEndpoint === undefined && metricsToken === undefined) return null;
  const resource = resourceFromAttributes({ 'service.name': SERVICE_NAME });

  let tracerProvider: NodeTracerProvider | undefined;
  let ownsTraceGlobals = false;
  if (otlpEndpoint !== undefined) {
    tracerProvider = new NodeTracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: signalUrl(otlpEndpoint, 'traces') })),
      ],
    });
    tracerProvider.register();
    // `register` changes nothing when an SDK is registered already; only what it set is ours to release.
    ownsTraceGlobals = isDelegateOf(tracerProvider);
  }

  const readers: IMetricReader[] = [];
  if (otlpEndpoint !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: signalUrl(otlpEndpoint, 'metrics') }),
      }),
    );
  }
  let prometheus: PrometheusExporter | undefined;
  if (metricsToken !== undefined) {
    prometheus = new PrometheusExporter({ preventServerStart: true });
    readers.push(prometheus);
  }
  const meterProvider = new MeterProvider({ resource, readers });
  const ownsMeterGlobal = metrics.setGlobalMeterProvider(meterProvider);

  return {
    tracerProvider,
    meterProvider,
    serveMetrics:
      prometheus !== undefined && metricsToken !== undefined
        ? createMetricsHandler(prometheus, metricsToken)
        : undefined,
    async shutdown() {
      // Each flushes first: the batch of spans and the last metrics go out before the globals are released.
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
      if (ownsTraceGlobals) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
      if (ownsMeterGlobal) metrics.disable();
    },
  };
}

/** Whether the API's global tracer provider delegates to `provider`. */
function isDelegateOf(provider: TracerProvider): boolean {
  const global = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  return global.getDelegate?.() === provider;
}
