import { describe, expect, expectTypeOf, it } from 'vitest';
import { createEmulator, DEMO_SEED, type Emulator, type RunningEmulator, startEmulator } from './index';
import { validated } from './testing/harness';

describe('startEmulator', () => {
  it('listens on a free loopback port, with the listening URL as issuer, and closes', async () => {
    const running = await startEmulator({ port: 0 });
    try {
      expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
      expect(running.port).toBeGreaterThan(0);
      expect(running.emulator.issuer).toBe(running.url);
      running.emulator.updateSettings({ issuerParam: true });
      const response = await validated(fetch)(
        `${running.url}/oauth/authorize?response_type=token&client_id=${DEMO_SEED.app.clientId}&scope=account_linking&redirect_uri=${encodeURIComponent(DEMO_SEED.app.redirectUri)}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(302);
      expect(new URL(String(response.headers.get('location'))).searchParams.get('iss')).toBe(running.url);
    } finally {
      await running.close();
    }
    await expect(fetch(`${running.url}/signup`)).rejects.toThrow();
  });

  it('keeps an explicit issuer', async () => {
    const running = await startEmulator({ port: 0, issuer: 'http://localhost:4999', seed: 'empty' });
    expect(running.emulator.issuer).toBe('http://localhost:4999');
    await running.close();
  });
});

describe('public API types', () => {
  it('exposes the documented shapes', () => {
    expectTypeOf(createEmulator).returns.toEqualTypeOf<Emulator>();
    expectTypeOf(startEmulator).returns.resolves.toEqualTypeOf<RunningEmulator>();
    expectTypeOf<Emulator['fetch']>().returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf<Emulator['authorizeForTest']>().returns.toEqualTypeOf<string>();
    expectTypeOf<Emulator['createInstacartUser']>().returns.toEqualTypeOf<{ id: number }>();
    expectTypeOf(DEMO_SEED.app.clientId).toEqualTypeOf<'cartlink-demo'>();
  });
});
