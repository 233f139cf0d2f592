/** Longest text from Connect that an error keeps. */
const MAX_TEXT_LENGTH = 300;

/**
 * Makes a text that came from Connect safe to keep in an error: every occurrence of every secret
 * the request carried is replaced by `[redacted]`, control characters become spaces and the
 * result is cut to 300 characters. Servers echo input more often than they should; this is the
 * guarantee that an error message never carries a secret, code, verifier or token.
 *
 * @example
 * ```ts
 * redactSecrets('code abc123 is expired', ['abc123']); // 'code [redacted] is expired'
 * ```
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let safe = text;
  // Longest first, so that a secret containing another one is removed whole.
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    safe = safe.split(secret).join('[redacted]');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip.
  safe = safe.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return safe.length > MAX_TEXT_LENGTH ? `${safe.slice(0, MAX_TEXT_LENGTH)}…` : safe;
}
