import { describe, expect, it } from 'vitest';
import { createEmulator } from '../emulator.js';
import { validated } from '../test-support/harness.js';

const emulator = createEmulator({ seed: 'empty' });
const get = (path: string) => emulator.fetch(`http://emulator.test${path}`);

describe('stand-in instacart.com pages', () => {
  it('serves Manage Instacart+ with the page headers', async () => {
    const response = await get('/store/account/instacart-plus');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<h1>Manage Instacart+</h1>');
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    );
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves Join Instacart+ and follows only a local next', async () => {
    const local = await (await get('/signup?next=%2Fstore%2Faccount%2Finstacart-plus')).text();
    expect(local).toContain('<h1>Join Instacart+</h1>');
    expect(local).toContain('href="/store/account/instacart-plus"');
    for (const next of ['https://evil.test/', '//evil.test/x', '/\\evil.test', 'javascript:alert(1)']) {
      const page = await (await get(`/signup?next=${encodeURIComponent(next)}`)).text();
      expect(page).not.toContain('evil.test');
      expect(page).not.toContain('javascript:');
    }
    const escaped = await (await get(`/signup?next=${encodeURIComponent('/"><script>x</script>')}`)).text();
    expect(escaped).not.toContain('<script>x');
  });

  it('serves its stylesheet and icon from its own origin, and no CORS headers', async () => {
    const css = await get('/assets/emulator.css');
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await get('/favicon.ico')).status).toBe(200);
    const preflight = await validated(emulator.fetch)('http://emulator.test/v2/oauth/token', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(preflight.status).toBe(404);
  });
});
