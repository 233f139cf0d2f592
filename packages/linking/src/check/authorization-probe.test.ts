import { describe, expect, it } from 'vitest';
import { MAX_REDIRECTS, probeAuthorization } from './authorization-probe.js';
import type { CheckFetch } from './http.js';

const ENDPOINT = 'https://auth.connect.example/oauth/authorize';
const REDIRECT_URI = 'https://shop.example/account/profile';

/** A fetch that answers from `answer` and records every URL asked for. */
function fakeFetch(answer: (url: URL) => Response): CheckFetch & { urls: URL[] } {
  const urls: URL[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    expect(init.redirect).toBe('manual');
    urls.push(new URL(url));
    return answer(new URL(url));
  };
  return Object.assign(fetch, { urls });
}

const redirect = (location: string) => new Response(null, { status: 302, headers: { location } });

function probe(fetch: CheckFetch, usePkce = true) {
  return probeAuthorization({
    authorizationEndpoint: ENDPOINT,
    request: { clientId: 'shop', redirectUri: REDIRECT_URI, usePkce },
    fetch,
    timeoutMs: 5000,
  });
}

describe('probeAuthorization', () => {
  it('sends the request the shop sends: state, scope, redirect URI, and an S256 challenge', async () => {
    const fetch = fakeFetch(() => new Response('<h1>Log in</h1>', { status: 200 }));
    const answer = await probe(fetch);
    expect(answer).toEqual({
      kind: 'answered',
      status: 200,
      redirectedTo: undefined,
      toRedirectUri: false,
      error: undefined,
    });
    const params = fetch.urls[0]?.searchParams;
    expect(params?.get('response_type')).toBe('code');
    expect(params?.get('client_id')).toBe('shop');
    expect(params?.get('scope')).toBe('account_linking');
    expect(params?.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(params?.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params?.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params?.get('code_challenge_method')).toBe('S256');
  });

  it('sends no challenge when PKCE is off', async () => {
    const fetch = fakeFetch(() => new Response('', { status: 200 }));
    await probe(fetch, false);
    expect(fetch.urls[0]?.searchParams.has('code_challenge')).toBe(false);
  });

  it('reads an error redirect to the redirect URI, and does not follow it', async () => {
    const fetch = fakeFetch(() =>
      redirect(
        `${REDIRECT_URI}?error=invalid_request&error_description=code_challenge_method+must+be+S256&state=x`,
      ),
    );
    const answer = await probe(fetch);
    expect(answer).toEqual({
      kind: 'answered',
      status: 302,
      redirectedTo: REDIRECT_URI,
      toRedirectUri: true,
      error: { error: 'invalid_request', description: 'code_challenge_method must be S256' },
    });
    expect(fetch.urls).toHaveLength(1);
  });

  it('never follows a redirect to another host: a third party is not asked anything', async () => {
    const fetch = fakeFetch((url) =>
      url.hostname === 'auth.connect.example'
        ? redirect('https://attacker.example/collect')
        : new Response('x'),
    );
    const answer = await probe(fetch);
    expect(fetch.urls.map((url) => url.hostname)).toEqual(['auth.connect.example']);
    expect(answer).toMatchObject({
      status: 302,
      redirectedTo: 'https://attacker.example/collect',
      toRedirectUri: false,
    });
  });

  it('follows a redirect that stays on the authorization host (an https upgrade), a few times at most', async () => {
    const upgraded = fakeFetch((url) =>
      url.protocol === 'http:' ? redirect(url.href.replace('http:', 'https:')) : new Response('page'),
    );
    const answer = await probeAuthorization({
      authorizationEndpoint: 'http://auth.connect.example/oauth/authorize',
      request: { clientId: 'shop', redirectUri: REDIRECT_URI, usePkce: true },
      fetch: upgraded,
      timeoutMs: 5000,
    });
    expect(upgraded.urls.map((url) => url.protocol)).toEqual(['http:', 'https:']);
    expect(answer).toMatchObject({ status: 200 });

    const loop = fakeFetch(() => redirect('/oauth/authorize?again=1'));
    expect(await probe(loop)).toEqual({
      kind: 'unreachable',
      reason: `more than ${MAX_REDIRECTS} redirects within auth.connect.example`,
    });
    expect(loop.urls).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('reports no answer with the platform’s reason, not a crash', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const answer = await probe(async () => {
      throw new TypeError('fetch failed', { cause: refused });
    });
    expect(answer).toEqual({ kind: 'unreachable', reason: 'connect ECONNREFUSED 127.0.0.1:9' });
  });

  it('requests the bare endpoint when there is no usable client or redirect URI', async () => {
    const fetch = fakeFetch(() => new Response('', { status: 400 }));
    const answer = await probeAuthorization({
      authorizationEndpoint: ENDPOINT,
      request: undefined,
      fetch,
      timeoutMs: 5000,
    });
    expect(fetch.urls[0]?.href).toBe(ENDPOINT);
    expect(answer).toMatchObject({ kind: 'answered', status: 400 });
  });
});
