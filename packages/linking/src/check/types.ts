/**
 * @module The shapes of `cartlink check`: a check is a named function; its result is one line of
 * the report, `{ id, ok, summary, fix? }`. A new prerequisite (a second credential set during a
 * rotation, say) is one more {@link Check} in the list, with an id of its own.
 */

/**
 * What one check found: the prerequisite holds (`pass`), does not (`fail`, with what to do), or
 * could not be looked at because something it builds on failed first (`skip`, saying which).
 */
export type CheckOutcome =
  | { status: 'pass'; summary: string }
  | { status: 'fail'; summary: string; fix: string }
  | { status: 'skip'; summary: string };

/** One prerequisite, looked at by `run`. */
export interface Check {
  /** Stable id, kebab-case: the line's name in the text report and `id` in the JSON one. */
  readonly id: string;
  /**
   * Ids of earlier checks whose success this one builds on (the authorization URL must answer before
   * the redirect URI can be tried on it). When one of them did not pass, this check is not run and
   * its line says so.
   */
  readonly needs?: readonly string[];
  /** Looks at the prerequisite. A rejection is reported as a failed line, never a crash. */
  run(): Promise<CheckOutcome>;
}

/** One line of the report, as `--json` prints it. */
export interface CheckResult {
  /** The check's id. */
  id: string;
  /** Whether the prerequisite was seen to hold; false for a failed and for a skipped check. */
  ok: boolean;
  /** One line: what was found. Never a secret. */
  summary: string;
  /** One line: what to do. Present on a failed check only. */
  fix?: string;
  /** True when the check was not run because a check it builds on did not pass; absent otherwise. */
  skipped?: true;
}

/** What `cartlink check` reports: every line, and whether all of them passed. */
export interface CheckReport {
  /** True when every check passed; the command's exit status is 0 exactly then. */
  ok: boolean;
  /** The lines, in the order the checks ran. */
  checks: CheckResult[];
}
