import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliOptions } from './cli-options';

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
      help: false,
    });
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
    [['--unknown']],
    [['positional']],
  ])('refuses %o with one clear line', (argv) => {
    expect(() => parseCliOptions(argv, {})).toThrow(CliUsageError);
  });
});
