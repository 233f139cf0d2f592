import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from './packages.js';
import { countInstalled, createProject, installedNames, outsideNpmEnv, pointAtTarballs } from './project.js';

const tarballs = new Map([
  ['@cartlink/linking', '/tmp/t/cartlink-linking-0.1.0.tgz'],
  ['@cartlink/wire', '/tmp/t/cartlink-wire-0.1.0.tgz'],
]);

describe('pointAtTarballs', () => {
  it('points @cartlink dependencies at their tarballs and overrides every tarball', () => {
    const manifest: Manifest = {
      name: 'shop',
      version: '0.0.0',
      dependencies: { '@cartlink/linking': '^0.1.0', express: '5.3.0' },
      devDependencies: { '@cartlink/wire': '^0.1.0' },
    };
    expect(pointAtTarballs(manifest, tarballs)).toEqual({
      name: 'shop',
      version: '0.0.0',
      dependencies: { '@cartlink/linking': 'file:/tmp/t/cartlink-linking-0.1.0.tgz', express: '5.3.0' },
      devDependencies: { '@cartlink/wire': 'file:/tmp/t/cartlink-wire-0.1.0.tgz' },
      overrides: {
        '@cartlink/linking': 'file:/tmp/t/cartlink-linking-0.1.0.tgz',
        '@cartlink/wire': 'file:/tmp/t/cartlink-wire-0.1.0.tgz',
      },
    });
  });

  it('refuses a @cartlink dependency that has no tarball', () => {
    const manifest: Manifest = {
      name: 'shop',
      version: '0.0.0',
      dependencies: { '@cartlink/react': '^0.1.0' },
    };
    expect(() => pointAtTarballs(manifest, tarballs)).toThrow(
      'shop depends on @cartlink/react, which has no tarball',
    );
  });
});

describe('createProject', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('copies the template without node_modules, lockfile or data, its manifest on the tarballs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'package-test-project-'));
    const template = join(dir, 'template');
    await mkdir(join(template, 'node_modules', 'x'), { recursive: true });
    await mkdir(join(template, 'src'), { recursive: true });
    await writeFile(join(template, 'src', 'server.js'), 'export {};\n');
    await writeFile(join(template, 'package-lock.json'), '{}');
    await writeFile(
      join(template, 'package.json'),
      JSON.stringify({ name: 'shop', version: '0.0.0', dependencies: { '@cartlink/linking': '^0.1.0' } }),
    );
    const target = join(dir, 'project');
    await createProject(template, target, tarballs);
    const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as Manifest;
    expect(manifest.dependencies?.['@cartlink/linking']).toBe('file:/tmp/t/cartlink-linking-0.1.0.tgz');
    await expect(readFile(join(target, 'src', 'server.js'), 'utf8')).resolves.toBe('export {};\n');
    await expect(readFile(join(target, 'package-lock.json'))).rejects.toThrow();
    await expect(readFile(join(target, 'node_modules', 'x'))).rejects.toThrow();
  });
});

describe('reading npm ls --parseable', () => {
  const output = ['/tmp/shop', '/tmp/shop/node_modules/express', '/tmp/shop/node_modules/pg', ''].join('\n');

  it('counts the installed packages without the project itself', () => {
    expect(countInstalled(output, '/tmp/shop')).toBe(2);
  });

  it('finds which of the names are installed', () => {
    expect(installedNames(output, ['pg', 'hono', 'better-sqlite3'])).toEqual(['pg']);
    expect(installedNames('/tmp/shop\n', ['hono'])).toEqual([]);
  });

  it('does not take a scoped or nested name for another', () => {
    expect(installedNames('/tmp/shop/node_modules/@hono/node-server', ['hono'])).toEqual([]);
  });
});

describe('outsideNpmEnv', () => {
  it('unsets what an enclosing npm run exported, and NODE_OPTIONS', () => {
    process.env.npm_config_workspaces = 'true';
    try {
      const env = outsideNpmEnv();
      expect(env).toHaveProperty('npm_config_workspaces', undefined);
      expect(env.npm_config_update_notifier).toBe('false');
    } finally {
      delete process.env.npm_config_workspaces;
    }
  });
});
