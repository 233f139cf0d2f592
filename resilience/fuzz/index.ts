/**
 * @module Section 5: fast-check fuzzing of every storefront and emulator endpoint with malformed,
 * oversized and hostile input (bounded: a fixed number of runs per endpoint from a fixed seed, so a
 * failure replays). Each request carries a unique marker `<x-fuzz-N>` in its strings (raw and
 * percent-encoded); every answer must be below 500, hold no stack trace (`at` frames, source paths),
 * and never contain the marker raw in an HTML page. Stored input is checked too: hostile names put
 * into the storefront's users table and into the emulator (Instacart accounts, Connect users, apps)
 * must come out escaped on the pages that show them.
 *
 * Steps, one per fuzzed surface, in run order (`--only 5:<step>,…` runs some of them; the set-up and
 * the closing error-log check always run): `storefront`, `emulator-pages`, `emulator-connect`,
 * `emulator-admin`, `stored-input`, `reset` (last: it re-seeds the emulator). A target's seed is
 * fixed by its place in the whole run, so a row replays the same samples when run alone.
 */
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import type { SectionContext } from '../lib/report';
import { inScope } from '../lib/scope';
import { adminApiTargets, resetTarget } from './emulator-admin';
import { anyMethodOnEmulatorPathsTarget, connectApiTargets } from './emulator-connect';
import { consentPageTargets, instacartSitePagesTarget } from './emulator-pages';
import { type FuzzRun, setUpFuzz } from './set-up';
import { emulatorStoredInput, storefrontStoredInput } from './stored-input';
import { storefrontTargets } from './storefront';
import { reportTarget, SECTION, SEED, type Target } from './target';

/** The steps of section 5, for `--only 5:<step>`. */
export const FUZZ_STEPS = [
  'storefront',
  'emulator-pages',
  'emulator-connect',
  'emulator-admin',
  'stored-input',
  'reset',
] as const;
type Surface = (typeof FUZZ_STEPS)[number];

/**
 * Every target with its surface, in the order of the run. The i-th target's seed is SEED + i, so
 * this order is part of each row's replay: a new target goes at the end.
 */
function targetsInRunOrder(
  quick: boolean,
  admin: EmulatorAdmin,
): Array<{ surface: Surface; target: Target }> {
  const on = (surface: Surface, targets: Target[]) => targets.map((target) => ({ surface, target }));
  return [
    ...on('storefront', storefrontTargets(quick)),
    ...on('emulator-pages', consentPageTargets(quick)),
    ...on('emulator-connect', connectApiTargets()),
    ...on('emulator-pages', [instacartSitePagesTarget]),
    ...on('emulator-admin', adminApiTargets(admin)),
    ...on('emulator-connect', [anyMethodOnEmulatorPathsTarget]),
  ];
}

/** Runs section 5. */
export function runFuzz(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const runsFor = (target: Target) => (ctx.quick ? Math.min(target.runs, 50) : target.runs);
  return inScope(report, SECTION, 'children stopped', async (scope) => {
    const run = await setUpFuzz(ctx, scope);
    let totalRequests = 0;
    for (const [index, { surface, target }] of targetsInRunOrder(ctx.quick, run.admin).entries()) {
      if (!ctx.wants(surface)) continue;
      totalRequests += await reportTarget(report, target, run.env, runsFor(target), SEED + index);
    }
    if (ctx.wants('stored-input')) {
      await storefrontStoredInput(run, ctx.quick, report);
      await emulatorStoredInput(run, ctx.quick, report);
    }
    // Last, because it re-seeds the emulator.
    if (ctx.wants('reset')) {
      totalRequests += await reportTarget(report, resetTarget, run.env, runsFor(resetTarget), SEED - 3);
    }
    checkErrorLogs(ctx, run, totalRequests);
  });
}

/** The servers' own view of the run: any error-level log line is an internal error a request caused. */
function checkErrorLogs(ctx: SectionContext, run: FuzzRun, totalRequests: number): void {
  const shopErrors = run.shop.errorLines();
  const emulatorErrors = run.emulator.errorLines();
  ctx.report.add({
    section: SECTION,
    did: `after ${totalRequests} fuzz requests: the storefront's error-level logs and the emulator's "unexpected error" lines`,
    expected: 'none (every hostile input is refused as a client error, not an internal one)',
    happened: `storefront ${shopErrors.length}${shopErrors.length ? ` (${shopErrors.slice(0, 2).join(' | ')})` : ''}; emulator ${emulatorErrors.length}${emulatorErrors.length ? ` (${emulatorErrors.slice(0, 2).join(' | ')})` : ''}`,
    ok: shopErrors.length === 0 && emulatorErrors.length === 0,
  });
}
