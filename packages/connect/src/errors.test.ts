import { describe, expect, it } from 'vitest';
import {
  AlreadyLinkedError,
  AuthorizationResponseError,
  ConnectApiError,
  ConnectConfigurationError,
  ConnectError,
  ConnectNetworkError,
  ConnectOAuthError,
  ConnectTimeoutError,
  ConnectUnauthorizedError,
  ConnectUnavailableError,
  InvalidClientError,
  InvalidGrantError,
  InvalidLinkingTokenError,
  RateLimitedError,
  UnexpectedResponseError,
  UserAlreadyExistsError,
  UserNotActiveError,
  UserNotFoundError,
  UserNotLinkedError,
} from './errors.js';
import { createErrorFromResponse } from './response-errors.js';
import { SECRETS } from './test-support.js';

const apiInit = { status: 400, message: 'User Not Found', errorCode: 1001, metaKey: 'user_id' };

describe('error classes', () => {
  it.each<[ConnectError, string, string, Array<abstract new (...args: never[]) => Error>]>([
    [
      new ConnectNetworkError('x', { cause: new TypeError('fetch failed') }),
      'network',
      'ConnectNetworkError',
      [],
    ],
    [new ConnectTimeoutError('x', 10), 'timeout', 'ConnectTimeoutError', []],
    [
      new ConnectOAuthError({ error: 'e', errorDescription: null, status: 400 }),
      'oauth_error',
      'ConnectOAuthError',
      [],
    ],
    [
      new InvalidGrantError({ error: 'invalid_grant', errorDescription: null, status: 400 }),
      'invalid_grant',
      'InvalidGrantError',
      [ConnectOAuthError],
    ],
    [
      new InvalidClientError({ error: 'invalid_client', errorDescription: null, status: 401 }),
      'invalid_client',
      'InvalidClientError',
      [ConnectOAuthError],
    ],
    [new ConnectApiError(apiInit), 'api_error', 'ConnectApiError', []],
    [new UserNotFoundError(apiInit), 'user_not_found', 'UserNotFoundError', [ConnectApiError]],
    [new UserNotLinkedError(apiInit), 'user_not_linked', 'UserNotLinkedError', [ConnectApiError]],
    [new UserNotActiveError(apiInit), 'user_not_active', 'UserNotActiveError', [ConnectApiError]],
    [new AlreadyLinkedError(apiInit), 'already_linked', 'AlreadyLinkedError', [ConnectApiError]],
    [
      new InvalidLinkingTokenError(apiInit),
      'invalid_linking_token',
      'InvalidLinkingTokenError',
      [ConnectApiError],
    ],
    [new UserAlreadyExistsError(apiInit), 'user_already_exists', 'UserAlreadyExistsError', [ConnectApiError]],
    [
      new RateLimitedError({ ...apiInit, status: 429 }),
      'rate_limited',
      'RateLimitedError',
      [ConnectApiError],
    ],
    [
      new ConnectUnavailableError({ ...apiInit, status: 503 }),
      'unavailable',
      'ConnectUnavailableError',
      [ConnectApiError],
    ],
    [
      new ConnectUnauthorizedError({ ...apiInit, status: 401 }),
      'unauthorized',
      'ConnectUnauthorizedError',
      [ConnectApiError],
    ],
    [new UnexpectedResponseError('x', 418), 'unexpected_response', 'UnexpectedResponseError', []],
    [
      new AuthorizationResponseError('x', 'missing_state'),
      'invalid_response',
      'AuthorizationResponseError',
      [],
    ],
    [new ConnectConfigurationError('x'), 'invalid_configuration', 'ConnectConfigurationError', []],
  ])('%s has code %s, its own name, and the base classes', (error, code, name, parents) => {
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toBeInstanceOf(Error);
    for (const parent of parents) expect(error).toBeInstanceOf(parent);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.toJSON()).toMatchObject({ name, code, message: error.message });
  });

  it('keeps the API fields and defaults the absent ones to null', () => {
    const error = new ConnectApiError({ status: 403, message: 'User Not Active' });
    expect(error).toMatchObject({ status: 403, message: 'User Not Active', errorCode: null, metaKey: null });
    expect(new RateLimitedError({ status: 429, message: 'slow down' }).retryAfterSeconds).toBeNull();
  });

  it("leaves the network error's cause out of its JSON", () => {
    const cause = new Error(`connect ECONNREFUSED with ${SECRETS.clientSecret}`);
    const error = new ConnectNetworkError('POST /v2/oauth/token failed before a response arrived', { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain(SECRETS.clientSecret);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'ConnectNetworkError',
      code: 'network',
      message: 'POST /v2/oauth/token failed before a response arrived',
    });
  });

  it('puts every field in the JSON of an API error', () => {
    const error = new RateLimitedError({ status: 429, message: 'Too Many Requests', retryAfterSeconds: 3 });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'RateLimitedError',
      code: 'rate_limited',
      message: 'Too Many Requests',
      status: 429,
      errorCode: null,
      metaKey: null,
      retryAfterSeconds: 3,
    });
  });
});

describe('createErrorFromResponse', () => {
  it('maps a response directly, reading its body once', async () => {
    const response = new Response(
      JSON.stringify({ error: { message: 'User Not Linked', code: 1001 }, meta: { key: 'user_id' } }),
      {
        status: 400,
      },
    );
    const error = await createErrorFromResponse(response);
    expect(error).toBeInstanceOf(UserNotLinkedError);
    expect(response.bodyUsed).toBe(true);
  });

  it('treats a 401 as a refused fulfillment token by default, and as OAuth on the token endpoint', async () => {
    const body = JSON.stringify({ error: 'invalid_client' });
    expect(await createErrorFromResponse(new Response(body, { status: 401 }))).toBeInstanceOf(
      ConnectUnauthorizedError,
    );
    expect(
      await createErrorFromResponse(new Response(body, { status: 401 }), { endpoint: 'oauth' }),
    ).toBeInstanceOf(InvalidClientError);
  });

  it('reads Retry-After from a 429 and a 503 only', async () => {
    const headers = { 'Retry-After': '7' };
    await expect(
      createErrorFromResponse(new Response(null, { status: 429, headers })),
    ).resolves.toMatchObject({
      retryAfterSeconds: 7,
    });
    await expect(
      createErrorFromResponse(new Response(null, { status: 503, headers })),
    ).resolves.toMatchObject({
      retryAfterSeconds: 7,
    });
    await expect(
      createErrorFromResponse(new Response(null, { status: 502, headers })),
    ).resolves.toMatchObject({
      code: 'unavailable',
      retryAfterSeconds: null,
    });
  });

  it('keeps the API message of a 5xx or 429 body when there is one', async () => {
    const body = JSON.stringify({ error: { message: 'Rate limit exceeded', code: 429 } });
    await expect(createErrorFromResponse(new Response(body, { status: 429 }))).resolves.toMatchObject({
      message: 'Rate limit exceeded',
      errorCode: 429,
    });
  });

  it('reads a numeric string error code and ignores a non-numeric one', async () => {
    const make = (code: unknown) =>
      new Response(JSON.stringify({ error: { message: 'Bad', code } }), { status: 400 });
    await expect(createErrorFromResponse(make('1001'))).resolves.toMatchObject({ errorCode: 1001 });
    await expect(createErrorFromResponse(make('E_BAD'))).resolves.toMatchObject({ errorCode: null });
    await expect(createErrorFromResponse(make(''))).resolves.toMatchObject({ errorCode: null });
  });

  it('does not repeat an OAuth error value that is not a short token', async () => {
    const response = new Response(JSON.stringify({ error: `bad ${SECRETS.code} value` }), { status: 400 });
    const error = await createErrorFromResponse(response, { endpoint: 'oauth' });
    expect(error).toMatchObject({ code: 'oauth_error', error: 'unknown_error' });
    expect(error.message).not.toContain(SECRETS.code);
  });

  it('removes the secrets it is given from texts it keeps', async () => {
    const response = new Response(
      JSON.stringify({ error: 'invalid_grant', error_description: `code ${SECRETS.code} expired` }),
      { status: 400 },
    );
    const error = await createErrorFromResponse(response, { endpoint: 'oauth', secrets: [SECRETS.code] });
    expect(error).toMatchObject({ errorDescription: 'code [redacted] expired' });
  });

  it('never puts the body of an unexpected response in the message', async () => {
    const error = await createErrorFromResponse(
      new Response(`<html>${SECRETS.linkingToken}</html>`, { status: 400 }),
    );
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.message).not.toContain(SECRETS.linkingToken);
    expect(error.message).not.toContain('html');
  });

  it('judges an unreadable body by the status alone', async () => {
    const body = new ReadableStream({ pull: (controller) => controller.error(new Error('reset')) });
    const error = await createErrorFromResponse(new Response(body, { status: 503 }));
    expect(error).toBeInstanceOf(ConnectUnavailableError);
  });
});
