/**
 * @module Named steps and the closing report. A step passes, fails (its error's message says why) or
 * is skipped (a step it needs did not pass, or {@link SkipStep} says why); the report is one table of
 * step, result and time.
 */

/** How a step ended. */
export type StepStatus = 'passed' | 'failed' | 'skipped';

/** One row of the report. */
export interface StepResult {
  name: string;
  status: StepStatus;
  /** One line: the step's summary, the first line of its failure, or why it was skipped. */
  detail: string;
  ms: number;
}

/** Thrown by a step that cannot run here and must not fail (PostgreSQL absent outside CI). */
export class SkipStep extends Error {
  override name = 'SkipStep';
}

/** Runs steps in order, keeps their results, prints as it goes. */
export class StepRunner {
  readonly results: StepResult[] = [];

  constructor(private readonly print: (text: string) => void = (text) => console.log(text)) {}

  /** Whether a step of that name ran and passed. */
  passed(name: string): boolean {
    return this.results.some((result) => result.name === name && result.status === 'passed');
  }

  /**
   * Runs `body` as step `name` unless one of `needs` did not pass. `body` returns the step's one-line
   * summary. Returns whether the step passed.
   */
  async run(name: string, needs: readonly string[], body: () => Promise<string>): Promise<boolean> {
    this.print(`\n── ${name} ${'─'.repeat(Math.max(0, 70 - name.length))}`);
    const missing = needs.filter((need) => !this.passed(need));
    if (missing.length > 0) {
      const detail = `needs ${missing.join(', ')}, which did not pass`;
      this.print(`skipped: ${detail}`);
      this.results.push({ name, status: 'skipped', detail, ms: 0 });
      return false;
    }
    const started = performance.now();
    try {
      const detail = await body();
      const ms = performance.now() - started;
      this.print(`passed in ${formatDuration(ms)}: ${detail}`);
      this.results.push({ name, status: 'passed', detail, ms });
      return true;
    } catch (error) {
      const ms = performance.now() - started;
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SkipStep) {
        this.print(`skipped: ${message}`);
        this.results.push({ name, status: 'skipped', detail: message, ms });
        return false;
      }
      this.print(`FAILED after ${formatDuration(ms)}:\n${message}`);
      this.results.push({ name, status: 'failed', detail: firstLine(message), ms });
      return false;
    }
  }

  /** The names of the steps that failed. */
  failures(): string[] {
    return this.results.filter((result) => result.status === 'failed').map((result) => result.name);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** `850 ms`, `12.3 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** The closing table: step, result, time, detail (cut to `width` characters). */
export function formatReport(results: readonly StepResult[], width = 100): string {
  const rows = results.map((result) => [
    result.name,
    result.status === 'passed' ? 'pass' : result.status === 'failed' ? 'FAIL' : 'skip',
    result.status === 'skipped' && result.ms === 0 ? '' : formatDuration(result.ms),
    result.detail.length > width ? `${result.detail.slice(0, width - 1)}…` : result.detail,
  ]);
  const header = ['step', 'result', 'time', 'detail'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((size) => '-'.repeat(size))), ...rows.map(line)].join('\n');
}
