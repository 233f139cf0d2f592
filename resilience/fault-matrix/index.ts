/**
 * @module Section 1: a fault on each Connect call the storefront makes, one kind of fault at a time,
 * driven over HTTP as a shopper would. The emulator runs as a child process (a real network
 * boundary: timeouts and dropped sockets are real); the storefront runs in this process on a loopback
 * port, so that its clock can be moved (verification freshness and the checkout grace window). Every
 * fault is the emulator's, on Instacart's side of the wire: `raw_body` makes the non-JSON 200 and
 * `headers` the `Retry-After`. A fault on the token endpoint hits both grants; the cells isolate the
 * grant they test by when they fault (the fulfillment token is cached before a link cell faults the
 * exchange, and a status cell needs no exchange).
 *
 * Steps, in run order (`--only 1:<step>,…` runs some of them; the set-up and the closing comparison
 * always run): one per Connect call, its row of the matrix (`token-cc`, `token-code`, `get-link`,
 * `post-link`, `post-users`); then `refresh-after-link`, `grace`, `sign-in-outage` and
 * `default-timeout` (not under `--quick`).
 */
import { verify } from '../../testing/shop-steps';
import { compareLinks, shopLinks } from '../lib/instacart';
import { describeError, type SectionContext } from '../lib/report';
import { inScope } from '../lib/scope';
import { runCellsOf } from './cells';
import { CALLS } from './faults';
import { defaultTimeout, graceAtCheckout, refreshAfterLink, signInDuringOutage } from './rows';
import { type Matrix, SECTION, setUpMatrix, wrongLinksNow } from './set-up';

/** The steps of section 1, in run order. */
const STEPS: ReadonlyArray<{ name: string; run: (matrix: Matrix) => Promise<void>; quick?: false }> = [
  ...CALLS.map((call) => ({ name: call.id, run: (matrix: Matrix) => runCellsOf(matrix, call) })),
  { name: 'refresh-after-link', run: refreshAfterLink },
  { name: 'grace', run: graceAtCheckout },
  { name: 'sign-in-outage', run: signInDuringOutage },
  { name: 'default-timeout', run: defaultTimeout, quick: false },
];

/** The step names of section 1, for `--only 1:<step>`. */
export const FAULT_MATRIX_STEPS: readonly string[] = STEPS.map((step) => step.name);

/** Runs section 1. */
export function runFaultMatrix(ctx: SectionContext): Promise<void> {
  return inScope(ctx.report, SECTION, 'children stopped, storefront closed', async (scope) => {
    const matrix = await setUpMatrix(ctx, scope);
    for (const step of STEPS) {
      if (!ctx.wants(step.name) || (ctx.quick && step.quick === false)) continue;
      try {
        await step.run(matrix);
      } catch (error) {
        ctx.report.add({
          section: SECTION,
          did: `step ${step.name}`,
          expected: 'the step runs',
          happened: `harness error: ${describeError(error)}`,
          ok: false,
        });
        await matrix.admin.clearFaults();
      }
    }
    await compareRecords(matrix);
  });
}

/** Afterwards: every shopper of this section verified once more; records and emulator agree. */
async function compareRecords(matrix: Matrix): Promise<void> {
  const { used, errorLogs } = matrix;
  for (const { client } of used) await verify(client);
  const ids = used.map(({ shopper }) => shopper.id);
  const records = new Set(
    ids.length === 0
      ? []
      : (
          await matrix.db
            .selectFrom('cartlink_link_records')
            .select('user_id')
            .where('user_id', 'in', ids)
            .execute()
        ).map((row) => row.user_id),
  );
  const links = await shopLinks(matrix.admin);
  const emulatorLinked = new Map([...links].filter(([id]) => ids.includes(id)));
  const { onlyDb, onlyEmulator } = compareLinks(records, emulatorLinked, matrix.shoppers);
  const wrong = await wrongLinksNow(matrix);
  matrix.report.add({
    section: SECTION,
    did: `after the matrix: POST /cartlink/verify for all ${used.length} shoppers of this section; compare cartlink_link_records with the emulator's links`,
    expected:
      "the same set on both sides; every link to the shopper's own Instacart account; no storefront error logs",
    happened: `records ${records.size}, emulator links ${emulatorLinked.size}, only in DB ${onlyDb.length}, only in emulator ${onlyEmulator.length}, wrong links ${wrong.length}; storefront error logs ${errorLogs.length}${errorLogs.length ? ` (${errorLogs.slice(0, 2).join(' | ')})` : ''}`,
    ok: onlyDb.length === 0 && onlyEmulator.length === 0 && wrong.length === 0 && errorLogs.length === 0,
  });
}
