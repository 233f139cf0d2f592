/**
 * Randomness and hashing on Web Crypto only, so the core runs wherever `crypto.getRandomValues`
 * and `crypto.subtle` exist.
 */

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A random opaque value of `bytes` random bytes, base64url. 32 bytes (256 bits) by default: well
 * above the 128 bits RFC 6749 §10.10 asks of codes and tokens.
 */
export function createRandomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** `BASE64URL(SHA256(ASCII(value)))`, the S256 transform of RFC 7636 §4.2. */
export async function sha256Base64Url(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return toBase64Url(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their lengths, so a CSRF token or an admin
 * token cannot be guessed one character at a time.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    difference |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return difference === 0;
}

/**
 * mulberry32: a tiny seeded PRNG. Fault probabilities draw from it so the same seed yields the same
 * sequence of hits on every run.
 */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
