import { describe, expect, it } from 'vitest';
import {
  computeCodeChallenge,
  createAuthorizationUrl,
  encodeBase64Url,
  generateCodeVerifier,
  generateState,
  parseAuthorizationResponse,
} from './authorization.js';
import { AuthorizationResponseError, ConnectConfigurationError } from './errors.js';

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

function decodeBase64Url(value: string): Uint8Array {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) =>
    char.charCodeAt(0),
  );
}

describe('PKCE', () => {
  it('encodes the RFC 7636 Appendix B octets as its verifier', () => {
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    expect(encodeBase64Url(new Uint8Array(octets))).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  });

  it('computes the RFC 7636 Appendix B challenge', async () => {
    await expect(computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('generates 43-character verifiers from 32 random bytes, never the same twice', () => {
    const verifiers = Array.from({ length: 200 }, generateCodeVerifier);
    for (const verifier of verifiers) {
      expect(verifier).toMatch(BASE64URL_43);
      expect(decodeBase64Url(verifier)).toHaveLength(32);
    }
    expect(new Set(verifiers).size).toBe(verifiers.length);
  });

  it('gives a generated verifier a 43-character challenge without padding', async () => {
    await expect(computeCodeChallenge(generateCodeVerifier())).resolves.toMatch(BASE64URL_43);
  });

  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(129)],
    ['outside the unreserved set', `${'a'.repeat(42)}+`],
  ])('refuses a verifier %s', async (_, verifier) => {
    await expect(computeCodeChallenge(verifier)).rejects.toBeInstanceOf(TypeError);
  });

  it('accepts the longest verifier RFC 7636 allows', async () => {
    await expect(computeCodeChallenge('~'.repeat(128))).resolves.toMatch(BASE64URL_43);
  });
});

describe('generateState', () => {
  it('is 32 random bytes in base64url, never the same twice', () => {
    const states = Array.from({ length: 200 }, generateState);
    for (const state of states) {
      expect(state).toMatch(BASE64URL_43);
      expect(decodeBase64Url(state)).toHaveLength(32);
    }
    expect(new Set(states).size).toBe(states.length);
  });
});

describe('encodeBase64Url', () => {
  it('uses the URL alphabet and no padding', () => {
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(encodeBase64Url(new Uint8Array([0xff]))).toBe('_w');
    expect(encodeBase64Url(new Uint8Array([]))).toBe('');
  });
});

describe('createAuthorizationUrl', () => {
  const input = {
    authorizationEndpoint: 'https://connect.dev.instacart.tools/oauth/authorize',
    clientId: 'cartlink-demo',
    redirectUri: 'http://localhost:3000/account/profile',
    state: 'state-123',
  };

  it("has exactly the seed's parameters, in the seed's order", () => {
    const url = createAuthorizationUrl(input);
    expect(`${url.origin}${url.pathname}`).toBe('https://connect.dev.instacart.tools/oauth/authorize');
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'cartlink-demo'],
      ['scope', 'account_linking'],
      ['state', 'state-123'],
      ['redirect_uri', 'http://localhost:3000/account/profile'],
    ]);
  });

  it('adds code_challenge and code_challenge_method=S256 with a challenge', () => {
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const url = createAuthorizationUrl({ ...input, codeChallenge: challenge });
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'cartlink-demo'],
      ['scope', 'account_linking'],
      ['state', 'state-123'],
      ['redirect_uri', 'http://localhost:3000/account/profile'],
      ['code_challenge', challenge],
      ['code_challenge_method', 'S256'],
    ]);
  });

  it('percent-encodes the redirect URI', () => {
    const url = createAuthorizationUrl(input);
    expect(url.href).toContain('redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Faccount%2Fprofile');
  });

  it('keeps parameters the endpoint already carries, and overrides ours', () => {
    const url = createAuthorizationUrl({
      ...input,
      authorizationEndpoint: 'https://auth.test/authorize?tenant=corner&scope=everything',
    });
    expect(url.searchParams.get('tenant')).toBe('corner');
    expect(url.searchParams.getAll('scope')).toEqual(['account_linking']);
  });

  it.each([
    ['a relative endpoint', { authorizationEndpoint: '/oauth/authorize' }],
    ['a javascript: endpoint', { authorizationEndpoint: 'javascript:alert(1)' }],
    ['a relative redirect URI', { redirectUri: '/account/profile' }],
    ['an empty client id', { clientId: '' }],
    ['an empty state', { state: '' }],
    ['a plain verifier as the challenge', { codeChallenge: 'not-a-challenge' }],
  ])('refuses %s', (_, override) => {
    expect(() => createAuthorizationUrl({ ...input, ...override })).toThrow(ConnectConfigurationError);
  });
});

describe('parseAuthorizationResponse', () => {
  const redirect = (query: string) => new URL(`https://shop.test/account/profile?${query}`);

  it('reads a code response', () => {
    expect(parseAuthorizationResponse(redirect('code=abc&state=s1'))).toEqual({
      code: 'abc',
      state: 's1',
      iss: null,
    });
  });

  it('reads an error response', () => {
    expect(
      parseAuthorizationResponse(redirect('error=access_denied&error_description=The+user+denied&state=s1')),
    ).toEqual({ error: 'access_denied', errorDescription: 'The user denied', state: 's1', iss: null });
    expect(parseAuthorizationResponse(redirect('error=invalid_scope&state=s1'))).toEqual({
      error: 'invalid_scope',
      errorDescription: null,
      state: 's1',
      iss: null,
    });
  });

  it('accepts URLSearchParams and reads iss', () => {
    expect(
      parseAuthorizationResponse(new URLSearchParams('code=abc&state=s1&iss=https%3A%2F%2Fauth.test')),
    ).toEqual({
      code: 'abc',
      state: 's1',
      iss: 'https://auth.test',
    });
  });

  it.each(['code', 'state', 'error', 'error_description', 'iss'])(
    'throws invalid_response when %s is duplicated',
    (name) => {
      const base = name.startsWith('error') ? 'error=access_denied&state=s1' : 'code=abc&state=s1';
      const query = `${base}&${name}=one&${name}=two`;
      let thrown: unknown;
      try {
        parseAuthorizationResponse(redirect(query));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AuthorizationResponseError);
      expect(thrown).toMatchObject({ code: 'invalid_response', reason: 'duplicate_parameter' });
      expect((thrown as Error).message).toContain(`"${name}"`);
      // Parameter names only, never their values.
      expect((thrown as Error).message).not.toMatch(/one|two|abc/);
    },
  );

  it('throws on a duplicated code even when both values are equal', () => {
    expect(() => parseAuthorizationResponse(redirect('code=abc&code=abc&state=s1'))).toThrow(
      AuthorizationResponseError,
    );
  });

  it.each([
    ['both code and error', 'code=abc&error=access_denied&state=s1', 'code_and_error'],
    ['a code with an empty error', 'code=abc&error=&state=s1', 'code_and_error'],
    ['neither code nor error', 'state=s1', 'no_code_or_error'],
    ['an empty code', 'code=&state=s1', 'no_code_or_error'],
    ['no state', 'code=abc', 'missing_state'],
    ['an empty state', 'code=abc&state=', 'missing_state'],
  ])('throws invalid_response for %s', (_, query, reason) => {
    expect(() => parseAuthorizationResponse(redirect(query))).toThrow(
      expect.objectContaining({ code: 'invalid_response', reason }),
    );
  });

  describe('with an expected issuer (RFC 9207)', () => {
    const expectedIssuer = 'https://auth.test';

    it('accepts the expected iss, and no iss unless required', () => {
      expect(
        parseAuthorizationResponse(redirect('code=abc&state=s1&iss=https%3A%2F%2Fauth.test'), {
          expectedIssuer,
        }),
      ).toMatchObject({ iss: expectedIssuer });
      expect(parseAuthorizationResponse(redirect('code=abc&state=s1'), { expectedIssuer })).toMatchObject({
        iss: null,
      });
    });

    it('refuses another issuer, on a code and on an error response', () => {
      for (const query of [
        'code=abc&state=s1&iss=https%3A%2F%2Fevil.test',
        'error=access_denied&state=s1&iss=x',
      ]) {
        expect(() => parseAuthorizationResponse(redirect(query), { expectedIssuer })).toThrow(
          expect.objectContaining({ reason: 'issuer_mismatch' }),
        );
      }
    });

    it('refuses an empty iss as another issuer, not as a missing one', () => {
      expect(() =>
        parseAuthorizationResponse(redirect('code=abc&state=s1&iss='), { expectedIssuer }),
      ).toThrow(expect.objectContaining({ reason: 'issuer_mismatch' }));
    });

    it('checks the issuer before reading the rest of the response', () => {
      expect(() => parseAuthorizationResponse(redirect('state=s1&iss=x'), { expectedIssuer })).toThrow(
        expect.objectContaining({ reason: 'issuer_mismatch' }),
      );
      expect(() =>
        parseAuthorizationResponse(redirect('code=abc&error=access_denied'), {
          expectedIssuer,
          requireIssuer: true,
        }),
      ).toThrow(expect.objectContaining({ reason: 'missing_issuer' }));
    });

    it('refuses a missing iss when required', () => {
      expect(() =>
        parseAuthorizationResponse(redirect('code=abc&state=s1'), { expectedIssuer, requireIssuer: true }),
      ).toThrow(expect.objectContaining({ code: 'invalid_response', reason: 'missing_issuer' }));
    });
  });
});
