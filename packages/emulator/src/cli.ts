/**
 * @module The `cartlink-emulator` command: starts the emulator, prints where it listens and the
 * demo logins, and shuts down cleanly on SIGINT/SIGTERM. Run it with `npm run emulator` or
 * `packages/emulator/bin/cartlink-emulator.js`.
 */
import { CliUsageError, parseCliOptions, USAGE } from './cli-options.js';
import { EmulatorConfigError } from './emulator.js';
import { startEmulator } from './node-server.js';
import { StateFileError } from './persistence.js';
import { DEMO_SEED } from './seed.js';

async function main(): Promise<void> {
  const options = parseCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const running = await startEmulator({
    port: options.port,
    host: options.host,
    seed: options.seed,
    latencyMs: options.latencyMs,
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
  const lines = [
    `Instacart Connect emulator listening on ${running.url} (public URL ${publicUrl})`,
    `  admin API:   ${publicUrl}/_emulator/ (${options.adminToken ? 'loopback or admin token' : 'loopback only'})`,
    `  state:       ${options.stateFile ? `state file ${options.stateFile}` : 'in memory'}`,
    `  hosts:       ${[...new Set(['localhost', '127.0.0.1', '[::1]', new URL(publicUrl).hostname, ...options.publicHosts])].join(', ')} (any other Host: 421)`,
    `  log-in:      at most ${options.loginLimits.failuresPerAccount} failures per account and ${options.loginLimits.attemptsPerAddress} attempts per address in ${options.loginLimits.windowSeconds} s`,
  ];
  if (options.seed === 'demo') {
    const { app, users, password } = DEMO_SEED;
    lines.push(
      `  OAuth app:   client_id ${app.clientId}, client_secret ${app.clientSecret}, redirect URI ${app.redirectUri} ("${app.name}")`,
      `  Instacart logins (password "${password}"): ${users.plus} (Instacart+), ${users.basic} (no Instacart+), ${users.lapsed} (lapsed)`,
    );
  }
  console.log(lines.join('\n'));

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
}

main().catch((error: unknown) => {
  if (
    error instanceof CliUsageError ||
    error instanceof StateFileError ||
    error instanceof EmulatorConfigError
  ) {
    console.error(`cartlink-emulator: ${error.message}`);
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
