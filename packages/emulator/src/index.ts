/**
 * @module `@cartlink/emulator`: a stateful emulator of the Instacart Connect account-linking API
 * (docs/connect-api.md §1–4) with an admin API for tests, fault injection, a movable clock and a
 * redacted request log. It shares no code with `@cartlink/connect`, so each checks the other.
 *
 * @example
 * ```ts
 * import { createEmulator, DEMO_SEED } from '@cartlink/emulator';
 * const emulator = createEmulator();
 * const response = await emulator.fetch('http://emulator.test/v2/oauth/token', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({
 *     grant_type: 'client_credentials',
 *     client_id: DEMO_SEED.app.clientId,
 *     client_secret: DEMO_SEED.app.clientSecret,
 *     scope: 'connect:fulfillment',
 *   }),
 * });
 * ```
 */
export { checkAdminWrite, isAdminRequestAllowed, isLoopbackAddress } from './admin-guard';
export type { AppEnv } from './context';
export type { Settings } from './domain';
export {
  type AppRegistration,
  createEmulator,
  type Emulator,
  EmulatorConfigError,
  EmulatorInputError,
  type EmulatorOptions,
  type InstacartUserInput,
  type InstacartUserPatch,
  type LinkInfo,
  type TestAuthorization,
} from './emulator';
export { ConnectionDroppedError, type FaultSpec } from './faults';
export { isAllowedHost, normalizePublicHost, PublicHostError } from './host-guard';
export { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-throttle';
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from './node-server';
export { createOpenApiDocument } from './openapi';
export { StateFileError } from './persistence';
export type { RequestLogEntry } from './request-log';
export { DEMO_SEED, type SeedName } from './seed';
