/**
 * The storefront's Node server over a real socket: an oversized form sent by a slow client still
 * gets its 413, on a connection that stays usable, because the server reads the rest of the body
 * before it answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRaw } from '../../../testing/raw-http';
import type { RunningStorefront } from './server-node.js';
import { startTestServer } from './test-support.js';

/** Above the shop's 16 KiB form limit, below what the server reads and discards (1 MiB). */
const OVERSIZED = 100_000;
/**
 * The slow client: its body goes out in pieces with a pause between them, longer in all than the
 * half second `@hono/node-server` alone keeps reading an unread body before it closes the
 * connection. The pauses are the shape of the input, not a wait for a result.
 */
const PIECES = 10;
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 100));

describe('an oversized form over a real socket', () => {
  let running: RunningStorefront;
  beforeAll(async () => {
    running = await startTestServer();
  });
  afterAll(async () => {
    await running?.close();
  });

  it('answers 413 to a slowly sent oversized sign-in form, after reading it, and keeps the connection usable', async () => {
    const host = `127.0.0.1:${running.port}`;
    const connection = await openRaw(running.port);
    await connection.write(
      `POST /signin HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${OVERSIZED}\r\n\r\n`,
    );
    for (let piece = 0; piece < PIECES; piece++) {
      await connection.write('a'.repeat(OVERSIZED / PIECES));
      await pause();
    }
    const [refused] = await connection.answers(1);
    expect(refused?.status).toBe(413);
    await connection.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const answers = await connection.answers(2);
    expect(await connection.closed).toBeUndefined();
    expect(answers.map((answer) => answer.status)).toEqual([413, 200]);
  });

  it('does not wait for a body declared larger than it would read: 413 and Connection: close at once', async () => {
    const host = `127.0.0.1:${running.port}`;
    const connection = await openRaw(running.port);
    await connection.write(
      `POST /signin HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\n`,
    );
    const [refused] = await connection.answers(1);
    expect(refused?.status).toBe(413);
    expect(refused?.headers.get('connection')).toBe('close');
    await connection.closed;
  });
});
