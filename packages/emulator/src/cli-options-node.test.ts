import { describe, expect, it } from 'vitest';
import { APPS_USAGE, CliUsageError, parseAppsCommand, parseCliOptions, USAGE } from './cli-options-node.js';

describe('parseCliOptions', () => {
  it('defaults to the demo on 127.0.0.1:4010, in memory', () => {
    expect(parseCliOptions([], {})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      seed: 'demo',
      stateFile: undefined,
      scenarioFile: undefined,
      scenario: {},
      publicUrl: undefined,
      adminToken: undefined,
      publicHosts: [],
      loginLimits: { failuresPerAccount: 10, attemptsPerAddress: 100, windowSeconds: 900 },
      help: false,
    });
  });

  it('reads public hosts (repeatable flag, else EMULATOR_PUBLIC_HOSTS) and the log-in limits', () => {
    expect(
      parseCliOptions(['--public-host', 'Emulator.Example.test', '--public-host', '192.0.2.7'], {
        EMULATOR_PUBLIC_HOSTS: 'ignored.test',
      }).publicHosts,
    ).toEqual(['emulator.example.test', '192.0.2.7']);
    expect(parseCliOptions([], { EMULATOR_PUBLIC_HOSTS: 'a.test, b.test,' }).publicHosts).toEqual([
      'a.test',
      'b.test',
    ]);
    expect(
      parseCliOptions(
        [
          '--login-failures-per-account',
          '50',
          '--login-attempts-per-address',
          '100000',
          '--login-window-seconds',
          '60',
        ],
        {},
      ).loginLimits,
    ).toEqual({ failuresPerAccount: 50, attemptsPerAddress: 100000, windowSeconds: 60 });
  });

  it('reads every option, and the admin token from the environment', () => {
    const options = parseCliOptions(
      [
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--seed',
        'empty',
        '--state-file',
        'x.json',
        '--public-url',
        'https://ic.test/',
        '--latency-ms',
        '25',
        '--scenario',
        'qa.json',
      ],
      { EMULATOR_ADMIN_TOKEN: 'token-from-the-environment' },
    );
    expect(options).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      seed: 'empty',
      stateFile: 'x.json',
      publicUrl: 'https://ic.test',
      scenarioFile: 'qa.json',
      scenario: { settings: { latency_ms: 25 } },
      adminToken: 'token-from-the-environment',
    });
    expect(
      parseCliOptions(['--admin-token', 'flag-beats-environment'], {
        EMULATOR_ADMIN_TOKEN: 'token-from-the-environment',
      }).adminToken,
    ).toBe('flag-beats-environment');
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--seed', 'full']],
    [['--latency-ms', '-5']],
    [['--public-url', 'localhost:4010']],
    [['--public-url', 'ftp://x.test']],
    [['--admin-token', 'short']],
    [['--public-host', 'http://x.test']],
    [['--public-host', 'x.test:8080']],
    [['--public-host', 'x.test/path']],
    [['--public-host', '']],
    [['--login-failures-per-account', '0']],
    [['--login-attempts-per-address', 'many']],
    [['--login-window-seconds', '-1']],
    [['--login-window-seconds', '3000000']],
    [['--unknown']],
    [['positional']],
  ])('refuses %o with one clear line', (argv) => {
    expect(() => parseCliOptions(argv, {})).toThrow(CliUsageError);
  });
});

describe('the data and settings flags', () => {
  it('describe a scenario: apps with their redirect URIs, URIs added to other apps, accounts, settings', () => {
    const { scenario } = parseCliOptions(
      [
        '--app',
        'acme:acme-secret:Acme Foods: Downtown',
        '--redirect-uri',
        'acme=http://localhost:5173/account/instacart',
        '--redirect-uri',
        'http://localhost:5173/account/profile?tab=a=b',
        '--redirect-uri',
        'other-app=https://shop.test/cb',
        '--app',
        'beta:beta-secret',
        '--redirect-uri',
        'beta=https://beta.test/cb',
        '--account',
        'never@qa.test:pw',
        '--account',
        'member@qa.test:pw:plus',
        '--account',
        'until@qa.test:pw:plus:2027-01-31T00:00:00Z',
        '--account',
        'lapsed@qa.test:pw:plus:-30d',
        '--account',
        'none@qa.test:pw:none',
        '--issuer-param',
        '--no-require-pkce',
        '--latency-ms',
        '40',
      ],
      {},
    );
    expect(scenario).toEqual({
      apps: [
        {
          client_id: 'acme',
          client_secret: 'acme-secret',
          name: 'Acme Foods: Downtown',
          redirect_uris: ['http://localhost:5173/account/instacart'],
        },
        {
          client_id: 'beta',
          client_secret: 'beta-secret',
          name: 'beta',
          redirect_uris: ['https://beta.test/cb'],
        },
      ],
      redirect_uris: {
        'cartlink-demo': ['http://localhost:5173/account/profile?tab=a=b'],
        'other-app': ['https://shop.test/cb'],
      },
      instacart_users: [
        { email: 'never@qa.test', password: 'pw', instacartplus_member: false },
        { email: 'member@qa.test', password: 'pw', instacartplus_member: true },
        {
          email: 'until@qa.test',
          password: 'pw',
          instacartplus_member: true,
          expired_at: '2027-01-31T00:00:00Z',
        },
        { email: 'lapsed@qa.test', password: 'pw', instacartplus_member: true, expired_at: '-30d' },
        { email: 'none@qa.test', password: 'pw', instacartplus_member: false },
      ],
      settings: { issuer_param: true, require_pkce: false, latency_ms: 40 },
    });
  });

  it('leave the settings alone when not given', () => {
    expect(parseCliOptions(['--require-pkce'], {}).scenario).toEqual({ settings: { require_pkce: true } });
  });

  it.each([
    [['--app', 'acme'], /^--app must be CLIENT_ID:CLIENT_SECRET\[:NAME\], got "acme"$/],
    [['--app', 'acme:'], /^--app must be/],
    [['--app', 'acme:top-secret'], /^--app acme needs at least one --redirect-uri acme=URL$/],
    [
      ['--app', 'acme:s', '--redirect-uri', 'acme=ftp://x.test/cb'],
      /^--redirect-uri acme=ftp:\/\/x\.test\/cb: redirect URI must be http or https/,
    ],
    [
      ['--app', 'acme:s', '--app', 'acme:t', '--redirect-uri', 'acme=http://x.test/cb'],
      /^--app acme: client_id: the same client_id as apps\[0\]$/,
    ],
    [
      ['--redirect-uri', 'localhost:3000/cb'],
      /^--redirect-uri cartlink-demo=localhost:3000\/cb: redirect URI must be http or https/,
    ],
    [['--redirect-uri', 'http://x.test/cb#fragment'], /fragment/],
    [['--account', 'qa@shop.test'], /^--account must be EMAIL:PASSWORD\[:MEMBERSHIP\], got "qa@shop.test"$/],
    [
      ['--account', 'qa@shop.test:pw:gold'],
      /^--account qa@shop.test: MEMBERSHIP must be none, plus or plus:WHEN/,
    ],
    [
      ['--account', 'qa@shop.test:pw:plus:next-year'],
      /^--account qa@shop.test: expired_at: must be an ISO 8601 date-time/,
    ],
    [['--account', 'qa@shop.test:pw:plus:+3y'], /^--account qa@shop.test: expired_at:/],
    [['--account', 'not-an-email:pw'], /^--account not-an-email: email: /],
    [['--account', 'qa@shop.test:'], /^--account qa@shop.test: password: /],
    [
      ['--account', 'qa@shop.test:a', '--account', 'QA@shop.test:b'],
      /^--account QA@shop.test: email: the same email as instacart_users\[0\]$/,
    ],
    [['--issuer-param', '--no-issuer-param'], /^--issuer-param and --no-issuer-param contradict each other$/],
    [['--latency-ms', 'slow'], /^--latency-ms must be an integer, got "slow"$/],
    [['--latency-ms', '60001'], /^--latency-ms: /],
    [['--issuer-param=yes'], /issuer-param/],
    [['--scenario', ''], /^--scenario needs a file name$/],
  ])('refuses %o with one line naming the flag', (argv, message) => {
    let thrown: unknown;
    try {
      parseCliOptions(argv, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliUsageError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
    // A secret or a password typed into a flag is never echoed back.
    expect((thrown as Error).message).not.toMatch(/top-secret|:pw\b/);
  });

  it('documents every flag in --help', () => {
    for (const flag of [
      '--port',
      '--host',
      '--seed',
      '--state-file',
      '--scenario',
      '--app',
      '--redirect-uri',
      '--account',
      '--issuer-param',
      '--no-issuer-param',
      '--require-pkce',
      '--no-require-pkce',
      '--public-url',
      '--latency-ms',
      '--admin-token',
      '--public-host',
      '--login-failures-per-account',
      '--login-attempts-per-address',
      '--login-window-seconds',
      '--help',
    ]) {
      expect(USAGE).toMatch(new RegExp(`(^|\\s)${flag}[ ,]`, 'm'));
    }
    expect(USAGE).toContain('Instacart Connect emulator listening on <url>');
  });
});

describe('parseAppsCommand (cartlink-emulator apps …)', () => {
  it('reads the command, the client id, the URL and the admin token', () => {
    expect(parseAppsCommand(['list'], {})).toEqual({
      action: 'list',
      clientId: undefined,
      url: 'http://localhost:4010',
      adminToken: undefined,
      clone: {},
    });
    expect(
      parseAppsCommand(['disable', 'cartlink-demo', '--url', 'http://127.0.0.1:4999/'], {
        EMULATOR_ADMIN_TOKEN: 'from-the-environment',
      }),
    ).toEqual({
      action: 'disable',
      clientId: 'cartlink-demo',
      url: 'http://127.0.0.1:4999',
      adminToken: 'from-the-environment',
      clone: {},
    });
    expect(parseAppsCommand(['delete', 'x', '--admin-token', 'flag-token-0123456789'], {})).toMatchObject({
      adminToken: 'flag-token-0123456789',
    });
  });

  it("takes the clone's client id, secret and redirect URIs for clone only", () => {
    expect(
      parseAppsCommand(
        [
          'clone',
          'cartlink-demo',
          '--client-id',
          'next',
          '--client-secret',
          'next-secret',
          '--redirect-uri',
          'http://a.test/cb',
          '--redirect-uri',
          'http://b.test/cb',
        ],
        {},
      ),
    ).toMatchObject({
      action: 'clone',
      clientId: 'cartlink-demo',
      clone: {
        clientId: 'next',
        clientSecret: 'next-secret',
        redirectUris: ['http://a.test/cb', 'http://b.test/cb'],
      },
    });
    expect(() => parseAppsCommand(['disable', 'x', '--client-id', 'y'], {})).toThrow(/belong to apps clone/);
    expect(() => parseAppsCommand(['clone', 'x', '--redirect-uri', 'ftp://a.test/cb'], {})).toThrow(
      /redirect_uris\[0\]: redirect URI must be http or https/,
    );
  });

  it('refuses a missing or unknown command, a missing or extra client id, a bad URL and unknown flags', () => {
    for (const argv of [
      [],
      ['rotate', 'x'],
      ['disable'],
      ['delete', ''],
      ['list', 'x'],
      ['enable', 'x', 'y'],
      ['list', '--url', 'localhost:4010'],
      ['list', '--url', 'ftp://localhost'],
      ['list', '--port', '4010'],
    ]) {
      expect(() => parseAppsCommand(argv, {}), argv.join(' ')).toThrow(CliUsageError);
    }
  });

  it('answers help for --help and documents every command and flag', () => {
    expect(parseAppsCommand(['--help'], {})).toBe('help');
    expect(parseAppsCommand(['clone', '--help'], {})).toBe('help');
    for (const word of ['list', 'clone', 'disable', 'enable', 'delete']) {
      expect(APPS_USAGE).toMatch(new RegExp(`^  ${word}\\b`, 'm'));
    }
    for (const flag of [
      '--url',
      '--admin-token',
      '--client-id',
      '--client-secret',
      '--redirect-uri',
      '--help',
    ]) {
      expect(APPS_USAGE).toMatch(new RegExp(`^  ${flag} `, 'm'));
    }
    expect(USAGE).toContain('cartlink-emulator apps <list|clone|disable|enable|delete>');
  });
});
