/**
 * @module The run's table: one row per check with what was done, what was expected and what
 * happened, and a last line `mismatches: N`; plus what a section gets from the runner.
 */

/** One row of the table. */
export interface Row {
  section: string;
  did: string;
  expected: string;
  happened: string;
  ok: boolean;
}

/** Collects rows; sections add them as they go, so a crash mid-run still prints what was found. */
export class Report {
  readonly rows: Row[] = [];

  /** Adds a row. */
  add(row: Row): Row {
    this.rows.push(row);
    const mark = row.ok ? 'ok  ' : 'MISMATCH';
    process.stderr.write(`  [${row.section}] ${mark} ${row.did.slice(0, 110)}\n`);
    return row;
  }

  get mismatches(): number {
    return this.rows.filter((row) => !row.ok).length;
  }

  /** The table as Markdown (pipes escaped), then `mismatches: N`. */
  format(): string {
    const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const lines = [
      '| # | section | what was done | expected | what happened | result |',
      '|---|---|---|---|---|---|',
      ...this.rows.map(
        (row, index) =>
          `| ${index + 1} | ${cell(row.section)} | ${cell(row.did)} | ${cell(row.expected)} | ${cell(row.happened)} | ${row.ok ? 'ok' : 'MISMATCH'} |`,
      ),
      '',
      `mismatches: ${this.mismatches}`,
    ];
    return lines.join('\n');
  }
}

/** What a section gets from the runner. */
export interface SectionContext {
  report: Report;
  quick: boolean;
  /** A directory for this run's temporary files (SQLite databases), removed at the end. */
  tmpDir: string;
  /**
   * Whether to run one of the section's named steps: all of them unless `--only` named some
   * (`--only 5:storefront`). Set-up and the section's closing checks always run.
   */
  wants(step: string): boolean;
}

/** Counts by key, as `key×n` text. */
export function histogram(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key}×${count}`)
    .join(', ');
}

/** The p-th percentile (0–100) of a list of numbers, rounded. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index] ?? 0);
}

/** One line for an error, with its cause. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`.split('\n')[0] ?? error.message;
}
