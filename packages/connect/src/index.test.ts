import { describe, expect, it } from 'vitest';
import * as connect from './index.js';

describe('package entry', () => {
  it('exports exactly the public run-time names the other packages build on', () => {
    expect(Object.keys(connect).sort()).toEqual(
      [
        'AlreadyLinkedError',
        'AuthorizationResponseError',
        'ConnectApiError',
        'ConnectConfigurationError',
        'ConnectError',
        'ConnectNetworkError',
        'ConnectOAuthError',
        'ConnectTimeoutError',
        'ConnectUnauthorizedError',
        'ConnectUnavailableError',
        'InvalidClientError',
        'InvalidGrantError',
        'InvalidLinkingTokenError',
        'RateLimitedError',
        'UnexpectedResponseError',
        'UserAlreadyExistsError',
        'UserNotActiveError',
        'UserNotFoundError',
        'UserNotLinkedError',
        'computeCodeChallenge',
        'createAuthorizationUrl',
        'createConnectClient',
        'createErrorFromResponse',
        'encodeBase64Url',
        'generateCodeVerifier',
        'generateState',
        'parseAuthorizationResponse',
      ].sort(),
    );
  });
});
