/**
 * @module The `cartlink-emulator` command: starts the emulator with the seed, the scenario file and
 * the flags, prints where it listens and what it holds, and shuts down cleanly on SIGINT/SIGTERM.
 * Run it with `npx @cartlink/emulator` (the package's bin, `bin/cartlink-emulator.js`, imports the
 * compiled `dist/cli.js`), or from the sources in this repository with `npm run emulator`.
 *
 * The first line printed is the machine-readable one, and stays as it is:
 * `Instacart Connect emulator listening on <url> (public URL <public url>)`.
 *
 * `cartlink-emulator apps <list|clone|disable|enable|delete> [client_id] --url <url>` does not start
 * an emulator: it manages the applications of a running one through its admin API and prints JSON.
 */

import { runAppsCommand } from './cli-apps.js';
import { APPS_USAGE, CliUsageError, parseAppsCommand, parseCliOptions, USAGE } from './cli-options-node.js';
import { formatConnectTime } from './clock.js';
import { EmulatorConfigError } from './errors.js';
import { StateFileError } from './persistence.js';
import { type EmulatorScenario, mergeScenarios, type ScenarioInstacartUser } from './scenario.js';
import { readScenarioFile } from './scenario-file-node.js';
import { DEMO_SEED } from './seed.js';
import { startEmulator } from './server-node.js';
import { resolveExpiryTime } from './validation.js';

/** How an account's membership reads, its relative end resolved from `nowMs`. */
function describeMembership(user: ScenarioInstacartUser, nowMs: number): string {
  if (user.expired_at === undefined)
    return user.instacartplus_member ? 'Instacart+ for a year' : 'no Instacart+';
  if (user.expired_at === null)
    return user.instacartplus_member ? 'Instacart+ flag, no end date: not a member' : 'no Instacart+';
  const end = resolveExpiryTime(user.expired_at, nowMs);
  const at = formatConnectTime(end);
  if (!user.instacartplus_member) return `no Instacart+ (expired_at ${at})`;
  return end > nowMs ? `Instacart+ until ${at}` : `lapsed: Instacart+ ended ${at}`;
}

/** The start-up lines naming what the scenario registered (never a secret or a password). */
function scenarioLines(scenario: EmulatorScenario, sources: string[], nowMs: number): string[] {
  if (sources.length === 0) return [];
  const lines = [`  scenario:    ${sources.join(', then ')} (kept by POST /_emulator/reset)`];
  const added = new Map(Object.entries(scenario.redirect_uris ?? {}));
  for (const app of scenario.apps ?? []) {
    const uris = [...new Set([...app.redirect_uris, ...(added.get(app.client_id) ?? [])])];
    added.delete(app.client_id);
    lines.push(
      `  OAuth app:   client_id ${app.client_id}, redirect URI${uris.length > 1 ? 's' : ''} ${uris.join(', ')} ("${app.name}")`,
    );
  }
  for (const [clientId, uris] of added) {
    lines.push(`  redirect URI${uris.length > 1 ? 's' : ''} added to ${clientId}: ${uris.join(', ')}`);
  }
  for (const user of scenario.instacart_users ?? []) {
    lines.push(`  Instacart login: ${user.email} (${describeMembership(user, nowMs)})`);
  }
  return lines;
}

/**
 * The demo seed's credentials, as far as the scenario left them as seeded: an app or an account the
 * scenario replaced has other credentials, which are never printed.
 */
function demoSeedLines(scenario: EmulatorScenario): string[] {
  const { app, users, password } = DEMO_SEED;
  const lines: string[] = [];
  if (!(scenario.apps ?? []).some((replaced) => replaced.client_id === app.clientId)) {
    lines.push(
      `  OAuth app:   client_id ${app.clientId}, client_secret ${app.clientSecret}, redirect URI ${app.redirectUri} ("${app.name}")`,
    );
  }
  const replaced = new Set((scenario.instacart_users ?? []).map((user) => user.email.toLowerCase()));
  const seeded = [
    `${users.plus} (Instacart+)`,
    `${users.basic} (no Instacart+)`,
    `${users.lapsed} (lapsed)`,
  ].filter((entry) => !replaced.has(entry.split(' ')[0] ?? ''));
  if (seeded.length > 0) lines.push(`  Instacart logins (password "${password}"): ${seeded.join(', ')}`);
  return lines;
}

/** `cartlink-emulator apps …`: one admin call, its answer on stdout, then exit. */
async function apps(argv: string[]): Promise<void> {
  const command = parseAppsCommand(argv, process.env);
  if (command === 'help') {
    console.log(APPS_USAGE);
    return;
  }
  process.exitCode = await runAppsCommand(command, {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'apps') return apps(argv.slice(1));
  const options = parseCliOptions(argv, process.env);
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const fromFile = options.scenarioFile ? readScenarioFile(options.scenarioFile) : {};
  // Precedence: the seed, then the scenario file, then the flags.
  const scenario = mergeScenarios(fromFile, options.scenario);
  const running = await startEmulator({
    port: options.port,
    host: options.host,
    seed: options.seed,
    scenario,
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    publicHosts: options.publicHosts,
    loginLimits: options.loginLimits,
    // With a fixed port the public URL is localhost, as docs/product.md promises; with port 0 the
    // listening URL is the only one known in advance.
    ...(options.publicUrl
      ? { issuer: options.publicUrl }
      : options.port !== 0
        ? { issuer: `http://localhost:${options.port}` }
        : {}),
  });
  const publicUrl = running.emulator.issuer;
  const settings = running.emulator.getSettings();
  const lines = [
    // The machine-readable line: scripts and tests read the URL from it. Keep it first and as is.
    `Instacart Connect emulator listening on ${running.url} (public URL ${publicUrl})`,
    `  admin API:   ${publicUrl}/_emulator/ (${options.adminToken ? 'loopback or admin token' : 'loopback only'})`,
    `  state:       ${options.stateFile ? `state file ${options.stateFile}` : 'in memory'}`,
    `  hosts:       ${[...new Set(['localhost', '127.0.0.1', '[::1]', new URL(publicUrl).hostname, ...options.publicHosts])].join(', ')} (any other Host: 421)`,
    `  log-in:      at most ${options.loginLimits.failuresPerAccount} failures per account and ${options.loginLimits.attemptsPerAddress} attempts per address in ${options.loginLimits.windowSeconds} s`,
    `  settings:    issuer_param ${settings.issuerParam}, require_pkce ${settings.requirePkce}, latency_ms ${settings.latencyMs}`,
  ];
  if (options.seed === 'demo') lines.push(...demoSeedLines(scenario));
  const sources = [
    ...(options.scenarioFile ? [options.scenarioFile] : []),
    ...(Object.keys(options.scenario).length > 0 ? ['flags'] : []),
  ];
  lines.push(...scenarioLines(scenario, sources, running.emulator.now().getTime()));
  // Stopping is wired before the lines go out: a script that reads the first line and at once sends
  // SIGTERM must meet the handler, not Node's default (which exits without closing).
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    console.log(`Received ${signal}, shutting down.`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Started with an IPC channel (the test kit's startTestEmulator): when the parent goes, however it
  // goes (a test runner killed by a signal never runs its exit hooks), the channel closes and the
  // emulator stops instead of holding its port.
  if (process.send) process.once('disconnect', () => shutdown('the parent process going away'));
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  // ScenarioError is an EmulatorConfigError: a bad scenario file stops start-up the same way.
  if (
    error instanceof CliUsageError ||
    error instanceof StateFileError ||
    error instanceof EmulatorConfigError
  ) {
    console.error(`cartlink-emulator: ${error.message.replace(/\s*\n\s*/g, ' ')}`);
    process.exit(2);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    console.error(`cartlink-emulator: cannot listen: ${(error as Error).message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
