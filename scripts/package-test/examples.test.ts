/**
 * The example shops from the inside: what the package test cannot see from the outside (their
 * manifests, the files they share, their configuration errors and escaping). The examples are plain
 * JavaScript, so they are imported by URL, untyped.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Manifest } from './lib/packages.js';
import { EXAMPLES } from './surface.js';

const examplesDir = new URL('../../examples/', import.meta.url);

async function readExample(name: string, file: string): Promise<string> {
  return readFile(new URL(`${name}/${file}`, examplesDir), 'utf8');
}

interface ConfigModule {
  readConfig(env: Record<string, string | undefined>): {
    port: number;
    publicUrl: string;
    databaseUrl: string;
    connect: { redirectUri: string; usePkce: boolean };
  };
  ConfigError: new (message: string) => Error;
}

const connectEnv = {
  CONNECT_BASE_URL: 'http://localhost:4010',
  CONNECT_AUTH_URL: 'http://localhost:4010/oauth/authorize',
  CONNECT_CLIENT_ID: 'cartlink-demo',
  CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
};

describe('the examples', () => {
  it.each(['src/shop.js', 'src/pages.js', 'src/config.js'])('share %s word for word', async (file) => {
    expect(await readExample('hono', file)).toBe(await readExample('express', file));
  });

  // The Next.js example renders its pages with React, so it shares the rest.
  it.each(['src/shop.js', 'src/config.js'])('nextjs shares %s word for word', async (file) => {
    expect(await readExample('nextjs', file)).toBe(await readExample('express', file));
  });

  it.each(EXAMPLES.map((example) => [example.name, example] as const))(
    '%s is a private ESM project on the published names, without the other stack',
    async (name, example) => {
      const manifest = JSON.parse(await readExample(name, 'package.json')) as Manifest & {
        private?: boolean;
        type?: string;
      };
      expect(manifest.private).toBe(true);
      expect(manifest.type).toBe('module');
      for (const pkg of ['@cartlink/connect', '@cartlink/linking', '@cartlink/elements']) {
        expect(manifest.dependencies?.[pkg]).toBe('^0.1.0');
      }
      const all = { ...manifest.dependencies, ...manifest.devDependencies };
      for (const absent of example.mustNotInstall) expect(all).not.toHaveProperty(absent);
    },
  );

  it('reads its configuration, the redirect URI defaulting to the profile page', async () => {
    const { readConfig } = (await import(new URL('express/src/config.js', examplesDir).href)) as ConfigModule;
    const config = readConfig({ ...connectEnv, PORT: '3100', DATABASE_URL: 'postgres://127.0.0.1/shop' });
    expect(config.publicUrl).toBe('http://localhost:3100');
    expect(config.connect.redirectUri).toBe('http://localhost:3100/account/profile');
    expect(config.connect.usePkce).toBe(true);
  });

  it('stops on a missing or wrong variable with one line naming it', async () => {
    const { readConfig, ConfigError } = (await import(
      new URL('express/src/config.js', examplesDir).href
    )) as ConfigModule;
    expect(() => readConfig({ ...connectEnv })).toThrow(new ConfigError('DATABASE_URL: is required'));
    expect(() => readConfig({ DATABASE_URL: 'sqlite:shop.db' })).toThrow(/^CONNECT_BASE_URL: /);
    expect(() =>
      readConfig({
        ...connectEnv,
        DATABASE_URL: 'sqlite:shop.db',
        CONNECT_REDIRECT_URI: 'http://localhost:3000/callback',
      }),
    ).toThrow('CONNECT_REDIRECT_URI: must be the profile page, PUBLIC_URL followed by /account/profile');
  });

  describe('CONNECT_REDIRECT_URI', () => {
    const env = { ...connectEnv, PUBLIC_URL: 'http://localhost:3000', DATABASE_URL: 'sqlite:shop.db' };
    const load = async () =>
      (await import(new URL('express/src/config.js', examplesDir).href)) as ConfigModule;

    it('accepts $PUBLIC_URL/account/profile', async () => {
      const { readConfig } = await load();
      const config = readConfig({ ...env, CONNECT_REDIRECT_URI: 'http://localhost:3000/account/profile' });
      expect(config.connect.redirectUri).toBe('http://localhost:3000/account/profile');
    });

    it.each([
      'http://localhost:3000/account/profile?next=/admin',
      'http://localhost:3000/account/profile?',
      'http://localhost:3000/account/profile#done',
      'http://qa@localhost:3000/account/profile',
      'http://localhost:3001/account/profile',
    ])('refuses %s, which is not exactly it', async (redirectUri) => {
      const { readConfig } = await load();
      expect(() => readConfig({ ...env, CONNECT_REDIRECT_URI: redirectUri })).toThrow(
        'CONNECT_REDIRECT_URI: must be the profile page, PUBLIC_URL followed by /account/profile',
      );
    });
  });

  it('escapes what it puts into pages', async () => {
    const { escapeHtml } = (await import(new URL('express/src/pages.js', examplesDir).href)) as {
      escapeHtml(value: string): string;
    };
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
