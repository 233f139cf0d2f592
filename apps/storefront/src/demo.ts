/**
 * @module `npm start`: the demo, run as compiled JavaScript (`node apps/storefront/dist/demo.js` after `npm run build`). Starts the Connect emulator (seeded, state in memory) on
 * http://localhost:4010 and Corner Market on http://localhost:3000 (data in `.data/`), in one
 * process, and prints both URLs and the demo logins. Ctrl-C stops both.
 *
 * Every storefront setting comes from the environment (see the README's configuration table), so
 * `CONNECT_BASE_URL=https://connect.dev.instacart.tools npm start` would point the shop elsewhere;
 * the emulator starts only when the shop is configured to use it (the default).
 */
import { DEMO_SEED, startEmulator } from '@cartlink/emulator';
import { ConfigError, readEnv } from './env.js';
import { startStorefront } from './server-node.js';
import { DEMO_PASSWORD, DEMO_USERS } from './users.js';

const EMULATOR_PORT = Number(process.env.EMULATOR_PORT ?? 4010);
const EMULATOR_URL = `http://localhost:${EMULATOR_PORT}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof readEnv>;
try {
  config = readEnv();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const usesEmulator = new URL(config.connect.baseUrl).origin === new URL(EMULATOR_URL).origin;
// The demo application is seeded with the default redirect URI; a shop on another PORT registers its
// own beside it, as a retailer gives Instacart its redirect URI. As part of the start-up scenario it
// survives the emulator's admin reset.
const ownRedirectUri =
  config.connect.clientId === DEMO_SEED.app.clientId &&
  config.connect.redirectUri !== DEMO_SEED.app.redirectUri;
const emulator = usesEmulator
  ? await startEmulator({
      port: EMULATOR_PORT,
      host: '127.0.0.1',
      seed: 'demo',
      issuer: EMULATOR_URL,
      ...(ownRedirectUri
        ? { scenario: { redirect_uris: { [DEMO_SEED.app.clientId]: [config.connect.redirectUri] } } }
        : {}),
    }).catch((error: unknown) =>
      fail(`The Connect emulator could not start on port ${EMULATOR_PORT}: ${(error as Error).message}`),
    )
  : null;

const shop = await startStorefront(config).catch((error: unknown) =>
  fail(`Corner Market could not start: ${(error as Error).message}`),
);

const lines = [
  '',
  'Cartlink demo is running.',
  '',
  `  Corner Market (the shop)     ${shop.url}`,
  `    sign in at ${shop.url}/signin as ${DEMO_USERS.filter((user) => user.role === 'shopper')
    .map((user) => user.email)
    .join(', ')}`,
  `    or ${DEMO_USERS.filter((user) => user.role === 'admin')
    .map((user) => user.email)
    .join(', ')} (reconciliation report); password: ${DEMO_PASSWORD}`,
  '',
  emulator
    ? `  Instacart Connect emulator   ${EMULATOR_URL}   (admin page: ${EMULATOR_URL}/_emulator/)`
    : `  Instacart Connect            ${config.connect.baseUrl}`,
  ...(emulator
    ? [
        `    Instacart logins: ${Object.values(DEMO_SEED.users).join(', ')}; password: ${DEMO_SEED.password}`,
        `    (${DEMO_SEED.users.plus}: active Instacart+; ${DEMO_SEED.users.basic}: none; ${DEMO_SEED.users.lapsed}: ended)`,
      ]
    : []),
  '',
  'Press Ctrl-C to stop.',
  '',
];
process.stdout.write(lines.join('\n'));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([shop.close(), emulator?.close()]);
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
