/**
 * @module A raw HTTP/1.1 connection for the servers' socket tests (the storefront's and the
 * emulator's): what a test writes goes out byte for byte, in as many pieces and with as many pauses
 * as it likes, and every byte received is kept and split into responses. `fetch` cannot show what
 * these tests check: a slow client's oversized body still answered, on a connection that stays usable.
 */
import { once } from 'node:events';
import { connect } from 'node:net';

/** One HTTP response read off a raw connection. */
export interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A raw connection to a loopback port. */
export interface RawConnection {
  /** Writes; resolves once handed to the kernel, rejects on a socket error (a reset). */
  write(data: string): Promise<void>;
  /** Resolves once the answers received so far satisfy `predicate` (or the socket closes). */
  until(predicate: (answers: RawAnswer[]) => boolean): Promise<RawAnswer[]>;
  /** Resolves once `count` complete answers arrived (or the socket closes). */
  answers(count: number): Promise<RawAnswer[]>;
  /** Resolves when the socket is closed, with the first error it saw (a reset), if any. */
  closed: Promise<Error | undefined>;
}

/** Splits what a server sent into complete responses (each with a `Content-Length`). */
export function parseAnswers(text: string): RawAnswer[] {
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
    // latin1: one character per byte, so lengths in characters are lengths in bytes.
    if (rest.length < end + 4 + length) return answers;
    answers.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
}

/** Opens a raw connection to `127.0.0.1:port`. */
export async function openRaw(port: number): Promise<RawConnection> {
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
  const until = (predicate: (answers: RawAnswer[]) => boolean) =>
    new Promise<RawAnswer[]>((resolve) => {
      const check = () => {
        const answers = parseAnswers(received);
        if (predicate(answers) || socket.closed) {
          waiters.delete(check);
          resolve(answers);
        }
      };
      waiters.add(check);
      check();
    });
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        socket.write(data, 'latin1', (error) => (error ? reject(error) : resolve()));
      }),
    until,
    answers: (count) => until((answers) => answers.length >= count),
    closed,
  };
}
