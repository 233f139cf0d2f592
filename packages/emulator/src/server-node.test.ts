import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { openRaw } from '../../../testing/raw-http.js';
import { createEmulator, DEMO_SEED, type Emulator, type RunningEmulator, startEmulator } from './index.js';
import { validated } from './test-support/harness.js';

describe('startEmulator', () => {
  it('listens on a free loopback port, with the listening URL as issuer, and closes', async () => {
    const running = await startEmulator({ port: 0 });
    try {
      expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
      expect(running.port).toBeGreaterThan(0);
      expect(running.emulator.issuer).toBe(running.url);
      running.emulator.updateSettings({ issuerParam: true });
      const response = await validated(fetch)(
        `${running.url}/oauth/authorize?response_type=token&client_id=${DEMO_SEED.app.clientId}&scope=account_linking&redirect_uri=${encodeURIComponent(DEMO_SEED.app.redirectUri)}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(302);
      expect(new URL(String(response.headers.get('location'))).searchParams.get('iss')).toBe(running.url);
    } finally {
      await running.close();
    }
    await expect(fetch(`${running.url}/signup`)).rejects.toThrow();
  });

  it('leaves closing an idle keep-alive connection to the client (a minute, not the 5 s default)', async () => {
    const running = await startEmulator({ port: 0, seed: 'empty' });
    try {
      // Node's fetch closes its idle connections after about 4 s, or what this header says less 1 s.
      const response = await fetch(`${running.url}/_emulator/clock`);
      await response.arrayBuffer();
      expect(response.headers.get('keep-alive')).toBe('timeout=65');
    } finally {
      await running.close();
    }
  });

  it('keeps an explicit issuer', async () => {
    const running = await startEmulator({ port: 0, issuer: 'http://localhost:4999', seed: 'empty' });
    expect(running.emulator.issuer).toBe('http://localhost:4999');
    await running.close();
  });
});

describe('public API types', () => {
  it('exposes the documented shapes', () => {
    expectTypeOf(createEmulator).returns.toEqualTypeOf<Emulator>();
    expectTypeOf(startEmulator).returns.resolves.toEqualTypeOf<RunningEmulator>();
    expectTypeOf<Emulator['fetch']>().returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf<Emulator['authorizeForTest']>().returns.toEqualTypeOf<string>();
    expectTypeOf<Emulator['createInstacartUser']>().returns.toEqualTypeOf<{ id: number }>();
    expectTypeOf(DEMO_SEED.app.clientId).toEqualTypeOf<'cartlink-demo'>();
  });
});

/** Above the emulator's 64 KiB body limit, below what the server reads and discards (1 MiB). */
const OVERSIZED = 100_000;
/**
 * The slow client: its body goes out in pieces with a pause between them, longer in all than the
 * half second `@hono/node-server` alone keeps reading an unread body before it closes the
 * connection. The pauses are the shape of the input, not a wait for a result.
 */
const PIECES = 10;
const PAUSE_MS = 100;
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, PAUSE_MS));

describe('an oversized request body over a real socket', () => {
  let running: RunningEmulator;
  beforeAll(async () => {
    running = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await running.close();
  });

  const head = (extra: string) =>
    `POST /oauth/login HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n${extra}\r\n`;
  const next = () => `GET /signup HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\nConnection: close\r\n\r\n`;

  it('answers 413 to a declared oversized body sent slowly, after reading it, and keeps the connection usable', async () => {
    const connection = await openRaw(running.port);
    await connection.write(head(`Content-Length: ${OVERSIZED}\r\n`));
    for (let piece = 0; piece < PIECES; piece++) {
      await connection.write('a'.repeat(OVERSIZED / PIECES));
      await pause();
    }
    const [refused] = await connection.until((answers) => answers.length >= 1);
    expect(refused?.status).toBe(413);
    await connection.write(next());
    const answers = await connection.until((received) => received.length >= 2);
    expect(await connection.closed).toBeUndefined();
    expect(answers.map((answer) => answer.status)).toEqual([413, 200]);
  });

  it('answers 413 to a chunked body that grows past the limit while it is read', async () => {
    const connection = await openRaw(running.port);
    await connection.write(head('Transfer-Encoding: chunked\r\n'));
    // Past the limit at once; the rest trickles in while the server has already decided.
    const chunk = (size: number) => `${size.toString(16)}\r\n${'a'.repeat(size)}\r\n`;
    await connection.write(chunk(OVERSIZED));
    for (let piece = 0; piece < PIECES; piece++) {
      await pause();
      await connection.write(chunk(1_000));
    }
    await connection.write('0\r\n\r\n');
    const [refused] = await connection.until((answers) => answers.length >= 1);
    expect(refused?.status).toBe(413);
    await connection.write(next());
    const answers = await connection.until((received) => received.length >= 2);
    expect(await connection.closed).toBeUndefined();
    expect(answers.map((answer) => answer.status)).toEqual([413, 200]);
  });

  it('does not wait for a body declared larger than it would read: 413 and Connection: close at once', async () => {
    const connection = await openRaw(running.port);
    await connection.write(head('Content-Length: 50000000\r\n'));
    const [refused] = await connection.until((answers) => answers.length >= 1);
    expect(refused?.status).toBe(413);
    expect(refused?.headers.get('connection')).toBe('close');
    await connection.closed;
  });
});

/** A request with a `Host` of the test's choosing (a browser after DNS rebinding sends the attacker's). */
function requestWithHost(
  url: string,
  path: string,
  host: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const sent = httpRequest(
      {
        hostname,
        port,
        path,
        method: options.method ?? 'GET',
        // Node's client sends a DELETE body with neither length nor chunking unless told the length.
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
          host,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    sent.on('error', reject);
    sent.end(options.body);
  });
}

describe('the Host check (DNS rebinding)', () => {
  let running: RunningEmulator;
  beforeAll(async () => {
    running = await startEmulator({ port: 0, publicHosts: ['Emulator.Example.Test'] });
  });
  afterAll(async () => {
    await running.close();
  });

  it('answers 421 on every route to a loopback peer that names another host', async () => {
    const rebound = `rebind.attacker.test:${running.port}`;
    const routes = running.emulator.app.routes.filter((route) => route.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const path = route.path.replace(/:[a-z_]+/g, '1');
      const answer = await requestWithHost(running.url, path, rebound, {
        method: route.method,
        ...(route.method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
      });
      expect(answer.status, `${route.method} ${path}`).toBe(421);
      expect(answer.body).not.toContain('instacart_users');
    }
    // None reached a route (the request log records every route outside /_emulator/).
    expect(running.emulator.getRequests()).toEqual([]);
    for (const host of [
      `localhost.:${running.port}`,
      `127.0.0.1.nip.io:${running.port}`,
      `[::2]:${running.port}`,
    ])
      expect((await requestWithHost(running.url, '/_emulator/state', host)).status, host).toBe(421);
  });

  it('answers loopback names on any port and the configured public host', async () => {
    for (const host of [
      `localhost:${running.port}`,
      'LOCALHOST',
      `127.0.0.1:${running.port}`,
      '[::1]:1',
      `emulator.example.test:${running.port}`,
    ]) {
      expect((await requestWithHost(running.url, '/_emulator/state', host)).status, host).toBe(200);
    }
  });

  it('also checks the host of an absolute-form request target', async () => {
    const answer = await requestWithHost(
      running.url,
      `http://rebind.attacker.test:${running.port}/_emulator/state`,
      `localhost:${running.port}`,
    );
    expect(answer.status).toBe(421);
  });
});
