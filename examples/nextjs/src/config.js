/**
 * @module The shop's configuration, read from the environment once at start-up. A missing or
 * malformed value stops the shop with one line naming the variable.
 *
 * The CONNECT_* variables (and INSTACART_WEB_URL) are read by @cartlink/linking's reader, so this
 * shop reads them exactly as every other Cartlink shop does; the rest is the shop's own.
 */
import { ConfigVariableError, readConnectConfig } from '@cartlink/linking/config';

/** The profile page: the redirect URI registered with Instacart points here. */
export const PROFILE_PATH = '/account/profile';

/** A configuration mistake; its message is the one line to print. */
export class ConfigError extends Error {
  name = 'ConfigError';
}

function httpUrl(name, value) {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError(`${name}: must be an absolute http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

/** Reads and checks the whole configuration. */
export function readConfig(env = process.env) {
  const port = Number(env.PORT?.trim() || '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('PORT: must be a whole number from 0 to 65535');
  }
  const publicUrl = httpUrl('PUBLIC_URL', env.PUBLIC_URL?.trim() || `http://localhost:${port}`);
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) throw new ConfigError('DATABASE_URL: is required');

  let connect;
  try {
    // The redirect URI defaults to this shop's profile page.
    connect = readConnectConfig(env, { defaults: { CONNECT_REDIRECT_URI: `${publicUrl}${PROFILE_PATH}` } });
  } catch (error) {
    if (error instanceof ConfigVariableError) throw new ConfigError(error.message);
    throw error;
  }
  // The profile page and nothing else: the whole URL is compared (as parsed, so the host's case does
  // not matter), so a query string, a fragment or credentials make it another page.
  if (new URL(connect.redirectUri).href !== new URL(PROFILE_PATH, new URL(publicUrl).origin).href) {
    throw new ConfigError(
      `CONNECT_REDIRECT_URI: must be the profile page, PUBLIC_URL followed by ${PROFILE_PATH}`,
    );
  }
  return { port, host: env.HOST?.trim() || '127.0.0.1', publicUrl, databaseUrl, connect };
}
