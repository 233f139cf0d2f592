/**
 * @module `@cartlink/linking/postgres`: the linking storage on PostgreSQL, for a shop that runs as
 * several instances on one database. Node.js only; needs the optional peer dependency `pg`
 * (`npm i pg`). Nothing else in the package imports it.
 */
export { openPostgresDatabase, type PostgresOptions } from './storage/postgres-node.js';
