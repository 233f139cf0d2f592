/**
 * @module `@cartlink/emulator/testing`: the test kit for a retailer's QA. {@link startTestEmulator}
 * runs an emulator on a free port (in process or as a child process) and stops it;
 * {@link EmulatorAdmin} is a typed client of every admin call (accounts and memberships,
 * customer-service unlink, Connect users, faults, clock, settings, applications and their lifecycle
 * (clone, disable, enable, delete: a credential rotation), request log, state)
 * plus the scenarios a QA engineer reaches for first. Its input types are the emulator's own request
 * schemas, so what type-checks is what the emulator accepts.
 *
 * @example A lapsed Instacart+ member renews, and the shop's checkout must follow.
 * ```ts
 * import { startTestEmulator } from '@cartlink/emulator/testing';
 *
 * const emulator = await startTestEmulator();
 * const shopper = await emulator.admin.seedShopper('lapsed');
 * // … link the shop's user to shopper.id, expect the delivery fee at checkout …
 * await emulator.admin.renewMembership(shopper.id);
 * // … expect $0 delivery …
 * await emulator.admin.connectDown({ calls: 2 }); // the next two Connect calls answer 503
 * await emulator.stop();
 * ```
 */
export type {
  AppCloneInput,
  AppHasLiveTokensView,
  AppInput,
  AppListView,
  AppScope,
  AppStatus,
  AppView,
  ClockChange,
  ClonedAppView,
  ConnectUserChange,
  ConnectUserView,
  CreatedInstacartUser,
  EmulatorStateView,
  ExpiryTime,
  FaultInput,
  InstacartUserBody,
  InstacartUserChange,
  InstacartUserView,
  LinkView,
  SettingsChange,
  SettingsView,
} from './admin-types.js';
export type { FaultView } from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export {
  type CodeRequest,
  EmulatorAdmin,
  EmulatorAdminError,
  type EmulatorAdminOptions,
  EmulatorAppHasLiveTokensError,
  type Membership,
  type SeededShopper,
} from './test-kit/admin-client.js';
export { startTestEmulator, type TestEmulator, type TestEmulatorOptions } from './test-kit/start-node.js';
