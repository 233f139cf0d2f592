/**
 * @module Throughput of the emulator's hottest route: `GET /v2/fulfillment/users/{id}/link` with a
 * fulfillment token, for a linked Instacart+ member, over HTTP on loopback, measured with autocannon.
 * Not a test: run it by hand.
 *
 *   npx tsx packages/emulator/scripts/throughput.ts [--duration 10] [--connections 10]
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEMO_SEED, startEmulator } from '../src/index.js';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

const running = await startEmulator({ port: 0, seed: 'demo' });
const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;

async function call(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

try {
  const token = String(
    (
      await call('/v2/oauth/token', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'connect:fulfillment',
      })
    ).access_token,
  );
  await call('/v2/fulfillment/users', { user_id: 'bench-user', first_name: 'Bench' }, token);
  const { code } = await call(
    '/v2/fulfillment_sandbox/instacart_users/1/authorize',
    { redirect_uri: redirectUri, scope: 'account_linking' },
    token,
  );
  const linking = await call('/v2/oauth/token', {
    grant_type: 'authorization_code',
    client_id: clientId,
    client_secret: clientSecret,
    code,
    redirect_uri: redirectUri,
  });
  await call('/v2/fulfillment/users/bench-user/link', { linking_token: linking.access_token }, token);

  const result = await autocannon({
    url: `${running.url}/v2/fulfillment/users/bench-user/link`,
    headers: { authorization: `Bearer ${token}` },
    duration,
    connections,
  });
  const summary = {
    route: 'GET /v2/fulfillment/users/{id}/link',
    duration_s: duration,
    connections,
    requests_per_second_avg: result.requests.average,
    latency_ms_p50: result.latency.p50,
    latency_ms_p99: result.latency.p99,
    total_requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    node: process.version,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
} finally {
  await running.close();
}
