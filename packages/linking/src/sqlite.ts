/**
 * @module `@cartlink/linking/sqlite`: the linking storage on an embedded SQLite database, for a shop
 * that runs as one instance. Node.js only; needs the optional peer dependency `better-sqlite3`
 * (`npm i better-sqlite3`). Nothing else in the package imports it.
 */
export { openSqliteDatabase, type SqliteOptions } from './storage/sqlite-node.js';
