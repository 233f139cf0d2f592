import { createConnectClient } from '@cartlink/connect';
import { describe, expect, it } from 'vitest';
import {
  CONNECT_VARIABLES,
  ConfigVariableError,
  type ConnectVariable,
  readConnectConfig,
  toConnectClientOptions,
  toLinkingOptions,
} from './config.js';
import { LinkingConfigError } from './errors.js';
import { createLinking } from './linking.js';
import { migrateToLatest } from './storage/migrate.js';
import { createSqlStorage } from './storage/sql-storage.js';
import { openSqliteDatabase } from './storage/sqlite-node.js';
import { FakeConnect, readAuthorizationUrl } from './test-support/fake-connect.js';

/** The variables without a default of the library: a shop must set them. */
const REQUIRED = {
  CONNECT_BASE_URL: 'https://connect.dev.instacart.tools',
  CONNECT_AUTH_URL: 'https://auth.example/oauth/authorize',
  CONNECT_CLIENT_ID: 'client-1',
  CONNECT_CLIENT_SECRET: 'cs_not_a_real_secret_7f3a',
  CONNECT_REDIRECT_URI: 'https://shop.example/account/profile',
} as const satisfies Partial<Record<ConnectVariable, string>>;

function configError(env: Record<string, string>, defaults?: Partial<Record<ConnectVariable, string>>) {
  try {
    readConnectConfig(env, defaults ? { defaults } : {});
  } catch (error) {
    if (error instanceof ConfigVariableError) return error;
    throw error;
  }
  throw new Error('readConnectConfig accepted the environment');
}

describe('readConnectConfig', () => {
  it('reads the required variables and applies the library defaults to the rest', () => {
    const config = readConnectConfig(REQUIRED);
    expect(config).toEqual({
      baseUrl: 'https://connect.dev.instacart.tools',
      authUrl: 'https://auth.example/oauth/authorize',
      clientId: 'client-1',
      clientSecret: 'cs_not_a_real_secret_7f3a',
      redirectUri: 'https://shop.example/account/profile',
      usePkce: true,
      requireIssuer: false,
      timeoutMs: 5000,
      instacartWebUrl: 'https://www.instacart.com',
    });
    expect('retailerId' in config).toBe(false);
    expect('issuer' in config).toBe(false);
  });

  it('reads every variable it is given, trimming values and trailing slashes of the base URLs', () => {
    expect(
      readConnectConfig({
        ...REQUIRED,
        CONNECT_BASE_URL: ' https://connect.instacart.com/ ',
        CONNECT_USE_PKCE: 'no',
        CONNECT_RETAILER_ID: 'banner-7',
        CONNECT_ISSUER: 'https://auth.example',
        CONNECT_REQUIRE_ISSUER: 'yes',
        CONNECT_TIMEOUT_MS: '2500',
        INSTACART_WEB_URL: 'https://www.instacart.ca//',
      }),
    ).toEqual({
      ...readConnectConfig(REQUIRED),
      baseUrl: 'https://connect.instacart.com',
      usePkce: false,
      retailerId: 'banner-7',
      issuer: 'https://auth.example',
      requireIssuer: true,
      timeoutMs: 2500,
      instacartWebUrl: 'https://www.instacart.ca',
    });
  });

  it.each(Object.keys(REQUIRED) as (keyof typeof REQUIRED)[])(
    'reports an unset %s as missing',
    (variable) => {
      const { [variable]: _left, ...env } = REQUIRED;
      const error = configError(env);
      expect(error.variable).toBe(variable);
      expect(error.message).toBe(`${variable}: is required`);
      // An empty or blank value is unset too.
      expect(configError({ ...REQUIRED, [variable]: '  ' }).message).toBe(`${variable}: is required`);
    },
  );

  it.each([
    ['CONNECT_BASE_URL', 'not a url', 'must be an absolute http:// or https:// URL'],
    ['CONNECT_AUTH_URL', 'javascript:alert(1)', 'must be an absolute http:// or https:// URL'],
    ['CONNECT_REDIRECT_URI', '/account/profile', 'must be an absolute http:// or https:// URL'],
    ['CONNECT_USE_PKCE', 'maybe', 'must be true or false'],
    ['CONNECT_REQUIRE_ISSUER', 'sometimes', 'must be true or false'],
    ['CONNECT_RETAILER_ID', 'r'.repeat(201), undefined],
    ['CONNECT_ISSUER', 'issuer', 'must be an absolute http:// or https:// URL'],
    ['CONNECT_TIMEOUT_MS', '5', 'must be between 100 and 120000'],
    ['CONNECT_TIMEOUT_MS', '5s', 'must be a whole number'],
    ['CONNECT_TIMEOUT_MS', '120001', 'must be between 100 and 120000'],
    ['INSTACART_WEB_URL', 'www.instacart.com', 'must be an absolute http:// or https:// URL'],
  ])('refuses a malformed %s (%s) with one line naming it', (variable, value, reason) => {
    const error = configError({ ...REQUIRED, [variable]: value });
    expect(error).toBeInstanceOf(LinkingConfigError);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain(value);
    if (reason !== undefined) expect(error.reason).toBe(reason);
  });

  it('never repeats a malformed secret', () => {
    const error = configError({ ...REQUIRED, CONNECT_BASE_URL: 'cs_live_4242' });
    expect(error.message).not.toContain('cs_live_4242');
  });

  it('reads the next credential set of a rotation, both variables or neither', () => {
    const config = readConnectConfig({
      ...REQUIRED,
      CONNECT_CLIENT_ID_NEXT: ' client-2 ',
      CONNECT_CLIENT_SECRET_NEXT: 'cs_next_not_a_real_secret_91c2',
    });
    expect(config.next).toEqual({ clientId: 'client-2', clientSecret: 'cs_next_not_a_real_secret_91c2' });
    expect('next' in readConnectConfig(REQUIRED)).toBe(false);
    // Blank is unset, for both.
    expect(
      'next' in
        readConnectConfig({ ...REQUIRED, CONNECT_CLIENT_ID_NEXT: ' ', CONNECT_CLIENT_SECRET_NEXT: '' }),
    ).toBe(false);
  });

  it.each([
    ['CONNECT_CLIENT_ID_NEXT', { CONNECT_CLIENT_SECRET_NEXT: 'cs_next_4d1' }, 'CONNECT_CLIENT_SECRET_NEXT'],
    ['CONNECT_CLIENT_SECRET_NEXT', { CONNECT_CLIENT_ID_NEXT: 'client-2' }, 'CONNECT_CLIENT_ID_NEXT'],
  ])('names %s when only the other of the next set is set', (missing, env, given) => {
    const error = configError({ ...REQUIRED, ...env });
    expect(error.variable).toBe(missing);
    expect(error.message).toBe(`${missing}: is required with ${given} (set both, or neither)`);
    expect(error.message).not.toContain('cs_next_4d1');
  });

  it('refuses a next client id equal to the current one: a rotation clone has its own', () => {
    const error = configError({
      ...REQUIRED,
      CONNECT_CLIENT_ID_NEXT: REQUIRED.CONNECT_CLIENT_ID,
      CONNECT_CLIENT_SECRET_NEXT: 'cs_next_4d1',
    });
    expect(error.variable).toBe('CONNECT_CLIENT_ID_NEXT');
    expect(error.reason).toMatch(/^must differ from CONNECT_CLIENT_ID/);
  });

  it('refuses to require an issuer it does not know', () => {
    expect(configError({ ...REQUIRED, CONNECT_REQUIRE_ISSUER: 'true' }).message).toBe(
      'CONNECT_REQUIRE_ISSUER: needs CONNECT_ISSUER, the issuer to require',
    );
  });

  it('fills unset variables from the given defaults, validated like the environment', () => {
    const defaults = {
      CONNECT_BASE_URL: 'http://localhost:4010',
      CONNECT_AUTH_URL: 'http://localhost:4010/oauth/authorize',
      CONNECT_CLIENT_ID: 'cartlink-demo',
      CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
      CONNECT_REDIRECT_URI: 'http://localhost:3000/account/profile',
      CONNECT_USE_PKCE: 'false',
      INSTACART_WEB_URL: 'http://localhost:4010',
    };
    expect(readConnectConfig({}, { defaults })).toMatchObject({
      baseUrl: 'http://localhost:4010',
      clientId: 'cartlink-demo',
      usePkce: false,
      instacartWebUrl: 'http://localhost:4010',
    });
    // The environment wins over a default, and an empty value falls back to it.
    expect(
      readConnectConfig({ CONNECT_CLIENT_ID: 'client-9', CONNECT_BASE_URL: '' }, { defaults }),
    ).toMatchObject({ clientId: 'client-9', baseUrl: 'http://localhost:4010' });
    expect(configError({}, { ...defaults, CONNECT_AUTH_URL: 'localhost' }).variable).toBe('CONNECT_AUTH_URL');
  });

  it('has no demo values of its own', () => {
    expect(configError({}).message).toBe('CONNECT_BASE_URL: is required');
  });

  it('lists every variable it reads', () => {
    const seen = new Set<string>();
    const env = new Proxy({ ...REQUIRED } as Record<string, string | undefined>, {
      get(target, key) {
        if (typeof key === 'string') seen.add(key);
        return target[key as string];
      },
    });
    readConnectConfig(env);
    expect([...seen].sort()).toEqual([...CONNECT_VARIABLES].sort());
  });
});

describe('toConnectClientOptions and toLinkingOptions', () => {
  const config = readConnectConfig({
    ...REQUIRED,
    CONNECT_RETAILER_ID: 'banner-7',
    CONNECT_ISSUER: 'https://auth.example',
    CONNECT_TIMEOUT_MS: '3000',
  });

  it('make the client options, the timeout bounding each attempt and the whole call', () => {
    expect(toConnectClientOptions(config)).toEqual({
      baseUrl: 'https://connect.dev.instacart.tools',
      clientId: 'client-1',
      clientSecret: 'cs_not_a_real_secret_7f3a',
      timeoutMs: 3000,
      retry: { budgetMs: 3000 },
      retailerId: 'banner-7',
    });
    expect('retailerId' in toConnectClientOptions(readConnectConfig(REQUIRED))).toBe(false);
  });

  it('pass the next credential set on to the client, and nothing of it without one', () => {
    const rotating = readConnectConfig({
      ...REQUIRED,
      CONNECT_CLIENT_ID_NEXT: 'client-2',
      CONNECT_CLIENT_SECRET_NEXT: 'cs_next_not_a_real_secret_91c2',
    });
    expect(toConnectClientOptions(rotating)).toMatchObject({
      clientId: 'client-1',
      nextCredentials: { clientId: 'client-2', clientSecret: 'cs_next_not_a_real_secret_91c2' },
    });
    expect('nextCredentials' in toConnectClientOptions(config)).toBe(false);
    // The linking core takes the client id in use from the client; its own option stays the current one.
    expect(toLinkingOptions(rotating).clientId).toBe('client-1');
    expect(createConnectClient(toConnectClientOptions(rotating)).listClientIds()).toEqual([
      'client-1',
      'client-2',
    ]);
  });

  it('make the linking options, leaving out an unset issuer', () => {
    expect(toLinkingOptions(config)).toEqual({
      authorizationEndpoint: 'https://auth.example/oauth/authorize',
      clientId: 'client-1',
      redirectUri: 'https://shop.example/account/profile',
      usePkce: true,
      issuer: 'https://auth.example',
      requireIssuer: false,
      instacartWebUrl: 'https://www.instacart.com',
    });
    // An explicit `issuer: undefined` would still override createLinking's own handling.
    expect('issuer' in toLinkingOptions(readConnectConfig(REQUIRED))).toBe(false);
  });

  it('wire a shop from the environment alone', async () => {
    const fake = new FakeConnect();
    const db = openSqliteDatabase(':memory:');
    await migrateToLatest(db);
    try {
      const connect = createConnectClient({ ...toConnectClientOptions(config), fetch: fake.fetch });
      const linking = createLinking({
        ...toLinkingOptions(config),
        connect,
        storage: createSqlStorage(db),
        loadConnectUserProfile: async () => ({ firstName: 'Alex' }),
      });
      const { authorizationUrl } = await linking.startLink({ sessionId: 'session-1', userId: 'user-1' });
      const url = new URL(authorizationUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://auth.example/oauth/authorize');
      expect(url.searchParams.get('client_id')).toBe('client-1');
      expect(url.searchParams.get('redirect_uri')).toBe('https://shop.example/account/profile');
      expect(readAuthorizationUrl(authorizationUrl).codeChallenge).not.toBeNull();

      const status = await linking.getStatus({ sessionId: 'session-1', userId: 'user-1' });
      expect(status.manageUrl).toBe('https://www.instacart.com/store/account/instacart-plus');
      expect(fake.count('status')).toBe(1);
    } finally {
      await db.destroy();
    }
  });
});
