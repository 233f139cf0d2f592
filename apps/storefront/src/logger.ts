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

/**
 * Creates the logger.
 * @param destination where lines go; stdout unless given (tests pass a collecting stream).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'storefront' },
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
