/**
 * Reading and writing the state file with `node:fs`. Writes are atomic (a temporary file in the
 * same directory, then a rename), so a crash mid-write leaves the previous state, never half of
 * the new one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type PersistedState, parseState, serializeState } from './persistence.js';

/** The state in `path`, or `undefined` when the file does not exist yet. */
export function readStateFile(path: string): PersistedState | undefined {
  if (!existsSync(path)) return undefined;
  return parseState(readFileSync(path, 'utf8'), path);
}

/**
 * Writes `persisted` to `path` atomically. The file holds client secrets and tokens, so it is
 * readable by its owner only.
 */
export function writeStateFile(path: string, persisted: PersistedState): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serializeState(persisted), { mode: 0o600 });
  renameSync(temporary, path);
}
