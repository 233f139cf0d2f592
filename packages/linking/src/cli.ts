#!/usr/bin/env node
/**
 * @module The `cartlink` command (the package's `bin`): `cartlink check` says, one line each, which of
 * the seed's prerequisites hold for the configuration in the environment: client credentials
 * accepted, the authorization URL reachable, the redirect URI well formed and registered, PKCE
 * accepted, the database reachable and migrated, the clock within a minute of Connect's. Exit
 * status 0 when all pass, 1 when one does not, 2 for a command-line mistake.
 *
 * Run it with `npx cartlink check` where `@cartlink/linking` is installed, or from this repository's
 * root with `npm run check` (which adds `--demo`) against `npm start`.
 */
import { parseArgs } from 'node:util';
import { runCheckCommand } from './check/command-node.js';
import { formatCheckReport, formatCheckReportJson } from './check/format.js';

const USAGE = `Usage: cartlink check [--demo] [--json]

Checks the prerequisites of Instacart account linking for the configuration in the
environment (CONNECT_BASE_URL, CONNECT_AUTH_URL, CONNECT_CLIENT_ID, CONNECT_CLIENT_SECRET,
CONNECT_REDIRECT_URI, CONNECT_USE_PKCE, ..., DATABASE_URL), one line each:
  config                   the other CONNECT_* settings are valid
  client-credentials       a client_credentials grant succeeds
  client-credentials-next  (during a rotation: CONNECT_CLIENT_ID_NEXT, CONNECT_CLIENT_SECRET_NEXT)
                           the next set's grant succeeds; each line says which set is in use
  authorization-url        the authorization URL answers
  redirect-uri             the redirect URI is absolute, well formed, https outside localhost
  redirect-uri-registered  the authorization endpoint accepts it for this client
  pkce                     it accepts the authorization request with PKCE (as configured)
  database                 DATABASE_URL is reachable and its linking tables are migrated
  clock                    this machine's clock is within a minute of Connect's

Options:
  --demo    use the demo's values (the emulator on localhost:4010, the shop on localhost:3000,
            .data/storefront.db) for the variables that are unset
  --json    print {"ok": boolean, "checks": [{"id", "ok", "summary", "fix"?, "skipped"?}]}
  -h, --help

Exit status: 0 when every check passes, 1 when one does not, 2 for a usage mistake.
Nothing is written: no link transaction, no Connect user, no migration.`;

/** Runs the command line `args` and returns the exit status. */
async function main(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`cartlink: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'check') {
    const given = positionals.length === 0 ? 'no command' : `"${positionals.join(' ')}"`;
    process.stderr.write(`cartlink: ${given}: the one command is check\n${USAGE}\n`);
    return 2;
  }
  const report = await runCheckCommand({ env: process.env, demo: values.demo });
  process.stdout.write(values.json ? formatCheckReportJson(report) : formatCheckReport(report));
  return report.ok ? 0 : 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      demo: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `cartlink: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
