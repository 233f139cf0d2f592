/**
 * @module The resilience run's servers: the emulator CLI and the storefront's `main.ts` as child
 * processes, through the repository's one launcher (`testing/processes.ts`, `node --import tsx`, so
 * that the pid held is the server itself and `kill -9` is the server's crash), each stopped by its
 * section's {@link Scope}. Children keep what they print, so a section can count their error lines.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import type { Kysely } from 'kysely';
import { type ChildServer, findFreePort, startServer, tsxCommand } from '../../testing/processes';
import type { Scope } from './scope';

/** The repository root: children run from here so `tsx` and the workspaces resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The emulator's first line names its URL (packages/emulator/README.md). */
const EMULATOR_READY = /listening on (http:\/\/\S+)/;

/**
 * Starts the emulator CLI on a free port with the demo seed, plus `args` (e.g. log-in limits). Its
 * configuration comes from the flags alone: an `EMULATOR_ADMIN_TOKEN` in this process's
 * environment would lock the run's admin client out.
 */
export async function startEmulatorChild(
  scope: Scope,
  name = 'emulator',
  args: readonly string[] = [],
): Promise<ChildServer> {
  const { command, args: argv } = tsxCommand('packages/emulator/src/cli.ts', [
    ...['--port', '0', '--seed', 'demo'],
    ...args,
  ]);
  return stoppedBy(
    scope,
    await startServer({
      name,
      command,
      args: argv,
      cwd: REPO_ROOT,
      env: { EMULATOR_ADMIN_TOKEN: undefined, EMULATOR_PUBLIC_HOSTS: undefined },
      ready: (line) => EMULATOR_READY.exec(line)?.[1] ?? null,
    }),
  );
}

/** What a storefront child needs: its port, its database and the emulator it talks to. */
export interface StorefrontChildOptions {
  name: string;
  port: number;
  databaseUrl: string;
  emulatorUrl: string;
  env?: Record<string, string>;
}

/** Starts `apps/storefront/src/main.ts` with its configuration in the environment, as docs/product.md names it. */
export async function startStorefrontChild(
  scope: Scope,
  options: StorefrontChildOptions,
): Promise<ChildServer> {
  const publicUrl = `http://127.0.0.1:${options.port}`;
  const { command, args } = tsxCommand('apps/storefront/src/main.ts');
  return stoppedBy(
    scope,
    await startServer({
      name: options.name,
      command,
      args,
      cwd: REPO_ROOT,
      env: {
        PORT: String(options.port),
        HOST: '127.0.0.1',
        PUBLIC_URL: publicUrl,
        DATABASE_URL: options.databaseUrl,
        CONNECT_BASE_URL: options.emulatorUrl,
        CONNECT_AUTH_URL: `${options.emulatorUrl}/oauth/authorize`,
        CONNECT_CLIENT_ID: 'cartlink-demo',
        CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
        CONNECT_USE_PKCE: 'true',
        INSTACART_WEB_URL: options.emulatorUrl,
        LOG_LEVEL: 'warn',
        // Every shopper of the run comes from 127.0.0.1, so the per-address sign-in limit (100 in 15
        // minutes by default) is raised here, explicitly; the storefront exempts no address itself.
        SIGNIN_ADDRESS_LIMIT: '1000000',
        ...options.env,
      },
      ready: (line) => (line.startsWith('Corner Market: ') ? publicUrl : null),
    }),
  );
}

/** A storefront child on a SQLite file of its own, and a handle on that file for seeding and checks. */
export async function startSqliteStorefront(
  scope: Scope,
  options: { name: string; file: string; tmpDir: string; emulatorUrl: string; env?: Record<string, string> },
): Promise<{ shop: ChildServer; db: Kysely<StorefrontDatabase> }> {
  const databaseUrl = join(options.tmpDir, options.file);
  const shop = await startStorefrontChild(scope, {
    name: options.name,
    port: await findFreePort(),
    databaseUrl,
    emulatorUrl: options.emulatorUrl,
    ...(options.env ? { env: options.env } : {}),
  });
  const { db } = await openDatabase<StorefrontDatabase>(databaseUrl);
  scope.add(`close the database handle of ${options.name}`, () => db.destroy());
  return { shop, db };
}

function stoppedBy(scope: Scope, server: ChildServer): ChildServer {
  scope.add(`stop ${server.name} (pid ${server.pid})`, () => server.stop());
  return server;
}
