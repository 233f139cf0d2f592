/**
 * @module The storefront's logger: pino, JSON lines on stdout, with every secret the linking flow
 * handles redacted wherever it might appear in a log object.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger };

/**
 * Paths pino replaces with `[Redacted]`. Cookies carry session ids, authorization headers carry
 * bearer tokens, and `code`, `state`, tokens and verifiers are the single-use secrets of the OAuth
 * flow: none of them may reach a log file, at the top level or one or two levels down.
 */
export const REDACTED_PATHS = [
  'cookie',
  'authorization',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  ...[
    'code',
    'state',
    'token',
    'access_token',
    'refresh_token',
    'linking_token',
    'linkingToken',
    'accessToken',
    'code_verifier',
    'codeVerifier',
    'client_secret',
    'clientSecret',
    'sessionId',
    'session_id',
    'csrf',
  ].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Bytes of info and debug lines gathered before one write. */
const GATHERED_BYTES = 4096;
/** The longest a gathered line waits, in milliseconds. */
const GATHERED_WAIT_MS = 1000;

type SonicBoom = ReturnType<typeof pino.destination>;

/** The gathering destinations made so far: what they still hold is written when the process exits. */
const gathering = new Set<SonicBoom>();

function writeAtExit(destination: SonicBoom): void {
  if (gathering.size === 0) {
    // 'exit' listeners run synchronously, the last moment a write can be made: main.ts's SIGINT and
    // SIGTERM handlers end in process.exit, and so does an uncaught error.
    process.once('exit', () => {
      for (const gathered of gathering) {
        try {
          gathered.flushSync();
        } catch {
          // Closed already, or stdout gone: nothing left to save.
        }
      }
    });
  }
  gathering.add(destination);
}

/**
 * Where the shop's lines go: stdout (or the file descriptor `fd`), written two ways. Lines below
 * `warn` (the request log, one line per request) are gathered and written 4 KiB at a time, or once a
 * second: one system call per ~25 requests instead of one per request, which halves what a request
 * log line costs (measured: about 8 µs a line written alone, 3.5 µs gathered). What is still gathered
 * is written when the process exits; only a `kill -9` loses it (at most the last second). Warnings
 * and errors are written at once, so whoever watches the log sees them without delay; such a line may
 * come out ahead of info lines logged just before it, and each line carries its time.
 */
export function createLogDestination(fd = 1): DestinationStream {
  // Synchronous writes, as pino's default: a gathered batch is one write(2), with no thread pool
  // round trip (which costs as much as the writes it saves).
  const gathered = pino.destination({
    dest: fd,
    sync: true,
    minLength: GATHERED_BYTES,
    periodicFlush: GATHERED_WAIT_MS,
  });
  // Gathered lines are written from a timer too, where a failed write (stdout closed, a full disk)
  // would be an uncaught error: it costs the lines, never the process, and is told once on stderr.
  let told = false;
  gathered.on('error', (error: Error) => {
    if (told) return;
    told = true;
    process.stderr.write(`storefront: log lines were lost: ${error.message}\n`);
  });
  writeAtExit(gathered);
  return pino.multistream(
    [
      { level: 'trace', stream: gathered },
      { level: 'warn', stream: pino.destination({ dest: fd, sync: true }) },
    ],
    // Each line to the one stream of the highest level it reaches, not to both.
    { dedupe: true },
  );
}

/**
 * Creates the logger.
 * @param destination where lines go; stdout ({@link createLogDestination}) unless given (tests
 * pass a collecting stream).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'storefront' },
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // A silent logger writes nothing: it needs no buffer, nor its flush timer.
    destination ?? (level === 'silent' ? undefined : createLogDestination()),
  );
}
