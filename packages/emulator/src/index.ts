/**
 * @module `@cartlink/emulator`: a stateful emulator of the Instacart Connect account-linking API
 * (docs/connect-api.md §1–4) with an admin API for tests, fault injection, a movable clock and a
 * redacted request log. It shares no code with `@cartlink/connect`, so each checks the other.
 * `npx @cartlink/emulator` runs it from the command line; {@link startEmulator} and
 * {@link createEmulator} run it in process, with the same {@link EmulatorScenario} as a
 * `--scenario` file.
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
export {
  type AdminWriteRefusal,
  checkAdminWrite,
  isAdminRequestAllowed,
  isLoopbackAddress,
  type Peer,
} from './admin-guard.js';
export type { AppEnv } from './context.js';
export type { AppScope, Settings } from './domain.js';
export {
  type AppRegistration,
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type InstacartUserInput,
  type InstacartUserPatch,
  type LinkInfo,
  type TestAuthorization,
} from './emulator.js';
export { EmulatorConfigError, EmulatorInputError } from './errors.js';
export { ConnectionDroppedError, type FaultSpec } from './faults.js';
export { isAllowedHost, normalizePublicHost, PublicHostError } from './host-guard.js';
export { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-throttle.js';
export { createOpenApiDocument, type Json, type Schema } from './openapi.js';
export { StateFileError } from './persistence.js';
export type { RequestLogEntry } from './request-log.js';
export {
  type EmulatorScenario,
  mergeScenarios,
  parseScenario,
  type ScenarioApp,
  ScenarioError,
  type ScenarioInstacartUser,
  type ScenarioSettings,
} from './scenario.js';
export { readScenarioFile } from './scenario-file-node.js';
export { DEMO_SEED, type SeedName } from './seed.js';
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from './server-node.js';
