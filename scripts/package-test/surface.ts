/**
 * @module Everything the package test relies on of the packages and the examples, in one place: when
 * a package renames one of these, this file is the one to change, and the step that used it fails
 * naming it.
 *
 * Of the packages' TypeScript API, the test itself uses nothing: the examples' use is listed in
 * examples/README.md, and the type-check fixture imports every entry point the manifests declare.
 */

/** The emulator's command, from `@cartlink/emulator`'s `bin`. */
export const EMULATOR_BIN = 'cartlink-emulator';

/** The emulator flags the test passes; `--help` must list each. */
export const EMULATOR_FLAGS = {
  /** `--port 0`: a free port, read back from the first line. */
  port: '--port',
  /** `--redirect-uri URL`: registers the shop's redirect URI with the demo OAuth application. */
  redirectUri: '--redirect-uri',
} as const;

/** The emulator's first line of output: `Instacart Connect emulator listening on <url> ...`. */
export const EMULATOR_READY_LINE = /^Instacart Connect emulator listening on (https?:\/\/\S+)/;

/** The demo OAuth application the emulator seeds (docs/product.md, "Emulator OAuth application"). */
export const DEMO_CLIENT = { id: 'cartlink-demo', secret: 'cartlink-demo-secret' } as const;

/** An example shop's ready line: `… listening on <url> …`. */
export const SHOP_READY_LINE = /\blistening on (https?:\/\/\S+)/;

/** The redirect URI's path in both examples: the profile page. */
export const PROFILE_PATH = '/account/profile';

/**
 * What `openDatabase` of `@cartlink/linking/node` rejects with when the database URL names an engine
 * whose driver is not installed: a `LinkingConfigError` (this code) with one line naming the package.
 */
export const MISSING_DRIVER_ERROR = {
  name: 'LinkingConfigError',
  code: 'linking_config',
  message: (engine: 'PostgreSQL' | 'SQLite', driver: 'pg' | 'better-sqlite3') =>
    `The database URL names a ${engine} database, but its driver is not installed: run npm i ${driver}`,
} as const;

/** An example under `examples/`, and what its installed tree must not hold. */
export interface Example {
  /** Its folder under `examples/`. */
  name: string;
  title: string;
  database: 'postgres' | 'sqlite';
  /** Packages that must not be installed: the other stack's optional peers. */
  mustNotInstall: readonly string[];
  /** A database URL of the other engine, whose driver it lacks, and the line `openDatabase` must say. */
  otherEngine: { databaseUrl: string; message: string };
  /** Its entry, run with plain `node`. */
  entry: string;
}

/** The example shops. */
export const EXAMPLES: readonly Example[] = [
  {
    name: 'express',
    title: 'Express + PostgreSQL',
    database: 'postgres',
    mustNotInstall: ['better-sqlite3', 'hono'],
    otherEngine: {
      databaseUrl: 'sqlite::memory:',
      message: MISSING_DRIVER_ERROR.message('SQLite', 'better-sqlite3'),
    },
    entry: 'src/server.js',
  },
  {
    name: 'hono',
    title: 'Hono + SQLite',
    database: 'sqlite',
    mustNotInstall: ['pg', 'express'],
    otherEngine: {
      databaseUrl: 'postgres://127.0.0.1:1/x',
      message: MISSING_DRIVER_ERROR.message('PostgreSQL', 'pg'),
    },
    entry: 'src/server.js',
  },
];
