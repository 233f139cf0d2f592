/**
 * @module `cartlink check` without its command line: reads the configuration, builds the list of
 * checks and runs it. The command (`../cli.ts`) prints the report; tests call
 * {@link runCheckCommand} with their own environment, `fetch` and clock.
 */
import { createConnectChecks } from './connect-checks.js';
import { createDatabaseCheck, type DatabaseCheckOptions } from './database-node.js';
import type { CheckFetch } from './http.js';
import { runChecks } from './run-checks.js';
import { readCheckSettings } from './settings.js';
import type { Check, CheckReport } from './types.js';

/** What `cartlink check` runs with. */
export interface CheckCommandOptions {
  /** The environment to read: `process.env`, or a plain object. */
  env: Readonly<Record<string, string | undefined>>;
  /** `--demo`: the demo's values for unset variables. @default false */
  demo?: boolean;
  /** The `fetch` of the Connect checks. @default globalThis.fetch */
  fetch?: CheckFetch;
  /** This machine's clock, in epoch ms. @default Date.now */
  now?: () => number;
  /** How the database check opens the database. @default openDatabase of `@cartlink/linking/node` */
  openDatabase?: DatabaseCheckOptions['openDatabase'];
}

/**
 * The checks, in the order of the report: `config`, `client-credentials`, `client-credentials-next`
 * (only with a next credential set, during a rotation), `authorization-url`, `redirect-uri`,
 * `redirect-uri-registered`, `pkce`, `database`, `clock`.
 */
export function createChecks(options: CheckCommandOptions): Check[] {
  const settings = readCheckSettings(options.env, { demo: options.demo ?? false });
  const context = {
    settings,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const database = createDatabaseCheck({
    settings,
    ...(options.openDatabase ? { openDatabase: options.openDatabase } : {}),
  });
  return createConnectChecks(context, database);
}

/**
 * Runs every check against the configuration `options.env` holds.
 * @example
 * ```ts
 * const report = await runCheckCommand({ env: process.env });
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 */
export function runCheckCommand(options: CheckCommandOptions): Promise<CheckReport> {
  return runChecks(createChecks(options));
}
