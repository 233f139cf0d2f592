import { afterEach, describe, expect, it, vi } from 'vitest';
import { SkipStep } from '../lib/steps.js';
import { requirePostgres } from './run-shop.js';

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const silent = 'postgres://postgres@127.0.0.1:1/postgres';

describe('requirePostgres', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('skips the PostgreSQL shop, saying why, when the server is silent and CI is unset', async () => {
    vi.stubEnv('CI', '');
    const error = await requirePostgres(silent).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SkipStep);
    expect((error as Error).message).toMatch(
      /^PostgreSQL at .*:1\/postgres did not answer .*: the PostgreSQL shop is not run \(CI is unset\)$/,
    );
  });

  it('fails instead under CI=true', async () => {
    vi.stubEnv('CI', 'true');
    const error = await requirePostgres(silent).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SkipStep);
    expect((error as Error).message).toMatch(/it is required under CI=true$/);
  });
});
