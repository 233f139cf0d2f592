/**
 * @module The CPU time PostgreSQL spends, from `/proc`: every process whose `comm` is `postgres` (the
 * postmaster, its background workers and one backend per connection), user + system time. The bench
 * runs as root, so it may read them all. Backends serving another database (another suite's, on the
 * shared machine) are counted apart, by their process title (`postgres: <user> <database> <host>`),
 * so that what the bench reports is its own database's work plus the server's shared processes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readCpuMs } from '../../testing/processes';

/** PostgreSQL's CPU time so far, in ms. */
export interface PostgresCpu {
  /** The server's shared processes and the backends of the database measured. */
  ms: number;
  /** Backends of other databases: not the bench's work. */
  otherDatabasesMs: number;
  /** How many `postgres` processes were read. */
  processes: number;
}

/** `postgres: [cluster: ]user database host(port) …`: a backend, and the database it serves. */
const BACKEND_TITLE = /^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/;

/**
 * The database a `postgres` process serves, read from its title (`/proc/<pid>/cmdline`, NULs as
 * spaces); undefined for the postmaster and the server's shared processes (checkpointer, WAL
 * writer, autovacuum…), which work for every database.
 */
export function databaseOfTitle(title: string): string | undefined {
  return BACKEND_TITLE.exec(title)?.[1];
}

/** Reads the CPU time of every `postgres` process; a process that exits meanwhile is skipped. */
export function readPostgresCpu(database: string): PostgresCpu {
  const total: PostgresCpu = { ms: 0, otherDatabasesMs: 0, processes: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const cpuMs = readCpuMs(pid);
      const served = databaseOfTitle(title);
      if (served !== undefined && served !== database) total.otherDatabasesMs += cpuMs;
      else total.ms += cpuMs;
      total.processes += 1;
    } catch {
      // Gone between the listing and the read (a backend whose connection closed).
    }
  }
  return total;
}

/** `after - before`, field by field. */
export function postgresCpuSince(before: PostgresCpu, after: PostgresCpu): PostgresCpu {
  return {
    ms: after.ms - before.ms,
    otherDatabasesMs: after.otherDatabasesMs - before.otherDatabasesMs,
    processes: after.processes,
  };
}
