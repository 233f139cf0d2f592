/**
 * @module Errors of the linking core. Connect's own errors come from `@cartlink/connect`.
 */

/** A configuration value is missing or contradictory. Stops start-up with one clear line. */
export class LinkingConfigError extends Error {
  readonly code = 'linking_config';
  override name = 'LinkingConfigError';
}

/** A request to the linking handler was refused; `status` is the HTTP status it becomes. */
export class LinkingRequestError extends Error {
  override name = 'LinkingRequestError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
