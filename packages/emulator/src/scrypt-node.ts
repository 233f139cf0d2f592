/**
 * Instacart account passwords hashed with scrypt from `node:crypto`. The emulator never stores a
 * password, only `scrypt$N$r$p$salt$hash`, so a state file or a heap dump reveals none.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from './domain.js';

const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// The hash of a password nobody has, checked when the email is unknown so that a failed log-in
// takes as long whether or not the account exists.
let decoyHash: string | undefined;

function parse(passwordHash: string) {
  const [scheme, n, r, p, salt, hash] = passwordHash.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return undefined;
  return {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
  };
}

/** Hashes a password with a fresh 16-byte salt. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a hash from {@link hashPassword}, in constant time. */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const parsed = parse(passwordHash);
  if (!parsed) return false;
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password,
      parsed.salt,
      parsed.hash.length,
      { N: parsed.N, r: parsed.r, p: parsed.p },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
  return derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
}

/** The hash of a random password, made once per process. */
export function getDecoyHash(): string {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

/** The scrypt {@link PasswordHasher}. */
export const scryptPasswordHasher: PasswordHasher = {
  hash: hashPassword,
  verify: verifyPassword,
  decoyHash: getDecoyHash,
};
