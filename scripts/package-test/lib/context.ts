/**
 * @module What the steps share: where things are, what earlier steps made, and the clean-up owed at
 * the end (run in reverse order, also after a failure or an interrupt).
 */

import type { ChildServer } from '../../../testing/processes.js';
import type { PackResult, WorkspacePackage } from './packages.js';

/** One package as packed. */
export interface PackedPackage {
  pkg: WorkspacePackage;
  pack: PackResult;
  /** Absolute path of the .tgz. */
  tarball: string;
}

/** The run's shared state. */
export interface RunContext {
  repoRoot: string;
  /** The run's folder under the OS temp dir; removed at the end unless `--keep`. */
  workDir: string;
  /** Prints a line under the current step. */
  log: (line: string) => void;
  packed: PackedPackage[];
  /** Package name to tarball path. */
  tarballs: Map<string, string>;
  /** Installed projects by name (`express`, `hono`, `emulator`, `consumer`, `elements-only`). */
  projects: Map<string, string>;
  /** Servers of a shop under test, by example name, until its link step is over. */
  servers: Map<string, ChildServer[]>;
  /** Registers clean-up to run at the end. */
  defer: (label: string, run: () => Promise<void>) => void;
}
