import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkingConfigError } from '@cartlink/linking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importEngine } from '../../../packages/linking/src/storage/import-engine.js';
import { EXAMPLES, MISSING_DRIVER_ERROR } from '../surface.js';
import { expectMissingDriver, openDatabaseIn } from './install.js';

const PG_LINE = MISSING_DRIVER_ERROR.message('PostgreSQL', 'pg');

/** A project whose `@cartlink/linking/node` is `source` (an `openDatabase` that acts as told), or none. */
async function fakeProject(root: string, name: string, source: string | null): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  if (source === null) return dir;
  const linking = join(dir, 'node_modules', '@cartlink', 'linking');
  await mkdir(linking, { recursive: true });
  await writeFile(
    join(linking, 'package.json'),
    JSON.stringify({ name: '@cartlink/linking', type: 'module', exports: { './node': './node.js' } }),
  );
  await writeFile(join(linking, 'node.js'), source);
  return dir;
}

describe('openDatabaseIn and expectMissingDriver', () => {
  let root: string;
  let project: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cartlink-missing-driver-'));
    // Rejects a PostgreSQL URL as the package does without pg; opens anything else.
    project = await fakeProject(
      root,
      'shop',
      `export async function openDatabase(url) {
  if (url.startsWith('postgres://')) {
    throw Object.assign(new Error(${JSON.stringify(PG_LINE)}), { name: 'LinkingConfigError', code: 'linking_config' });
  }
  return { dialect: 'sqlite', db: { destroy: async () => {} } };
}`,
    );
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('passes when openDatabase rejects with the line that names the driver', async () => {
    const outcome = await openDatabaseIn(project, 'postgres://127.0.0.1:1/x');
    expect(outcome).toEqual({
      rejected: { name: 'LinkingConfigError', code: 'linking_config', message: PG_LINE },
    });
    expect(expectMissingDriver(outcome, 'postgres://127.0.0.1:1/x', PG_LINE)).toBe(
      `openDatabase('postgres://127.0.0.1:1/x') rejects: ${PG_LINE}`,
    );
  });

  it('fails when openDatabase opens the database', async () => {
    const outcome = await openDatabaseIn(project, 'sqlite::memory:');
    expect(outcome).toEqual({ resolved: 'sqlite' });
    expect(() => expectMissingDriver(outcome, 'sqlite::memory:', 'x')).toThrow(
      "openDatabase('sqlite::memory:') opened a sqlite database: the project should lack its driver",
    );
  });

  it('fails, saying what it got, on another error or another line', () => {
    const moduleNotFound = {
      rejected: {
        name: 'Error',
        code: 'ERR_MODULE_NOT_FOUND',
        message:
          "Cannot find package 'pg' imported from /shop/node_modules/@cartlink/linking/dist/postgres.js",
      },
    };
    expect(() => expectMissingDriver(moduleNotFound, 'postgres://127.0.0.1:1/x', PG_LINE)).toThrow(
      `rejected with Error (code ERR_MODULE_NOT_FOUND): Cannot find package 'pg'`,
    );
    const twoLines = {
      rejected: { name: 'LinkingConfigError', code: 'linking_config', message: `${PG_LINE}\n  at …` },
    };
    expect(() => expectMissingDriver(twoLines, 'postgres://127.0.0.1:1/x', PG_LINE)).toThrow(
      `expected LinkingConfigError (code linking_config): ${PG_LINE}`,
    );
  });

  it('fails with the output when the package cannot be imported at all', async () => {
    const bare = await fakeProject(root, 'bare', null);
    await expect(openDatabaseIn(bare, 'postgres://127.0.0.1:1/x')).rejects.toThrow(
      /exited with 1:\n[\s\S]*ERR_MODULE_NOT_FOUND/,
    );
  });
});

describe('the missing-driver lines the package test expects', () => {
  it.each([
    ['pg', 'PostgreSQL'],
    ['better-sqlite3', 'SQLite'],
  ] as const)('are the ones @cartlink/linking writes when %s is not installed', async (driver, engine) => {
    const missing = Object.assign(new Error(`Cannot find package '${driver}' imported from /x.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await importEngine(() => Promise.reject(missing), driver).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LinkingConfigError);
    expect(error).toMatchObject({
      name: MISSING_DRIVER_ERROR.name,
      code: MISSING_DRIVER_ERROR.code,
      message: MISSING_DRIVER_ERROR.message(engine, driver),
    });
  });

  it.each(EXAMPLES.map((example) => [example.name, example] as const))(
    'name for %s a driver that the deps step finds absent',
    (_name, example) => {
      const driver = /run npm i (\S+)$/.exec(example.otherEngine.message)?.[1];
      expect(example.mustNotInstall).toContain(driver);
    },
  );
});
