import { describe, expect, it } from 'vitest';
import { DEMO_CONNECT_DEFAULTS, DEMO_DATABASE_URL } from '../config.js';
import { describeBorrowedProblem, describeProblems, readCheckSettings } from './settings.js';

const COMPLETE = {
  CONNECT_BASE_URL: 'https://connect.example/',
  CONNECT_AUTH_URL: 'https://connect.example/oauth/authorize',
  CONNECT_CLIENT_ID: 'shop',
  CONNECT_CLIENT_SECRET: 's3cret',
  CONNECT_REDIRECT_URI: 'https://shop.example/account/profile',
  DATABASE_URL: 'postgres://shop@db/shop',
};

describe('readCheckSettings', () => {
  it('reads a complete environment through the schema, with no problem', () => {
    const settings = readCheckSettings(COMPLETE, { demo: false });
    expect(settings.problems.size).toBe(0);
    expect(settings.config.baseUrl).toBe('https://connect.example');
    expect(settings.config.usePkce).toBe(true);
    expect(settings.databaseUrl).toBe('postgres://shop@db/shop');
  });

  it('with --demo, follows PORT and EMULATOR_PORT as the demo storefront does', () => {
    const settings = readCheckSettings({ PORT: '3300', EMULATOR_PORT: '4310' }, { demo: true });
    expect(settings.problems.size).toBe(0);
    expect(settings.config.baseUrl).toBe('http://localhost:4310');
    expect(settings.config.authUrl).toBe('http://localhost:4310/oauth/authorize');
    expect(settings.config.redirectUri).toBe('http://localhost:3300/account/profile');
    // PORT=0 (a free port, chosen later) leaves the documented defaults, as the storefront does.
    const free = readCheckSettings({ PORT: '0' }, { demo: true });
    expect(free.config.redirectUri).toBe(DEMO_CONNECT_DEFAULTS.CONNECT_REDIRECT_URI);
    expect(free.config.baseUrl).toBe(DEMO_CONNECT_DEFAULTS.CONNECT_BASE_URL);
  });

  it('without --demo, reports every unset required variable as missing, not only the first', () => {
    const settings = readCheckSettings({}, { demo: false });
    expect(Object.fromEntries(settings.problems)).toEqual({
      CONNECT_BASE_URL: 'is required',
      CONNECT_AUTH_URL: 'is required',
      CONNECT_CLIENT_ID: 'is required',
      CONNECT_CLIENT_SECRET: 'is required',
      CONNECT_REDIRECT_URI: 'is required',
      DATABASE_URL: 'is required',
    });
  });

  it('collects malformed variables beside good ones, each with the schema’s reason', () => {
    const settings = readCheckSettings(
      {
        ...COMPLETE,
        CONNECT_REDIRECT_URI: 'localhost:3000/account/profile',
        CONNECT_TIMEOUT_MS: 'soon',
        CONNECT_USE_PKCE: 'maybe',
        CONNECT_REQUIRE_ISSUER: 'true',
      },
      { demo: false },
    );
    expect(Object.fromEntries(settings.problems)).toEqual({
      CONNECT_REDIRECT_URI: 'must be an absolute http:// or https:// URL',
      CONNECT_USE_PKCE: 'must be true or false',
      CONNECT_REQUIRE_ISSUER: 'needs CONNECT_ISSUER, the issuer to require',
      CONNECT_TIMEOUT_MS: 'must be a whole number',
    });
    // The usable ones are read as given.
    expect(settings.config.clientId).toBe('shop');
    expect(settings.config.authUrl).toBe('https://connect.example/oauth/authorize');
  });

  it('reads a rotation’s next set, and sets the whole set aside when half of it is given', () => {
    const rotating = readCheckSettings(
      { ...COMPLETE, CONNECT_CLIENT_ID_NEXT: 'shop-next', CONNECT_CLIENT_SECRET_NEXT: 'n3xt' },
      { demo: false },
    );
    expect(rotating.problems.size).toBe(0);
    expect(rotating.config.next).toEqual({ clientId: 'shop-next', clientSecret: 'n3xt' });

    const half = readCheckSettings(
      { ...COMPLETE, CONNECT_CLIENT_ID_NEXT: 'shop-next', CONNECT_TIMEOUT_MS: 'soon' },
      { demo: false },
    );
    expect(Object.fromEntries(half.problems)).toEqual({
      CONNECT_CLIENT_SECRET_NEXT: 'is required with CONNECT_CLIENT_ID_NEXT (set both, or neither)',
      CONNECT_TIMEOUT_MS: 'must be a whole number',
    });
    expect(half.config.next).toBeUndefined();
    expect(describeProblems(half, ['CONNECT_CLIENT_ID_NEXT', 'CONNECT_CLIENT_SECRET_NEXT'])?.fix).toContain(
      'set CONNECT_CLIENT_SECRET_NEXT to the next application',
    );

    const same = readCheckSettings(
      { ...COMPLETE, CONNECT_CLIENT_ID_NEXT: 'shop', CONNECT_CLIENT_SECRET_NEXT: 'n3xt' },
      { demo: false },
    );
    expect([...same.problems.keys()]).toEqual(['CONNECT_CLIENT_ID_NEXT']);
    expect(same.config.clientId).toBe('shop');
  });

  it('with --demo, fills what is unset with the demo values, and keeps what is set', () => {
    const settings = readCheckSettings({ CONNECT_CLIENT_ID: 'mine' }, { demo: true });
    expect(settings.problems.size).toBe(0);
    expect(settings.config.clientId).toBe('mine');
    expect(settings.config.clientSecret).toBe(DEMO_CONNECT_DEFAULTS.CONNECT_CLIENT_SECRET);
    expect(settings.config.redirectUri).toBe('http://localhost:3000/account/profile');
    expect(settings.config.baseUrl).toBe('http://localhost:4010');
    expect(settings.databaseUrl).toBe(DEMO_DATABASE_URL);
  });

  it('tells a problem on the owner’s line with what to set, and as a pointer on a borrower’s', () => {
    const settings = readCheckSettings({ ...COMPLETE, CONNECT_CLIENT_ID: ' ' }, { demo: false });
    const problem = describeProblems(settings, ['CONNECT_BASE_URL', 'CONNECT_CLIENT_ID']);
    expect(problem?.summary).toBe('CONNECT_CLIENT_ID: is required');
    expect(problem?.fix).toContain('set CONNECT_CLIENT_ID to');
    expect(problem?.fix).toContain('--demo');
    expect(describeProblems(settings, ['CONNECT_BASE_URL'])).toBeUndefined();
    expect(
      describeBorrowedProblem(settings, [{ variable: 'CONNECT_CLIENT_ID', owner: 'client-credentials' }]),
    ).toBe('not checked: needs a usable CONNECT_CLIENT_ID (see client-credentials)');
  });
});
