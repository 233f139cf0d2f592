/**
 * Fault injection: the unit rules, then each kind of fault seen by a client over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from './emulator.js';
import { FaultSet, parseFaultInput } from './faults.js';
import { createSeededRandom } from './random.js';
import { DEMO_SEED } from './seed.js';
import { type RunningEmulator, startEmulator } from './server-node.js';
import { validated } from './test-support/harness.js';

describe('FaultSet', () => {
  it('matches method and path, with * standing for exactly one segment', () => {
    const faults = new FaultSet();
    faults.add({ method: 'get', path: '/v2/fulfillment/users/*/link', status: 503 });
    expect(faults.take('GET', '/v2/fulfillment/users/abc/link')?.status).toBe(503);
    expect(faults.take('POST', '/v2/fulfillment/users/abc/link')).toBeUndefined();
    expect(faults.take('GET', '/v2/fulfillment/users//link')).toBeUndefined();
    expect(faults.take('GET', '/v2/fulfillment/users/a/b/link')).toBeUndefined();
    expect(faults.take('GET', '/v2/fulfillment/users/abc/link/extra')).toBeUndefined();
  });

  it('matches one or more trailing segments with a last ** (every Connect API call: /v2/**)', () => {
    const faults = new FaultSet();
    faults.add({ path: '/v2/**', status: 503 });
    expect(faults.take('POST', '/v2/oauth/token')?.status).toBe(503);
    expect(faults.take('GET', '/v2/fulfillment/users/abc/link')?.status).toBe(503);
    expect(faults.take('GET', '/v2')).toBeUndefined();
    expect(faults.take('GET', '/v2/')).toBeUndefined();
    expect(faults.take('GET', '/oauth/authorize')).toBeUndefined();
    expect(faults.take('GET', '/v3/oauth/token')).toBeUndefined();
    faults.clear();
    faults.add({ path: '/v2/fulfillment/users/*/**', status: 500 });
    expect(faults.take('GET', '/v2/fulfillment/users/abc/link')?.status).toBe(500);
    expect(faults.take('POST', '/v2/fulfillment/users')).toBeUndefined();
  });

  it('disappears after `times` hits', () => {
    const faults = new FaultSet();
    faults.add({ path: '/x', status: 500, times: 2 });
    expect(faults.take('GET', '/x')?.status).toBe(500);
    expect(faults.take('GET', '/x')?.status).toBe(500);
    expect(faults.take('GET', '/x')).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('draws probabilities from a seeded generator: same seed, same hits', () => {
    const run = (seed: number) => {
      const faults = new FaultSet();
      faults.add({ path: '/x', status: 500, probability: 0.3, seed });
      return Array.from({ length: 200 }, () => (faults.take('GET', '/x') ? 1 : 0)).join('');
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
    const hits = [...run(7)].filter((bit) => bit === '1').length;
    expect(hits).toBeGreaterThan(30);
    expect(hits).toBeLessThan(90);
  });

  it('mulberry32 is deterministic and uniform enough', () => {
    const a = createSeededRandom(123);
    const b = createSeededRandom(123);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('refuses faults that do nothing or contradict themselves', () => {
    expect(parseFaultInput({ path: '/x' }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', status: 500, drop: true }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', body: { a: 1 } }).ok).toBe(false);
    expect(parseFaultInput({ path: 'x', status: 500 }).ok).toBe(false);
    expect(parseFaultInput({ path: '/v2/**/link', status: 500 })).toMatchObject({
      ok: false,
      error: { key: 'path', message: '** stands only as the last segment' },
    });
    expect(parseFaultInput({ path: '/v2/**', status: 500 }).ok).toBe(true);
    expect(parseFaultInput({ path: '/x', status: 99 }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', status: 204, body: {} }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', probability: 1.5, status: 500 }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', status: 500, extra: 1 }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', raw_body: 'x' }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', status: 200, raw_body: 'x', body: {} }).ok).toBe(false);
    expect(parseFaultInput({ path: '/x', status: 429, headers: { 'retry-after': '1\r\nx: y' } }).ok).toBe(
      false,
    );
    expect(parseFaultInput({ path: '/x', delay_ms: 10 })).toEqual({
      ok: true,
      spec: { path: '/x', delayMs: 10 },
    });
  });
});

describe('faults over HTTP', () => {
  let running: RunningEmulator;
  let token: string;
  const post = (path: string, body: unknown) =>
    fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // Admin calls that change state carry a JSON content type, with or without a body.
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${running.url}/_emulator/${path}`, {
      method,
      ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' } }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const getLink = () =>
    fetch(`${running.url}/v2/fulfillment/users/someone/link`, {
      headers: { authorization: `Bearer ${token}` },
    });
  const clientCredentials = {
    grant_type: 'client_credentials',
    client_id: DEMO_SEED.app.clientId,
    client_secret: DEMO_SEED.app.clientSecret,
    scope: 'connect:fulfillment',
  };

  beforeAll(async () => {
    running = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await running.close();
  });
  beforeEach(async () => {
    await admin('DELETE', 'faults');
    await admin('PATCH', 'settings', { latency_ms: 0 });
    token = String(
      ((await (await post('/v2/oauth/token', clientCredentials)).json()) as { access_token: string })
        .access_token,
    );
  });

  it('answers with the fault status and body instead of the real handler', async () => {
    const body = { error: { message: 'Service Unavailable', code: null } };
    const created = await admin('POST', 'faults', {
      method: 'GET',
      path: '/v2/fulfillment/users/*/link',
      status: 503,
      body,
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: expect.any(String) });
    const faulted = await getLink();
    expect(faulted.status).toBe(503);
    expect(await faulted.json()).toEqual(body);
    // Other routes are untouched.
    expect((await post('/v2/oauth/token', clientCredentials)).status).toBe(200);
  });

  it('answers with a raw, non-JSON body and extra headers when asked', async () => {
    await admin('POST', 'faults', {
      method: 'GET',
      path: '/v2/fulfillment/users/*/link',
      status: 200,
      raw_body: '{"instacartplus_',
    });
    const truncated = await getLink();
    expect(truncated.status).toBe(200);
    expect(truncated.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await truncated.text()).toBe('{"instacartplus_');

    await admin('DELETE', 'faults');
    await admin('POST', 'faults', {
      method: 'GET',
      path: '/v2/fulfillment/users/*/link',
      status: 429,
      headers: { 'retry-after': '2' },
    });
    const limited = await getLink();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toEqual({ error: { message: 'Emulated fault', code: null } });
  });

  it('delays before the real handler', async () => {
    await admin('POST', 'faults', { path: '/v2/oauth/token', delay_ms: 400 });
    const started = performance.now();
    const response = await post('/v2/oauth/token', clientCredentials);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(response.status).toBe(200);
  });

  it('drops the connection without a response, and logs it with status 0', async () => {
    await admin('DELETE', 'requests');
    await admin('POST', 'faults', { path: '/v2/fulfillment/users/*/link', drop: true, times: 1 });
    await expect(getLink()).rejects.toThrow(TypeError);
    expect((await getLink()).status).toBe(400);
    const log = (await (await admin('GET', 'requests')).json()) as { path: string; status: number }[];
    expect(
      log.filter((entry) => entry.path === '/v2/fulfillment/users/someone/link').map((entry) => entry.status),
    ).toEqual([0, 400]);
  });

  it('fires `times` times, then the real handler answers', async () => {
    await admin('POST', 'faults', { path: '/v2/oauth/token', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('/v2/oauth/token', clientCredentials)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('fires with a probability that replays identically under the same seed', async () => {
    const sample = async (seed: number) => {
      await admin('DELETE', 'faults');
      await admin('POST', 'faults', {
        method: 'GET',
        path: '/v2/fulfillment/users/*/link',
        status: 429,
        probability: 0.5,
        seed,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await getLink()).status);
      return statuses;
    };
    const first = await sample(2024);
    expect(first.filter((status) => status === 429).length).toBeGreaterThan(5);
    expect(first.filter((status) => status === 400).length).toBeGreaterThan(5);
    expect(await sample(2024)).toEqual(first);
    expect(await sample(2025)).not.toEqual(first);
  });

  it('never applies to the admin API', async () => {
    await admin('POST', 'faults', { path: '/_emulator/state', status: 500 });
    await admin('POST', 'faults', { path: '/_emulator/*', drop: true });
    expect((await admin('GET', 'state')).status).toBe(200);
  });

  it('adds the configured latency to Connect calls only', async () => {
    // A long latency keeps the two measurements far apart even on a loaded machine.
    await admin('PATCH', 'settings', { latency_ms: 1000 });
    let started = performance.now();
    await getLink();
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    started = performance.now();
    await admin('GET', 'state');
    expect(performance.now() - started).toBeLessThan(900);
  });
});

describe('faults in process', () => {
  it('make the emulator fetch reject like a network failure on drop', async () => {
    const emulator = createEmulator();
    emulator.addFault({ path: '/v2/oauth/token', drop: true });
    const attempt = validated(emulator.fetch)('http://emulator.test/v2/oauth/token', {
      method: 'POST',
      body: '{}',
    });
    await expect(attempt).rejects.toThrow('fetch failed');
    emulator.clearFaults();
    const response = await validated(emulator.fetch)('http://emulator.test/v2/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
  });

  it('refuse invalid specs from the typed helper', () => {
    const emulator = createEmulator({ seed: 'empty' });
    expect(() => emulator.addFault({ path: '/x' })).toThrow(/Invalid fault/);
    expect(emulator.addFault({ path: '/x', delayMs: 5 })).toMatch(/^fault_/);
  });
});
