/**
 * @module Typed client for the Instacart Connect account-linking endpoints: the fulfillment token
 * cache, link status, link, create user, code exchange, revocation and the sandbox; the
 * authorization URL with `state` and PKCE; typed errors. Web standards only (`fetch`, Web Crypto),
 * so it runs on Node.js 20+, Deno, Bun and edge runtimes alike.
 * @see docs/connect-api.md
 * @see docs/account-linking.md
 */
export {
  type AuthorizationCodeResponse,
  type AuthorizationErrorResponse,
  type AuthorizationResponse,
  type AuthorizationUrlInput,
  computeCodeChallenge,
  createAuthorizationUrl,
  encodeBase64Url,
  generateCodeVerifier,
  generateState,
  type ParseAuthorizationResponseOptions,
  parseAuthorizationResponse,
} from './authorization.js';
export { createConnectClient } from './client.js';
export {
  AlreadyLinkedError,
  AuthorizationResponseError,
  ConnectApiError,
  type ConnectApiErrorInit,
  ConnectConfigurationError,
  ConnectError,
  type ConnectErrorCode,
  ConnectNetworkError,
  ConnectOAuthError,
  type ConnectOAuthErrorInit,
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
export { createErrorFromResponse, type ErrorResponseContext } from './response-errors.js';
export type { ConnectOperation, ConnectRequestEvent } from './transport.js';
export type {
  AcceptLanguage,
  ConnectClient,
  ConnectClientOptions,
  ConnectCredentials,
  ConnectFetch,
  ConnectFetchHeaders,
  ConnectFetchInit,
  ConnectFetchResponse,
  ConnectUser,
  CreateUserInput,
  CredentialsChangeEvent,
  LinkingToken,
  LinkStatus,
  SandboxAuthorizeInput,
  SandboxInstacartUserInput,
} from './types.js';
