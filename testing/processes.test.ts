import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CommandError, isAddressInUse, runCommand, startServer, withFreePort } from './processes.js';

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

  it('reads the output to its end before saying why the server exited', async () => {
    // The last line comes after the process itself has exited (from a child that shares its stderr):
    // read on 'exit' it would be missing; 'close' waits for the pipes to end.
    const late = `setTimeout(() => console.error('listen EADDRINUSE: 127.0.0.1:3000'), 300)`;
    const script = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(late)}], { stdio: 'inherit' }); process.exit(1);`;
    await expect(
      startServer({
        name: 'shop',
        command: node,
        args: ['-e', script],
        cwd,
        readyTimeoutMs: 10_000,
        ready: () => null,
      }),
    ).rejects.toThrow(/^shop exited \(1\) before it was ready\nlisten EADDRINUSE: 127\.0\.0\.1:3000$/);
  });
});

describe('startServer, the rest of a ChildServer', () => {
  const ipcServer = `
    process.on('message', (message) => {
      if (message.op === 'stop') process.exit(0);
      if (message.op === 'double') process.send({ id: message.id, ok: true, value: message.args * 2 });
      else process.send({ id: message.id, ok: false, error: 'unknown op ' + message.op });
    });
    console.log(JSON.stringify({ level: 50, msg: 'disk full', err: { message: 'ENOSPC' } }));
    console.log(JSON.stringify({ level: 30, msg: 'fine' }));
    console.error('Error: the last line, without a newline');
    process.stderr.write('and one more');
    process.send({ type: 'ready', url: 'http://127.0.0.1:4321' });
    setInterval(() => {}, 1000);
  `;

  it('is ready over IPC, answers calls, collects error lines, and stops on the stop request', async () => {
    const server = await startServer({
      name: 'ipc',
      command: node,
      args: ['-e', ipcServer],
      cwd,
      ready: 'ipc',
    });
    expect(server.url).toBe('http://127.0.0.1:4321');
    expect(await server.call<number>('double', 21)).toBe(42);
    await expect(server.call('triple', 1)).rejects.toThrow('ipc: unknown op triple');
    expect(server.rssMb()).toBeGreaterThan(1);
    expect(server.cpuMs()).toBeGreaterThanOrEqual(0);
    await server.stop();
    expect(server.hasExited()).toBe(true);
    expect(await server.exited).toBe('0');
    expect(server.errorLines()).toEqual(['disk full: ENOSPC', 'Error: the last line, without a newline']);
    expect(server.output()).toContain('and one more');
    await expect(server.call('double', 1)).rejects.toThrow('ipc is not running');
  });

  it('kills a server with kill -9, and ignores stdout when told', async () => {
    const server = await startServer({
      name: 'quiet',
      command: node,
      args: ['-e', ipcServer],
      cwd,
      ready: 'ipc',
      stdout: 'ignore',
    });
    await server.kill9();
    expect(await server.exited).toBe('SIGKILL');
    expect(server.output()).not.toContain('disk full');
    await expect(
      startServer({
        name: 'quiet',
        command: node,
        args: ['-e', ipcServer],
        cwd,
        ready: () => null,
        stdout: 'ignore',
      }),
    ).rejects.toThrow('must say it is ready over IPC');
  });

  it('says a command could not be started, without crashing the runner', async () => {
    await expect(
      (async () =>
        startServer({ name: 'ghost', command: '/no/such/command', args: [], cwd, ready: () => null }))(),
    ).rejects.toThrow(/ghost/);
  });
});

describe('withFreePort', () => {
  const ports = (...list: number[]) => {
    const queue = [...list];
    return () => Promise.resolve(queue.shift() ?? 0);
  };
  const taken = new Error('shop exited (1) before it was ready\nlisten EADDRINUSE: address already in use');

  it('starts once on the port it finds', async () => {
    const tried: number[] = [];
    const started = await withFreePort(
      async (port) => {
        tried.push(port);
        return `on ${port}`;
      },
      undefined,
      ports(4001, 4002),
    );
    expect(started).toBe('on 4001');
    expect(tried).toEqual([4001]);
  });

  it('tries another port once when the first was taken, saying so', async () => {
    const tried: number[] = [];
    const said: string[] = [];
    const started = await withFreePort(
      async (port) => {
        tried.push(port);
        if (port === 4001) throw taken;
        return `on ${port}`;
      },
      (line) => said.push(line),
      ports(4001, 4002),
    );
    expect(started).toBe('on 4002');
    expect(tried).toEqual([4001, 4002]);
    expect(said).toEqual(['port 4001 was taken before the server bound it (EADDRINUSE): trying port 4002']);
  });

  it('gives up after the second attempt, and at once on any other failure', async () => {
    const tried: number[] = [];
    await expect(
      withFreePort(
        async (port) => {
          tried.push(port);
          throw taken;
        },
        undefined,
        ports(4001, 4002, 4003),
      ),
    ).rejects.toBe(taken);
    expect(tried).toEqual([4001, 4002]);

    const other = new Error('shop exited (2) before it was ready\nDATABASE_URL: is required');
    let calls = 0;
    await expect(
      withFreePort(
        async () => {
          calls += 1;
          throw other;
        },
        undefined,
        ports(4001, 4002),
      ),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
  });

  it('tells EADDRINUSE from other errors', () => {
    expect(isAddressInUse(taken)).toBe(true);
    expect(isAddressInUse(new Error('EADDRINUSEX'))).toBe(false);
    expect(isAddressInUse('EADDRINUSE')).toBe(false);
  });
});
