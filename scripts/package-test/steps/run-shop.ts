/**
 * @module Steps `run-shop <example>` and `link <example>`: the emulator from the installed tarball
 * (its bin, the shop's redirect URI registered by flag) and the example shop with plain `node`, on
 * free ports (both started once more, on another port, when the shop's was taken), PostgreSQL in a
 * database made for the run; then the journey of lib/link-flow.ts, and both processes stopped.
 */
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../../../testing/postgres.js';
import { type ChildServer, runCommand, startServer, tail, withFreePort } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import { runLinkFlow } from '../lib/link-flow.js';
import { outsideNpmEnv } from '../lib/project.js';
import { SkipStep } from '../lib/steps.js';
import {
  DEMO_CLIENT,
  EMULATOR_BIN,
  EMULATOR_FLAGS,
  EMULATOR_READY_LINE,
  type Example,
  PROFILE_PATH,
  SHOP_READY_LINE,
} from '../surface.js';

/**
 * Resolves when the PostgreSQL server answers. Otherwise the step is skipped ({@link SkipStep}),
 * except under `CI=true`, where a silent server fails it.
 */
export async function requirePostgres(adminUrl = POSTGRES_ADMIN_URL): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    const why = `PostgreSQL at ${adminUrl} did not answer (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}; it is required under CI=true`);
    throw new SkipStep(`${why}: the PostgreSQL shop is not run (CI is unset)`);
  }
}

/** Checks that the installed emulator's `--help` lists every flag the test passes. */
async function checkEmulatorFlags(bin: string, cwd: string): Promise<void> {
  const help = await runCommand(bin, ['--help'], {
    cwd,
    env: outsideNpmEnv(),
    timeoutMs: 60_000,
    allowFailure: true,
  });
  const text = `${help.stdout}\n${help.stderr}`;
  if (help.code !== 0) {
    throw new Error(
      `the installed ${EMULATOR_BIN} --help exited with ${help.code ?? help.signal}:\n${tail(text)}`,
    );
  }
  const missing = Object.values(EMULATOR_FLAGS).filter((flag) => !text.includes(flag));
  if (missing.length > 0) {
    throw new Error(
      `the installed ${EMULATOR_BIN} --help lists no ${missing.join(', ')} (needed to register the shop's redirect URI):\n${tail(text, 30)}`,
    );
  }
}

/** Starts the emulator and the shop; they stay up for the link step. */
export async function runShop(context: RunContext, example: Example): Promise<string> {
  const shopDir = context.projects.get(example.name);
  const emulatorDir = context.projects.get('emulator');
  if (shopDir === undefined || emulatorDir === undefined)
    throw new Error('the shop or the emulator is not installed');

  let databaseUrl: string;
  if (example.database === 'postgres') {
    await requirePostgres();
    const database = await createTestDatabase();
    context.defer(`drop the database of the ${example.name} shop`, () => database.drop());
    databaseUrl = database.url;
  } else {
    databaseUrl = `sqlite:${join(shopDir, '.data', 'shop.db')}`;
  }
  context.log(`database: ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}`);

  const bin = join(emulatorDir, 'node_modules', '.bin', EMULATOR_BIN);
  await checkEmulatorFlags(bin, emulatorDir);

  const servers: ChildServer[] = [];
  context.servers.set(example.name, servers);
  context.defer(`stop the ${example.name} servers`, () => stopServers(context, example));
  // The shop must know its port before it starts (its public URL and redirect URI name it), so it
  // cannot take PORT=0: a port found free is handed over, and taken again on EADDRINUSE.
  const { emulator, shop } = await withFreePort(async (port) => {
    const shopUrl = `http://127.0.0.1:${port}`;
    const redirectUri = `${shopUrl}${PROFILE_PATH}`;
    const emulator = await startEmulator(bin, emulatorDir, redirectUri);
    servers.push(emulator);
    context.log(
      `emulator: ${emulator.url} (pid ${emulator.pid}), redirect URI ${redirectUri} registered by flag`,
    );
    try {
      const shop = await startServer({
        name: `${example.title} shop`,
        command: process.execPath,
        args: [example.entry],
        cwd: shopDir,
        env: {
          ...outsideNpmEnv(),
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_URL: shopUrl,
          DATABASE_URL: databaseUrl,
          CONNECT_BASE_URL: emulator.url,
          CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
          CONNECT_CLIENT_ID: DEMO_CLIENT.id,
          CONNECT_CLIENT_SECRET: DEMO_CLIENT.secret,
          CONNECT_REDIRECT_URI: redirectUri,
          INSTACART_WEB_URL: emulator.url,
        },
        readyTimeoutMs: 120_000,
        ready: (line) => SHOP_READY_LINE.exec(line)?.[1] ?? null,
      });
      servers.push(shop);
      return { emulator, shop };
    } catch (error) {
      // The emulator knows only this port's redirect URI: a second attempt starts its own.
      servers.splice(servers.indexOf(emulator), 1);
      await emulator.stop();
      throw error;
    }
  }, context.log);
  context.log(`shop: node ${example.entry} → ${shop.url} (pid ${shop.pid})`);
  return `emulator ${emulator.url}, shop ${shop.url} on ${example.database === 'postgres' ? 'PostgreSQL' : 'SQLite'}`;
}

/** Starts the installed emulator on a port of its choosing, `redirectUri` registered by flag. */
function startEmulator(bin: string, cwd: string, redirectUri: string): Promise<ChildServer> {
  let firstLine = true;
  return startServer({
    name: `${EMULATOR_BIN} (installed)`,
    command: bin,
    args: [EMULATOR_FLAGS.port, '0', EMULATOR_FLAGS.redirectUri, redirectUri],
    cwd,
    env: outsideNpmEnv(),
    readyTimeoutMs: 60_000,
    ready: (line) => {
      if (!firstLine) return null;
      firstLine = false;
      const url = EMULATOR_READY_LINE.exec(line)?.[1];
      if (url === undefined)
        throw new Error(
          `the emulator's first line is not "Instacart Connect emulator listening on <url> …": ${line}`,
        );
      return url.replace(/\/+$/, '');
    },
  });
}

/** Links an account over HTTP and checks out; stops both servers either way. */
export async function link(context: RunContext, example: Example): Promise<string> {
  const [emulator, shop] = context.servers.get(example.name) ?? [];
  if (emulator === undefined || shop === undefined) throw new Error('the shop is not running');
  try {
    const result = await runLinkFlow({
      shopUrl: `http://127.0.0.1:${new URL(shop.url).port}`,
      emulatorUrl: emulator.url,
      log: context.log,
    });
    return `linked (${result.statusState}), checkout $0 delivery, order ${result.orderId} in the ledger`;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- shop output ---\n${tail(shop.output())}`);
  } finally {
    await stopServers(context, example);
  }
}

async function stopServers(context: RunContext, example: Example): Promise<void> {
  const servers = context.servers.get(example.name) ?? [];
  context.servers.delete(example.name);
  for (const server of servers.reverse()) await server.stop();
}
