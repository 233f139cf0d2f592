/**
 * @module Opens the shop (its configuration, database and Cartlink wiring) when the server starts
 * rather than at the first request, so that a missing or malformed variable, or a database that does
 * not answer, stops `next start` with one line naming it, as in the other examples.
 */
import { ConfigError } from './config.js';
import { getShopServer } from './shop-server';

/** Opens the shop, or ends the process with one line: exit code 2 for the configuration, 1 otherwise. */
export async function openShopAtStart(): Promise<void> {
  try {
    const { config } = await getShopServer();
    console.log(`Corner Shop (Next.js + PostgreSQL) ready for ${config.publicUrl}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const configuration = error instanceof ConfigError;
    console.error(`nextjs example: ${configuration ? '' : 'cannot start: '}${message}`);
    process.exit(configuration ? 2 : 1);
  }
}
