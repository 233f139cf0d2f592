import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CommandError, runCommand, startServer } from './processes.js';

const node = process.execPath;
const cwd = tmpdir();

describe('runCommand', () => {
  it('captures the output of a command that succeeds', async () => {
    const result = await runCommand(node, ['-e', 'console.log("out"); console.error("err")'], {
      cwd,
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  });

  it('throws on a non-zero exit with the output, unless failure is allowed', async () => {
    const script = 'console.log("why"); process.exit(3)';
    await expect(runCommand(node, ['-e', script], { cwd, timeoutMs: 10_000 })).rejects.toThrow(
      /exited with 3\nwhy/,
    );
    await expect(
      runCommand(node, ['-e', script], { cwd, timeoutMs: 10_000, allowFailure: true }),
    ).resolves.toMatchObject({
      code: 3,
    });
  });

  it('kills a command that outlives its time limit', async () => {
    const error = await runCommand(node, ['-e', 'setTimeout(() => {}, 60_000)'], {
      cwd,
      timeoutMs: 300,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).result.timedOut).toBe(true);
    expect((error as CommandError).message).toMatch(/did not finish within 0 s \(killed\)/);
  });
});

describe('startServer', () => {
  const serverScript = `console.log('warming up'); console.log('Shop listening on http://127.0.0.1:1234 (public)'); setInterval(() => {}, 1000);`;

  it('resolves with the URL of the ready line, and stops the server', async () => {
    const server = await startServer({
      name: 'shop',
      command: node,
      args: ['-e', serverScript],
      cwd,
      readyTimeoutMs: 10_000,
      ready: (line) => /listening on (\S+)/.exec(line)?.[1] ?? null,
    });
    expect(server.url).toBe('http://127.0.0.1:1234');
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it('gives up at once when the ready function refuses a line', async () => {
    await expect(
      startServer({
        name: 'emulator',
        command: node,
        args: ['-e', serverScript],
        cwd,
        readyTimeoutMs: 10_000,
        ready: (line) => {
          throw new Error(`unexpected first line: ${line}`);
        },
      }),
    ).rejects.toThrow('unexpected first line: warming up');
  });

  it('rejects with the output when the server exits before it is ready', async () => {
    await expect(
      startServer({
        name: 'shop',
        command: node,
        args: ['-e', 'console.error("DATABASE_URL: is required"); process.exit(2)'],
        cwd,
        readyTimeoutMs: 10_000,
        ready: () => null,
      }),
    ).rejects.toThrow(/shop exited \(2\) before it was ready\nDATABASE_URL: is required/);
  });
});
