/**
 * Type tests of the public API: checked by `tsc` (these assertions do nothing at run time), so a
 * change that loosens a type the linking core relies on fails the type check.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AcceptLanguage,
  type AuthorizationCodeResponse,
  type AuthorizationErrorResponse,
  type AuthorizationResponseError,
  type ConnectApiError,
  type ConnectClient,
  type ConnectClientOptions,
  type ConnectError,
  type ConnectErrorCode,
  type ConnectOAuthError,
  type ConnectRequestEvent,
  type ConnectUnavailableError,
  type ConnectUser,
  type CredentialsChangeEvent,
  createAuthorizationUrl,
  createConnectClient,
  createErrorFromResponse,
  type LinkingToken,
  type LinkStatus,
  parseAuthorizationResponse,
  type RateLimitedError,
  type UserNotFoundError,
} from './index.js';

describe('public types', () => {
  it('createConnectClient gives a ConnectClient whose calls resolve to the documented shapes', () => {
    expectTypeOf(createConnectClient).parameter(0).toEqualTypeOf<ConnectClientOptions>();
    expectTypeOf(createConnectClient).returns.toEqualTypeOf<ConnectClient>();
    expectTypeOf<ConnectClient['getFulfillmentToken']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<ConnectClient['getLinkStatus']>().returns.toEqualTypeOf<Promise<LinkStatus>>();
    expectTypeOf<ConnectClient['linkUser']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ConnectClient['createUser']>().returns.toEqualTypeOf<Promise<ConnectUser>>();
    expectTypeOf<ConnectClient['exchangeAuthorizationCode']>().returns.toEqualTypeOf<Promise<LinkingToken>>();
    expectTypeOf<ConnectClient['sandbox']['createInstacartUser']>().returns.toEqualTypeOf<
      Promise<{ id: number }>
    >();
    expectTypeOf<ConnectClient['sandbox']['authorize']>().returns.toEqualTypeOf<Promise<{ code: string }>>();
    expectTypeOf<ConnectClient['credentialsInUse']>().returns.toEqualTypeOf<string>();
    expectTypeOf<ConnectClient['listClientIds']>().returns.toEqualTypeOf<readonly string[]>();
  });

  it('names a credential set by its client id, and tells a change without a secret', () => {
    expectTypeOf<CredentialsChangeEvent>().toEqualTypeOf<{
      clientId: string;
      previousClientId: string;
      reason: 'next-accepted' | 'next-refused';
    }>();
    expectTypeOf<Parameters<ConnectClient['exchangeAuthorizationCode']>[0]['clientId']>().toEqualTypeOf<
      string | undefined
    >();
    expectTypeOf<ConnectRequestEvent['fallback']>().toEqualTypeOf<true | undefined>();
  });

  it('keeps the meaningful literal and nullable types', () => {
    expectTypeOf<LinkingToken['tokenType']>().toEqualTypeOf<'Bearer'>();
    expectTypeOf<LinkingToken['refreshToken']>().toEqualTypeOf<string | null>();
    expectTypeOf<LinkStatus['expiredAt']>().toEqualTypeOf<Date | null>();
    expectTypeOf<LinkStatus['expressMember']>().toEqualTypeOf<boolean | null>();
    expectTypeOf<AcceptLanguage>().toEqualTypeOf<'en-US' | 'en-CA' | 'fr-CA'>();
    expectTypeOf<ConnectClientOptions['acceptLanguage']>().toEqualTypeOf<AcceptLanguage | undefined>();
    expectTypeOf<ConnectRequestEvent['status']>().toEqualTypeOf<number | undefined>();
  });

  it('refuses what the contract does not allow', () => {
    const options = { baseUrl: 'https://connect.test', clientId: 'id', clientSecret: 'secret' };
    // @ts-expect-error: Connect answers in en-US, en-CA and fr-CA only.
    const german: ConnectClientOptions = { ...options, acceptLanguage: 'de-DE' };
    // @ts-expect-error: the redirect URI is required for the code exchange.
    const exchange: Parameters<ConnectClient['exchangeAuthorizationCode']>[0] = { code: 'c' };
    // @ts-expect-error: the sandbox issues codes for the account_linking scope only.
    const authorize: SandboxAuthorizeInput = { redirectUri: 'https://x.test', scope: 'other' };
    // @ts-expect-error: a user id is a string, never a number.
    const createUser: Parameters<ConnectClient['createUser']>[0] = { userId: 1, firstName: 'Alex' };
    expectTypeOf([german, exchange, authorize, createUser]).toBeArray();
  });

  it('gives every error class its own literal code', () => {
    expectTypeOf<ConnectError['code']>().toEqualTypeOf<ConnectErrorCode>();
    expectTypeOf<UserNotFoundError['code']>().toEqualTypeOf<'user_not_found'>();
    expectTypeOf<RateLimitedError['code']>().toEqualTypeOf<'rate_limited'>();
    expectTypeOf<RateLimitedError['retryAfterSeconds']>().toEqualTypeOf<number | null>();
    expectTypeOf<ConnectUnavailableError['retryAfterSeconds']>().toEqualTypeOf<number | null>();
    expectTypeOf<ConnectApiError['errorCode']>().toEqualTypeOf<number | null>();
    expectTypeOf<ConnectApiError['metaKey']>().toEqualTypeOf<string | null>();
    expectTypeOf<ConnectOAuthError['code']>().toEqualTypeOf<
      'oauth_error' | 'invalid_grant' | 'invalid_client'
    >();
    expectTypeOf<UserNotFoundError>().toExtend<ConnectApiError>();
    // The linking core answers each broken rule of a callback its own way, by this field.
    expectTypeOf<AuthorizationResponseError['reason']>().toEqualTypeOf<
      | 'duplicate_parameter'
      | 'code_and_error'
      | 'no_code_or_error'
      | 'missing_state'
      | 'missing_issuer'
      | 'issuer_mismatch'
    >();
    expectTypeOf(createErrorFromResponse).returns.toEqualTypeOf<Promise<ConnectError>>();
  });

  it('narrows an authorization response by its fields', () => {
    const response = parseAuthorizationResponse(new URLSearchParams('code=c&state=s'));
    if ('code' in response) expectTypeOf(response).toEqualTypeOf<AuthorizationCodeResponse>();
    else expectTypeOf(response).toEqualTypeOf<AuthorizationErrorResponse>();
    expectTypeOf(createAuthorizationUrl).returns.toEqualTypeOf<URL>();
  });
});
