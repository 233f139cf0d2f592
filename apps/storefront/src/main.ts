/**
 * @module Entry point: `node apps/storefront/dist/main.js` once built (`tsx apps/storefront/src/main.ts` from the sources). Reads the environment, starts the shop, and
 * stops cleanly on SIGINT/SIGTERM. A configuration error prints one line naming the variable and exits
 * with status 1.
 */
import { ConfigError, readEnv, type StorefrontConfig } from './env.js';
import { startStorefront } from './server-node.js';
import { DEMO_PASSWORD, DEMO_USERS } from './users.js';

let config: StorefrontConfig;
try {
  config = readEnv();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

try {
  const running = await startStorefront(config);
  const { logger } = running.storefront;
  // Stopping is wired before the ready lines go out, so a SIGTERM sent on reading one meets the handler.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  logger.info(
    {
      url: running.url,
      port: running.port,
      database: running.storefront.dialect,
      // What an operator checks first when shoppers report 429 or 503 answers.
      rateLimits: config.rateLimits,
      trustedProxies: config.trustProxy.length,
      passwordHashConcurrency: config.passwordHashConcurrency,
      queueDeadlineMs: config.queueDeadlineMs,
      // Whether each is on, never the token (nor the endpoint, which may carry credentials).
      telemetry: { otlp: config.otlpEndpoint !== undefined, metrics: config.metricsToken !== undefined },
    },
    'Corner Market is open',
  );
  process.stdout.write(
    `Corner Market: ${running.url}\n  demo logins (password ${DEMO_PASSWORD}): ${DEMO_USERS.map((user) => user.email).join(', ')}\n`,
  );
} catch (error) {
  // One line, without a stack: a start-up failure is almost always configuration (database URL,
  // unreachable database), and the message says which.
  process.stderr.write(
    `Corner Market could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
