import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliOptions } from './cli-options.js';

describe('parseCliOptions', () => {
  it('defaults to the demo on 127.0.0.1:4010, in memory', () => {
    expect(parseCliOptions([], {})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      seed: 'demo',
      stateFile: undefined,
      publicUrl: undefined,
      latencyMs: 0,
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
      ],
      { EMULATOR_ADMIN_TOKEN: 'token-from-the-environment' },
    );
    expect(options).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      seed: 'empty',
      stateFile: 'x.json',
      publicUrl: 'https://ic.test',
      latencyMs: 25,
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
