/**
 * The emulator's own error classes: one for options it cannot start with, one for input its typed
 * helpers refuse. Both carry a one-line message.
 */

/**
 * Thrown by `createEmulator` and `startEmulator` for options they cannot run with (a public host
 * with a port, a log-in limit below 1, a scenario the schema refuses); the message is one line,
 * fit to stop start-up with.
 */
export class EmulatorConfigError extends Error {
  /** Always `EmulatorConfigError`. */
  override name = 'EmulatorConfigError';
}

/** Thrown by the typed helpers of `Emulator` on input the admin API would refuse. */
export class EmulatorInputError extends Error {
  /** Always `EmulatorInputError`. */
  override name = 'EmulatorInputError';
}
