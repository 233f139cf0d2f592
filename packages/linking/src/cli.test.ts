/**
 * The `cartlink` command as a child process, the way `npx cartlink check` and `npm run check` run it:
 * the environment goes in, the report comes out on stdout, and the exit status says whether every
 * prerequisite holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_SEED } from '@cartlink/emulator';
import { startTestEmulator, type TestEmulator } from '@cartlink/emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, tsxCommand } from '../../../testing/processes.js';
import type { CheckReport } from './check/types.js';
import { CONNECT_VARIABLES } from './config.js';
import { openLinkingStorage } from './node.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

let emulator: TestEmulator;
let directory: string;
let database: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  directory = mkdtempSync(join(tmpdir(), 'cartlink-cli-'));
  database = join(directory, 'shop.db');
  const { storage } = await openLinkingStorage(database);
  await storage.close();
});

afterAll(async () => {
  await emulator?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Runs `cartlink <args>` with exactly these Connect variables (the others empty, that is unset). */
function cartlink(args: string[], env: Record<string, string> = {}) {
  const { command, args: prefix } = tsxCommand(CLI, args);
  const unset = Object.fromEntries([...CONNECT_VARIABLES, 'DATABASE_URL'].map((name) => [name, '']));
  return runCommand(command, prefix, {
    cwd: ROOT,
    env: { ...unset, ...env },
    timeoutMs: 60_000,
    allowFailure: true,
  });
}

function environment(): Record<string, string> {
  return {
    CONNECT_BASE_URL: emulator.url,
    CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
    CONNECT_CLIENT_ID: DEMO_SEED.app.clientId,
    CONNECT_CLIENT_SECRET: DEMO_SEED.app.clientSecret,
    CONNECT_REDIRECT_URI: DEMO_SEED.app.redirectUri,
    DATABASE_URL: database,
  };
}

describe('cartlink check', () => {
  it('exits 0 and prints a passing JSON report when every prerequisite holds', async () => {
    const result = await cartlink(['check', '--json'], environment());
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.ok).toBe(true);
    expect(report.checks).toHaveLength(8);
  });

  it('exits 1 when one fails, and its JSON names the line', async () => {
    const result = await cartlink(['check', '--json'], {
      ...environment(),
      CONNECT_CLIENT_SECRET: 'wrong-secret',
    });
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.ok).toBe(false);
    expect(report.checks.filter((line) => !line.ok).map((line) => line.id)).toEqual(['client-credentials']);
    expect(result.stdout).not.toContain('wrong-secret');
  });

  it('prints its usage for --help', async () => {
    const help = await cartlink(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cartlink check [--demo] [--json]');
  });

  it('exits 2 on a usage mistake, with one line on stderr and nothing on stdout', async () => {
    const mistake = await cartlink(['check', '--jsn']);
    expect(mistake.code).toBe(2);
    expect(mistake.stderr).toMatch(/^cartlink: .*--jsn/);
    expect(mistake.stdout).toBe('');
  });
});
