/**
 * @module Running a list of checks, in order, into a report: a check whose prerequisites did not
 * pass is skipped, and a check that throws is a failed line, so one broken check never hides the
 * others.
 */
import type { Check, CheckReport, CheckResult } from './types.js';

/**
 * Runs `checks` one after the other (each is quick, and sequential runs keep the report's order and
 * the load on Connect predictable) and collects their lines.
 *
 * @throws TypeError when two checks share an id, or a check needs one that does not run before it:
 *   a mistake in the list, not in the configuration.
 * @example
 * ```ts
 * const report = await runChecks([{ id: 'always', run: async () => ({ status: 'pass', summary: 'fine' }) }]);
 * report.ok; // true
 * ```
 */
export async function runChecks(checks: readonly Check[]): Promise<CheckReport> {
  const seen = new Set<string>();
  for (const check of checks) {
    if (seen.has(check.id)) throw new TypeError(`Two checks have the id "${check.id}"`);
    for (const need of check.needs ?? []) {
      if (!seen.has(need)) {
        throw new TypeError(`Check "${check.id}" needs "${need}", which does not run before it`);
      }
    }
    seen.add(check.id);
  }

  const results = new Map<string, CheckResult>();
  for (const check of checks) {
    const unmet = (check.needs ?? []).filter((need) => results.get(need)?.ok !== true);
    const result: CheckResult =
      unmet.length > 0
        ? {
            id: check.id,
            ok: false,
            summary: `not checked: needs ${unmet.join(' and ')}, which did not pass`,
            skipped: true,
          }
        : await runOne(check);
    results.set(check.id, result);
  }
  const lines = [...results.values()];
  return { ok: lines.every((line) => line.ok), checks: lines };
}

async function runOne(check: Check): Promise<CheckResult> {
  try {
    const outcome = await check.run();
    switch (outcome.status) {
      case 'pass':
        return { id: check.id, ok: true, summary: outcome.summary };
      case 'fail':
        return { id: check.id, ok: false, summary: outcome.summary, fix: outcome.fix };
      case 'skip':
        return { id: check.id, ok: false, summary: outcome.summary, skipped: true };
    }
  } catch (error) {
    // A check is written not to throw; if one does, its line still appears, and the others still run.
    return {
      id: check.id,
      ok: false,
      summary: `the check stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'this is a fault of cartlink check itself: report it with this line',
    };
  }
}
