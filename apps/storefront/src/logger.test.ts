import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand, tsxCommand } from '../../../testing/processes';
import { createLogDestination, createLogger } from './logger.js';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'storefront-logger-'));
  directories.push(directory);
  return directory;
}

/** The messages of the JSON lines written to `file` so far. */
function messages(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe('the default log destination', () => {
  // The file descriptors stay open: the destinations' once-a-second flush keeps using them.
  it('gathers info lines, writes a warning at once, and the gathered lines within a second', async () => {
    const file = join(temporaryDirectory(), 'log.jsonl');
    const logger = createLogger('info', createLogDestination(openSync(file, 'w')));
    logger.info('request one');
    logger.info('request two');
    expect(messages(file)).toEqual([]);
    logger.warn('connect unreachable');
    expect(messages(file)).toEqual(['connect unreachable']);
    await vi.waitFor(
      () => expect(messages(file)).toEqual(['connect unreachable', 'request one', 'request two']),
      { timeout: 10_000, interval: 50 },
    );
  });

  it('loses the lines, never the process, when they cannot be written', async () => {
    const file = join(temporaryDirectory(), 'read-only.jsonl');
    writeFileSync(file, '');
    const told = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // Writes to a descriptor opened for reading fail (EBADF), here from the flush timer.
      const logger = createLogger('info', createLogDestination(openSync(file, 'r')));
      logger.info('request');
      await vi.waitFor(
        () => expect(told).toHaveBeenCalledWith(expect.stringContaining('log lines were lost')),
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      told.mockRestore();
    }
  });

  it('writes every gathered line before the process exits', async () => {
    const directory = temporaryDirectory();
    const script = join(directory, 'log-and-exit.ts');
    const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
    writeFileSync(
      script,
      [
        `import { createLogger } from ${JSON.stringify(logger)};`,
        `const logger = createLogger('info');`,
        `for (let i = 1; i <= 3; i++) logger.info({ i }, 'request');`,
        // As main.ts stops on SIGTERM: at once, with lines still gathered.
        'process.exit(0);',
      ].join('\n'),
    );
    const { command, args } = tsxCommand(script);
    // From the repository, where `--import tsx` resolves.
    const cwd = fileURLToPath(new URL('../../../', import.meta.url));
    const result = await runCommand(command, args, { cwd, timeoutMs: 60_000 });
    const lines = result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { msg: string; i: number });
    expect(lines.map((line) => `${line.msg} ${line.i}`)).toEqual(['request 1', 'request 2', 'request 3']);
  });
});
