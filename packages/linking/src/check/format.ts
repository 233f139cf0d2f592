/**
 * @module The two renderings of a report: lines for a person (`PASS`, `FAIL` with its fix beneath,
 * `SKIP`) and JSON for CI (`--json`).
 */
import type { CheckReport, CheckResult } from './types.js';

function toLabel(result: CheckResult): 'PASS' | 'FAIL' | 'SKIP' {
  if (result.ok) return 'PASS';
  return result.skipped ? 'SKIP' : 'FAIL';
}

/**
 * The report as text: one line per check (`PASS  id  summary`), a failed check's fix on the line
 * beneath it, and a closing count. Ends with a newline.
 * @example
 * ```
 * PASS  client-credentials       a client_credentials grant for cartlink-demo succeeded at http://localhost:4010
 * FAIL  redirect-uri             CONNECT_REDIRECT_URI: uses http on shop.example, which is not localhost
 *                                fix: serve the profile page over https and register https://shop.example/account/profile
 *
 * 1 failed, 1 passed
 * ```
 */
export function formatCheckReport(report: CheckReport): string {
  const width = Math.max(0, ...report.checks.map((result) => result.id.length)) + 2;
  const indent = ' '.repeat(6 + width);
  const lines: string[] = [];
  for (const result of report.checks) {
    lines.push(`${toLabel(result)}  ${result.id.padEnd(width)}${result.summary}`);
    if (result.fix !== undefined) lines.push(`${indent}fix: ${result.fix}`);
  }
  const count = (label: ReturnType<typeof toLabel>) =>
    report.checks.filter((result) => toLabel(result) === label).length;
  const tally = [
    [count('FAIL'), 'failed'],
    [count('SKIP'), 'not checked'],
    [count('PASS'), 'passed'],
  ] as const;
  lines.push(
    '',
    tally
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`)
      .join(', '),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The report as `--json` prints it: `{ "ok": boolean, "checks": [{ "id", "ok", "summary", "fix"?,
 * "skipped"? }] }`, indented, with a closing newline.
 */
export function formatCheckReportJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
