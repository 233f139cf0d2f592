/**
 * The storefront's Node server over a real socket: an oversized form sent by a slow client still
 * gets its 413, on a connection that stays usable, because the server reads the rest of the body
 * before it answers.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStorefront } from './server-node.js';
import { startTestServer } from './test-support.js';

/** One HTTP response read off a raw connection. */
interface RawAnswer {
  status: number;
  headers: Map<string, string>;
}

/** Splits what a server sent into complete responses (each with a `Content-Length`). */
function parseAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return answers;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = new Map(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    const length = Number(headers.get('content-length') ?? 0);
    if (Buffer.byteLength(rest, 'latin1') < end + 4 + length) return answers;
    answers.push({ status: Number(statusLine.split(' ')[1]), headers });
    rest = rest.slice(end + 4 + length);
  }
}

/** A raw HTTP/1.1 connection: writes go out as they are, every byte received is kept. */
async function openRaw(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  let received = '';
  let firstError: Error | undefined;
  const waiters = new Set<() => void>();
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const wake of waiters) wake();
  });
  socket.on('error', (error) => {
    firstError ??= error;
  });
  const closed = new Promise<Error | undefined>((resolve) =>
    socket.on('close', () => {
      for (const wake of waiters) wake();
      resolve(firstError);
    }),
  );
  return {
    /** Resolves once handed to the kernel; rejects on a socket error (a reset). */
    write: (data: string) =>
      new Promise<void>((resolve, reject) => {
        socket.write(data, 'latin1', (error) => (error ? reject(error) : resolve()));
      }),
    /** Resolves once `count` complete answers arrived, or the socket closed. */
    answers: (count: number) =>
      new Promise<RawAnswer[]>((resolve) => {
        const check = () => {
          const answers = parseAnswers(received);
          if (answers.length >= count || socket.closed) {
            waiters.delete(check);
            resolve(answers);
          }
        };
        waiters.add(check);
        check();
      }),
    /** Resolves when the socket is closed, with the first error it saw, if any. */
    closed,
  };
}

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
