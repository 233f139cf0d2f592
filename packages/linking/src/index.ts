/**
 * @module `@cartlink/linking`: the server side of Instacart account linking, framework-agnostic and
 * built on web standards only (`fetch`, `Request`, `Response`, Web Crypto): the linking core, the
 * web-standard handler, the delivery-discount policy and ledger, and the SQL storage on any Kysely
 * instance. It imports no database driver and no framework; those are behind their own entry points,
 * each with its optional peer dependency: `@cartlink/linking/sqlite` (better-sqlite3),
 * `@cartlink/linking/postgres` (pg), `@cartlink/linking/node` (opens either from a database URL),
 * `@cartlink/linking/hono` (hono) and `@cartlink/linking/express` (express). The `CONNECT_*`
 * configuration is read by `@cartlink/linking/config`.
 */
export * from './delivery-discount.js';
export * from './errors.js';
export * from './handler.js';
export * from './link-transactions.js';
export * from './linking.js';
export * from './outcomes.js';
export * from './status.js';
export * from './storage/index.js';
