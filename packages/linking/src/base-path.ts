/**
 * @module The base path of the linking endpoints, read one way by the handler and by every adapter,
 * so that they all mount and match the same paths.
 */

/** Where the endpoints are mounted when the host names no base path. */
const DEFAULT_BASE_PATH = '/cartlink';

/**
 * The `basePath` option as the endpoints are matched against it: the default when unset, and without
 * trailing slashes, since the endpoints are `{basePath}/status` and so on (`/api/cartlink/` and
 * `/api/cartlink` mount the same endpoints; `/` mounts them at the root).
 */
export function resolveBasePath(basePath: string | undefined): string {
  return (basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
}
