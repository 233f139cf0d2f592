/**
 * @module Errors of the linking core. Connect's own errors come from `@cartlink/connect`.
 */

/** A configuration value is missing or contradictory. Stops start-up with one clear line. */
export class LinkingConfigError extends Error {
  /** Stable code of the class, for logs and checks that do not use `instanceof`. */
  readonly code = 'linking_config';
  /** The class name, as `error.name`. */
  override name = 'LinkingConfigError';
}

/** A request to the linking handler was refused; `status` is the HTTP status it becomes. */
export class LinkingRequestError extends Error {
  /** The class name, as `error.name`. */
  override name = 'LinkingRequestError';
  /** The HTTP status of the response it becomes. */
  readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415;
  /** Stable machine-readable reason, sent as `error.code` in the JSON body, e.g. `cross_origin`. */
  readonly code: string;

  constructor(status: 400 | 401 | 403 | 404 | 405 | 413 | 415, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
