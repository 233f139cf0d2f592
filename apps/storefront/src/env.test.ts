import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, REPO_ROOT } from './env.js';

function configError(source: Record<string, string>): ConfigError {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseEnv accepted the source');
}

describe('parseEnv', () => {
  it("falls back to docs/product.md's demo defaults when nothing is set", () => {
    const config = parseEnv({});
    expect(config).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: resolve(REPO_ROOT, '.data/storefront.db'),
      instacartWebUrl: 'http://localhost:4010',
      logLevel: 'info',
      connect: {
        baseUrl: 'http://localhost:4010',
        authUrl: 'http://localhost:4010/oauth/authorize',
        clientId: 'cartlink-demo',
        clientSecret: 'cartlink-demo-secret',
        redirectUri: 'http://localhost:3000/account/profile',
        usePkce: true,
      },
    });
    expect(config.connect.retailerId).toBeUndefined();
    expect(config.connect.issuer).toBeUndefined();
  });

  it('resolves a relative SQLite path against the repository root and keeps other URLs as given', () => {
    expect(parseEnv({ DATABASE_URL: 'sqlite:tmp/x.db' }).databaseUrl).toBe(resolve(REPO_ROOT, 'tmp/x.db'));
    expect(parseEnv({ DATABASE_URL: '/var/lib/shop.db' }).databaseUrl).toBe('/var/lib/shop.db');
    expect(parseEnv({ DATABASE_URL: ':memory:' }).databaseUrl).toBe(':memory:');
    expect(parseEnv({ DATABASE_URL: 'postgres://shop@db:5432/shop' }).databaseUrl).toBe(
      'postgres://shop@db:5432/shop',
    );
  });

  it('reads the Connect variables with @cartlink/linking/config, its errors naming the variable', () => {
    // The rules of each CONNECT_* variable are tested in packages/linking/src/config.test.ts.
    for (const [variable, value] of [
      ['CONNECT_BASE_URL', 'not a url'],
      ['CONNECT_TIMEOUT_MS', '5'],
      ['INSTACART_WEB_URL', 'www.instacart.com'],
    ] as const) {
      const error = configError({ [variable]: value });
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^${variable}: must be `));
    }
    expect(configError({ CONNECT_REQUIRE_ISSUER: 'true' }).message).toBe(
      'CONNECT_REQUIRE_ISSUER: needs CONNECT_ISSUER, the issuer to require',
    );
  });

  it('reads every variable it is given', () => {
    const config = parseEnv({
      PORT: '8080',
      PUBLIC_URL: 'https://shop.example.com/',
      CONNECT_CLIENT_SECRET: 's3cret',
      CONNECT_BASE_URL: 'https://connect.dev.instacart.tools/',
      CONNECT_AUTH_URL: 'https://auth.example/authorize',
      CONNECT_CLIENT_ID: 'client',
      CONNECT_USE_PKCE: 'false',
      CONNECT_RETAILER_ID: 'banner-7',
      CONNECT_ISSUER: 'https://auth.example',
      CONNECT_REQUIRE_ISSUER: 'true',
      INSTACART_WEB_URL: 'https://www.instacart.com/',
      DELIVERY_GRACE_SECONDS: '0',
      SESSION_IDLE_SECONDS: '600',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'https://shop.example.com',
      instacartWebUrl: 'https://www.instacart.com',
      deliveryGraceSeconds: 0,
      sessionIdleSeconds: 600,
      logLevel: 'warn',
      connect: {
        baseUrl: 'https://connect.dev.instacart.tools',
        clientSecret: 's3cret',
        clientId: 'client',
        usePkce: false,
        retailerId: 'banner-7',
        issuer: 'https://auth.example',
        requireIssuer: true,
        // Derived from PUBLIC_URL when not given.
        redirectUri: 'https://shop.example.com/account/profile',
      },
    });
  });

  it('lets the demo defaults follow PORT and EMULATOR_PORT, and explicit values win', () => {
    expect(parseEnv({ PORT: '3100', EMULATOR_PORT: '4110' })).toMatchObject({
      port: 3100,
      publicUrl: 'http://localhost:3100',
      instacartWebUrl: 'http://localhost:4110',
      connect: {
        baseUrl: 'http://localhost:4110',
        authUrl: 'http://localhost:4110/oauth/authorize',
        redirectUri: 'http://localhost:3100/account/profile',
      },
    });
    expect(
      parseEnv({ PORT: '3100', PUBLIC_URL: 'http://127.0.0.1:3100', CONNECT_BASE_URL: 'http://c.test' }),
    ).toMatchObject({
      publicUrl: 'http://127.0.0.1:3100',
      connect: { baseUrl: 'http://c.test', redirectUri: 'http://127.0.0.1:3100/account/profile' },
    });
    // PORT=0 (any free port, known only later) keeps the documented defaults.
    expect(parseEnv({ PORT: '0' }).publicUrl).toBe('http://localhost:3000');
  });

  it('reads the next credential set of a rotation through the shared reader, both or neither', () => {
    expect(parseEnv({}).connect.next).toBeUndefined();
    expect(
      parseEnv({ CONNECT_CLIENT_ID_NEXT: 'cartlink-demo-clone', CONNECT_CLIENT_SECRET_NEXT: 'clone-secret' })
        .connect.next,
    ).toEqual({ clientId: 'cartlink-demo-clone', clientSecret: 'clone-secret' });
    const half = configError({ CONNECT_CLIENT_ID_NEXT: 'cartlink-demo-clone' });
    expect(half.variable).toBe('CONNECT_CLIENT_SECRET_NEXT');
    expect(half.message).toBe(
      'CONNECT_CLIENT_SECRET_NEXT: is required with CONNECT_CLIENT_ID_NEXT (set both, or neither)',
    );
    const otherHalf = configError({ CONNECT_CLIENT_SECRET_NEXT: 'clone-secret' });
    expect(otherHalf.variable).toBe('CONNECT_CLIENT_ID_NEXT');
    expect(otherHalf.message).not.toContain('clone-secret');
  });

  it('treats an empty value as unset', () => {
    expect(parseEnv({ PORT: '', CONNECT_RETAILER_ID: ' ' })).toMatchObject({ port: 3000 });
    expect(parseEnv({ CONNECT_RETAILER_ID: '' }).connect.retailerId).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['EMULATOR_PORT', '0'],
    ['EMULATOR_PORT', 'forty'],
    ['PUBLIC_URL', 'localhost:3000'],
    ['PUBLIC_URL', 'ftp://shop.example'],
    ['PUBLIC_URL', 'http://shop.example/shop'],
    ['DATABASE_URL', 'mysql://shop@db/shop'],
    ['CONNECT_REDIRECT_URI', 'http://localhost:3000/callback'],
    ['CONNECT_REDIRECT_URI', 'http://evil.example/account/profile'],
    ['DELIVERY_GRACE_SECONDS', '-1'],
    ['SESSION_IDLE_SECONDS', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['SIGNIN_ACCOUNT_LIMIT', 'ten'],
    ['SIGNIN_ACCOUNT_LIMIT', '0'],
    ['SIGNIN_ADDRESS_LIMIT', '-5'],
    ['LINK_START_LIMIT', '2.5'],
    ['RATE_LIMIT_WINDOW_SECONDS', '0'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.0/40'],
    ['PASSWORD_HASH_CONCURRENCY', '0'],
    ['QUEUE_DEADLINE_MS', '5s'],
  ])('refuses a malformed %s (%s) with one line naming it', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('limits sign-in and link starts by default: 10 per account, 100 per address, 10 per session, in 15 minutes', () => {
    const config = parseEnv({});
    expect(config.rateLimits).toEqual({
      signInAccount: 10,
      signInAddress: 100,
      linkStart: 10,
      windowSeconds: 900,
    });
    expect(config.trustProxy).toEqual([]);
    expect(config.queueDeadlineMs).toBe(5000);
    expect(config.passwordHashConcurrency).toBeGreaterThanOrEqual(1);
    expect(config.passwordHashConcurrency).toBeLessThanOrEqual(Math.min(availableParallelism(), 4));
  });

  it('reads the throttling and load-shedding variables', () => {
    const config = parseEnv({
      SIGNIN_ACCOUNT_LIMIT: '5',
      SIGNIN_ADDRESS_LIMIT: '5000',
      LINK_START_LIMIT: '3',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      TRUST_PROXY: '10.0.0.0/8, 192.0.2.7',
      PASSWORD_HASH_CONCURRENCY: '8',
      QUEUE_DEADLINE_MS: '250',
    });
    expect(config.rateLimits).toEqual({
      signInAccount: 5,
      signInAddress: 5000,
      linkStart: 3,
      windowSeconds: 60,
    });
    expect(config.trustProxy).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
    ]);
    expect(config.passwordHashConcurrency).toBe(8);
    expect(config.queueDeadlineMs).toBe(250);
  });

  it("bounds the default hashing concurrency by libuv's thread pool", () => {
    expect(parseEnv({ UV_THREADPOOL_SIZE: '1' }).passwordHashConcurrency).toBe(1);
  });

  it('names the TRUST_PROXY entry it cannot read', () => {
    expect(configError({ TRUST_PROXY: '10.0.0.0/8, proxy.internal' }).message).toBe(
      'TRUST_PROXY: "proxy.internal" is not an IP address or CIDR network (e.g. 10.0.0.0/8)',
    );
  });

  it('never repeats a malformed database URL, which may hold a password', () => {
    const error = configError({ DATABASE_URL: 'mysql://shop:hunter2@db/shop' });
    expect(error.message).not.toContain('hunter2');
  });

  it('requires the client secret to be set explicitly when the shop runs over https', () => {
    const error = configError({ PUBLIC_URL: 'https://shop.example.com' });
    expect(error.variable).toBe('CONNECT_CLIENT_SECRET');
    expect(error.message).toMatch(/required/);
  });
});
