/**
 * The `cartlink-emulator` command as a retailer's CI runs it: `node bin/cartlink-emulator.js` on the
 * compiled dist/ (built once here), with a scenario file and flags. Every wait is on a condition:
 * the first line appearing, the process ending (its output read to the end).
 */
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorScenario } from './scenario.js';
import { DEMO_SEED } from './seed.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PACKAGE, 'bin', 'cartlink-emulator.js');
/** The machine-readable first line; scripts and the package test read the URL from it. */
const FIRST_LINE = /^Instacart Connect emulator listening on (http:\/\/\S+) \(public URL (http:\/\/\S+)\)$/;

/**
 * What the build may take: quick when up to date, but a full `tsc -b` on a loaded two-core machine is
 * slow, and only a build that hangs may fail the suite.
 */
const BUILD_LIMIT_MS = 240_000;

beforeAll(async () => {
  // The command runs the compiled CLI: build this package (incremental, quick when up to date).
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The hook's limit is the one that fails; the child's, above it, only reaps a tsc left behind.
  await promisify(execFile)(process.execPath, [tsc, '-b', join(PACKAGE, 'tsconfig.build.json')], {
    timeout: BUILD_LIMIT_MS + 30_000,
  });
}, BUILD_LIMIT_MS);

let dir: string;
const children = new Set<ChildProcessByStdio<null, Readable, Readable>>();
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cartlink-emulator-cli-'));
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function launch(args: string[], bin = BIN) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close', not 'exit': 'exit' may come before the pipes are drained, with the last output unread.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Starts the command and resolves once its first line is out (rejects if it exits first). */
async function start(args: string[], bin = BIN) {
  const run = launch(['--port', '0', ...args], bin);
  const firstLine = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const newline = run.stdout().indexOf('\n');
      if (newline !== -1) resolve(run.stdout().slice(0, newline));
    };
    run.child.stdout.on('data', check);
    void run.exited.then((code) => reject(new Error(`exited with ${code}: ${run.stdout()}${run.stderr()}`)));
  });
  const match = FIRST_LINE.exec(firstLine);
  if (!match?.[1]) throw new Error(`unexpected first line: ${firstLine}`);
  const url = match[1];
  return {
    ...run,
    firstLine,
    url,
    /** Sends SIGTERM and resolves with the exit code. */
    stop: () => {
      run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}

/** Runs the command to its end. */
async function runToExit(args: string[], bin = BIN) {
  const run = launch(args, bin);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const json = (url: string, init?: RequestInit) => fetch(url, init).then((response) => response.json());

interface State {
  apps: {
    client_id: string;
    retailer_id: string;
    status: string;
    name: string;
    redirect_uris: string[];
    scopes: string[];
  }[];
  instacart_users: { email: string; instacartplus_member: boolean; expired_at: string | null }[];
}

const SCENARIO: EmulatorScenario = {
  apps: [
    {
      client_id: 'acme',
      client_secret: 'acme-file-secret',
      name: 'Acme Foods',
      redirect_uris: ['http://localhost:5173/account/instacart'],
    },
  ],
  redirect_uris: { [DEMO_SEED.app.clientId]: ['http://localhost:5173/account/profile'] },
  instacart_users: [
    { email: 'member@qa.test', password: 'file-password', instacartplus_member: true, expired_at: '+365d' },
    { email: 'lapsed@qa.test', password: 'file-password', instacartplus_member: true, expired_at: '-30d' },
  ],
  settings: { require_pkce: true },
};

describe('npx @cartlink/emulator (bin/cartlink-emulator.js on dist/)', () => {
  it('starts with a scenario file and flags, holds them over HTTP and after a reset, and exits 0 on SIGTERM', async () => {
    const file = join(dir, 'qa.json');
    writeFileSync(file, JSON.stringify(SCENARIO, null, 2));
    const cli = await start([
      '--scenario',
      file,
      '--redirect-uri',
      'acme=http://localhost:5174/account/instacart',
      '--account',
      'flag@qa.test:flag-password:plus:+10d',
      '--issuer-param',
    ]);
    expect(cli.firstLine).toBe(`Instacart Connect emulator listening on ${cli.url} (public URL ${cli.url})`);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const check = async () => {
      const state = (await json(`${cli.url}/_emulator/state`)) as State;
      expect(state.apps).toEqual([
        {
          client_id: DEMO_SEED.app.clientId,
          retailer_id: DEMO_SEED.app.retailerId,
          status: 'enabled',
          name: DEMO_SEED.app.name,
          redirect_uris: [DEMO_SEED.app.redirectUri, 'http://localhost:5173/account/profile'],
          scopes: ['connect:fulfillment', 'account_linking'],
        },
        {
          client_id: 'acme',
          retailer_id: 'acme',
          status: 'enabled',
          name: 'Acme Foods',
          redirect_uris: [
            'http://localhost:5173/account/instacart',
            'http://localhost:5174/account/instacart',
          ],
          scopes: ['connect:fulfillment', 'account_linking'],
        },
      ]);
      const users = new Map(state.instacart_users.map((user) => [user.email, user]));
      expect(users.get('member@qa.test')?.instacartplus_member).toBe(true);
      expect(Date.parse(String(users.get('member@qa.test')?.expired_at))).toBeGreaterThan(
        Date.now() + 300 * 86_400_000,
      );
      expect(Date.parse(String(users.get('lapsed@qa.test')?.expired_at))).toBeLessThan(Date.now());
      expect(Date.parse(String(users.get('flag@qa.test')?.expired_at))).toBeGreaterThan(Date.now());
      expect(users.has(DEMO_SEED.users.plus)).toBe(true);
      expect(await json(`${cli.url}/_emulator/settings`)).toEqual({
        issuer_param: true,
        require_pkce: true,
        latency_ms: 0,
      });
    };
    await check();
    const token = await fetch(`${cli.url}/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'acme',
        client_secret: 'acme-file-secret',
        scope: 'connect:fulfillment',
      }),
    });
    expect(token.status).toBe(200);

    await fetch(`${cli.url}/_emulator/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ issuer_param: false, require_pkce: false }),
    });
    const reset = await fetch(`${cli.url}/_emulator/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(reset.status).toBe(204);
    await check();

    // The start-up lines name what was registered, never a secret or a password.
    const output = cli.stdout();
    expect(output).toContain('settings:    issuer_param true, require_pkce true, latency_ms 0');
    expect(output).toContain(`scenario:    ${file}, then flags`);
    expect(output).toContain(
      'OAuth app:   client_id acme, redirect URIs http://localhost:5173/account/instacart, http://localhost:5174/account/instacart ("Acme Foods")',
    );
    expect(output).toContain(
      `redirect URI added to ${DEMO_SEED.app.clientId}: http://localhost:5173/account/profile`,
    );
    expect(output).toMatch(
      /Instacart login: member@qa\.test \(Instacart\+ until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)/,
    );
    expect(output).toMatch(/Instacart login: lapsed@qa\.test \(lapsed: Instacart\+ ended \d{4}-.*Z\)/);
    expect(output).toContain('Instacart login: flag@qa.test (Instacart+ until');
    expect(output).not.toMatch(/acme-file-secret|file-password|flag-password/);

    expect(await cli.stop()).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  it('prints the demo credentials only where the scenario left them as seeded', async () => {
    const cli = await start([
      '--app',
      `${DEMO_SEED.app.clientId}:qa-only-secret:QA`,
      '--redirect-uri',
      `${DEMO_SEED.app.clientId}=http://localhost:5999/account/profile`,
      '--account',
      `${DEMO_SEED.users.plus}:qa-only-password:none`,
    ]);
    await expect.poll(() => cli.stdout()).toContain('Instacart logins (password');
    const output = cli.stdout();
    // The replaced app and account have other credentials: the seed's would not work.
    expect(output).not.toContain(DEMO_SEED.app.clientSecret);
    expect(output).toContain(
      `Instacart logins (password "${DEMO_SEED.password}"): ${DEMO_SEED.users.basic} (no Instacart+), ${DEMO_SEED.users.lapsed} (lapsed)`,
    );
    expect(output).toContain(`Instacart login: ${DEMO_SEED.users.plus} (no Instacart+)`);
    expect(output).not.toMatch(/qa-only-secret|qa-only-password/);
    expect(await cli.stop()).toBe(0);
  });

  it.each([
    [
      'a scenario the schema refuses',
      {
        instacart_users: [
          { email: 'x@qa.test', password: 'p', instacartplus_member: true, expired_at: 'next year' },
        ],
      },
      /^cartlink-emulator: scenario file .*bad\.json: instacart_users\[0\]\.expired_at: must be an ISO 8601 date-time/,
    ],
    [
      'a scenario that is not JSON',
      '{"apps": [',
      /^cartlink-emulator: scenario file .*bad\.json: not valid JSON/,
    ],
    [
      'redirect URIs for an unknown app',
      { redirect_uris: { nobody: ['http://x.test/cb'] } },
      /^cartlink-emulator: scenario: redirect_uris names the application "nobody", which neither the demo seed nor the scenario registers\n$/,
    ],
  ])('stops with exit 2 and one line for %s', async (_name, content, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    const result = await runToExit(['--port', '0', '--scenario', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('stops with exit 2 and one line for a missing scenario file or a bad flag', async () => {
    for (const [args, message] of [
      [
        ['--scenario', join(dir, 'missing.json')],
        /^cartlink-emulator: scenario file .*missing\.json: cannot be read \(ENOENT\)\n$/,
      ],
      [
        ['--account', 'qa@shop.test:pw:gold'],
        /^cartlink-emulator: --account qa@shop\.test: MEMBERSHIP must be/,
      ],
      [
        ['--app', 'acme:secret'],
        /^cartlink-emulator: --app acme needs at least one --redirect-uri acme=URL\n$/,
      ],
    ] as const) {
      const result = await runToExit(['--port', '0', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('prints the usage with --help', async () => {
    const result = await runToExit(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: cartlink-emulator [options]');
    expect(result.stdout).toContain('--scenario FILE');
  });

  it('prints the demo logins, keeps its state across a restart with --state-file and exits 0 on SIGTERM', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await start(['--state-file', stateFile]);
    expect(first.stdout()).toContain(DEMO_SEED.users.plus);
    expect(first.stdout()).toContain(DEMO_SEED.app.clientId);
    const created = await fetch(`${first.url}/_emulator/instacart-users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'restart@instacart.test', password: 'pw', instacartplus_member: false }),
    });
    expect(created.status).toBe(201);
    expect(await first.stop()).toBe(0);

    const second = await start(['--state-file', stateFile]);
    const state = (await json(`${second.url}/_emulator/state`)) as State;
    expect(state.instacart_users.map((user) => user.email)).toContain('restart@instacart.test');
    expect(await second.stop()).toBe(0);
  });

  it('runs with nothing but its declared dependencies (no tsx, no workspace)', async () => {
    // The package as npm would install it: bin/, dist/ and package.json, beside the four
    // dependencies it declares and nothing else.
    const installed = join(dir, 'installed', 'node_modules', '@cartlink', 'emulator');
    mkdirSync(join(installed, 'bin'), { recursive: true });
    copyFileSync(BIN, join(installed, 'bin', 'cartlink-emulator.js'));
    copyFileSync(join(PACKAGE, 'package.json'), join(installed, 'package.json'));
    cpSync(join(PACKAGE, 'dist'), join(installed, 'dist'), { recursive: true });
    const require = createRequire(import.meta.url);
    const dependencies = Object.keys(
      (require(join(PACKAGE, 'package.json')) as { dependencies: Record<string, string> }).dependencies,
    );
    expect(dependencies.sort()).toEqual(['@hono/node-server', 'hono', 'rate-limiter-flexible', 'zod']);
    for (const dependency of dependencies) {
      const source = [
        join(PACKAGE, 'node_modules', dependency),
        join(PACKAGE, '..', '..', 'node_modules', dependency),
      ].find((candidate) => existsSync(candidate));
      if (!source) throw new Error(`${dependency} is not installed`);
      const target = join(dir, 'installed', 'node_modules', dependency);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(source, target, 'dir');
    }
    const cli = await start([], join(installed, 'bin', 'cartlink-emulator.js'));
    expect(((await json(`${cli.url}/_emulator/state`)) as State).apps[0]?.client_id).toBe(
      DEMO_SEED.app.clientId,
    );
    expect(await cli.stop()).toBe(0);
  });

  it('apps: lists, clones, disables, enables and deletes the applications of a running emulator', async () => {
    const cli = await start([]);
    const apps = (...args: string[]) => runToExit(['apps', ...args, '--url', cli.url]);
    const parsed = (result: { code: number | null; stdout: string; stderr: string }) => {
      expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
      return JSON.parse(result.stdout) as Record<string, unknown> & Array<Record<string, unknown>>;
    };

    expect(parsed(await apps('list'))).toEqual([
      {
        client_id: DEMO_SEED.app.clientId,
        retailer_id: DEMO_SEED.app.retailerId,
        status: 'enabled',
        name: DEMO_SEED.app.name,
        redirect_uris: [DEMO_SEED.app.redirectUri],
        scopes: ['connect:fulfillment', 'account_linking'],
        live_tokens: 0,
      },
    ]);
    const clone = parsed(
      await apps(
        'clone',
        DEMO_SEED.app.clientId,
        '--client-id',
        'next',
        '--client-secret',
        'next-secret-0123',
      ),
    );
    expect(clone).toEqual({
      client_id: 'next',
      client_secret: 'next-secret-0123',
      retailer_id: DEMO_SEED.app.retailerId,
      status: 'enabled',
      redirect_uris: [DEMO_SEED.app.redirectUri],
      scopes: ['connect:fulfillment', 'account_linking'],
    });
    const token = await fetch(`${cli.url}/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'next',
        client_secret: 'next-secret-0123',
        scope: 'connect:fulfillment',
      }),
    });
    expect(token.status).toBe(200);

    expect(parsed(await apps('disable', 'next'))).toMatchObject({
      client_id: 'next',
      status: 'disabled',
      live_tokens: 1,
    });
    const refused = await apps('delete', 'next');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^cartlink-emulator apps delete: DELETE \/_emulator\/apps\/next answered 409: .*"error":"app_has_live_tokens","live_tokens":1/,
    );
    expect(parsed(await apps('enable', 'next'))).toMatchObject({ status: 'enabled' });
    expect(parsed(await apps('delete', DEMO_SEED.app.clientId))).toEqual({
      client_id: DEMO_SEED.app.clientId,
      deleted: true,
    });
    expect(parsed(await apps('list')).map((app) => [app.client_id, app.status])).toEqual([
      ['next', 'enabled'],
    ]);

    expect((await apps('delete', 'nobody')).code).toBe(1);
    const usage = await runToExit(['apps', 'rotate', 'next']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /^cartlink-emulator: apps needs a command: list, clone, disable, enable, delete, got "rotate"/,
    );
    expect(await cli.stop()).toBe(0);
  });

  it('apps: says when no emulator answers', async () => {
    const result = await runToExit(['apps', 'list', '--url', 'http://127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^cartlink-emulator apps list: cannot reach the emulator at http:\/\/127\.0\.0\.1:1: /,
    );
  });

  it('says how to build when dist/ is missing', async () => {
    const bare = join(dir, 'bare', 'bin');
    mkdirSync(bare, { recursive: true });
    copyFileSync(BIN, join(bare, 'cartlink-emulator.js'));
    const result = await runToExit([], join(bare, 'cartlink-emulator.js'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^cartlink-emulator: dist\/cli\.js is missing: build the package first/);
  });
});
