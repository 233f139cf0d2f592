/**
 * Which `postgres` processes step 8 charges to the bench's database: its backends and the server's
 * shared processes, never another database's backends (another suite's, on the shared server).
 */
import { describe, expect, it } from 'vitest';
import { databaseOfTitle } from './postgres-cpu';

describe('databaseOfTitle', () => {
  it('names the database of a backend, with or without a cluster name in the title', () => {
    expect(databaseOfTitle('postgres: 15/main: postgres cartlink_bench_1_ab 127.0.0.1(50970) idle')).toBe(
      'cartlink_bench_1_ab',
    );
    expect(databaseOfTitle('postgres: postgres cartlink_test_9 127.0.0.1(41234) SELECT')).toBe(
      'cartlink_test_9',
    );
    expect(databaseOfTitle('postgres: 15/main: app shop [local] idle in transaction')).toBe('shop');
  });

  it('names none for the postmaster and the shared processes', () => {
    for (const title of [
      '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf ',
      'postgres: 15/main: checkpointer ',
      'postgres: 15/main: background writer ',
      'postgres: 15/main: walwriter ',
      'postgres: 15/main: logical replication launcher ',
      'postgres: autovacuum worker cartlink_test_9',
    ]) {
      expect(databaseOfTitle(title), title).toBeUndefined();
    }
  });
});
