/**
 * @module `npm run resilience`: the reliability half of the attack-and-fault suite. Runs five
 * sections against real child processes on loopback and prints one table (what was done, what was
 * expected, what happened) ending in `mismatches: N`; the exit code is 1 when N > 0.
 *
 * Usage: `tsx resilience/run.ts [--quick] [--only 1,3]`
 *   --quick   fewer shoppers, flows and fuzz runs (for CI)
 *   --only    run only the listed sections (1 faults, 2 load, 3 crash, 4 two instances, 5 fuzz)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashRecovery } from './crash-recovery';
import { runFaultMatrix } from './fault-matrix';
import { runFuzz } from './fuzz';
import { closeOpenScopes, describeError, withTimeout } from './lib/processes';
import { Report, type SectionContext } from './lib/report';
import { runLoad } from './load';
import { runTwoInstances } from './two-instances';

/** The whole run stops here whatever happens: the brief's hard limit is 15 minutes. */
const HARD_LIMIT_MS = 14 * 60_000;

const SECTIONS: Array<{ id: string; name: string; run: (ctx: SectionContext) => Promise<void> }> = [
  { id: '1', name: 'faults on each Connect call', run: runFaultMatrix },
  { id: '2', name: 'shoppers linking at once under 10% faults', run: runLoad },
  { id: '3', name: 'kill -9 of the storefront mid-flow', run: runCrashRecovery },
  { id: '4', name: 'two storefront instances on one PostgreSQL', run: runTwoInstances },
  { id: '5', name: 'fast-check fuzzing of every endpoint', run: runFuzz },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
    strict: true,
  });
  const quick = values.quick === true;
  const only = values.only ? new Set(values.only.split(',').map((part) => part.trim())) : null;
  const report = new Report();
  const tmpDir = mkdtempSync(join(tmpdir(), 'cartlink-resilience-'));
  const started = performance.now();
  const durations: string[] = [];

  let exiting = false;
  const printAndExit = async (reason: string) => {
    if (exiting) return;
    exiting = true;
    // Children, the in-process storefront and the PostgreSQL database go first, bounded in time.
    const failures = await withTimeout(closeOpenScopes(), 30_000, 'cleanup').catch((error: unknown) => [
      describeError(error),
    ]);
    report.add({
      section: 'run',
      did: 'whole run',
      expected: 'runs to the end',
      happened: `${reason}${failures.length ? `; cleanup: ${failures.join('; ')}` : '; cleaned up'}`,
      ok: false,
    });
    process.stdout.write(`${report.format()}\n`);
    rmSync(tmpDir, { recursive: true, force: true });
    process.exit(2);
  };
  const hardLimit = setTimeout(
    () => void printAndExit(`hard time limit of ${HARD_LIMIT_MS / 60_000} min reached`),
    HARD_LIMIT_MS,
  );
  hardLimit.unref();
  process.once('SIGINT', () => void printAndExit('interrupted (SIGINT)'));
  process.once('SIGTERM', () => void printAndExit('terminated (SIGTERM)'));

  try {
    for (const section of SECTIONS) {
      if (exiting) break;
      if (only && !only.has(section.id)) continue;
      const sectionStarted = performance.now();
      process.stderr.write(`section ${section.id}: ${section.name}${quick ? ' (quick)' : ''}\n`);
      try {
        await section.run({ report, quick, tmpDir });
      } catch (error) {
        report.add({
          section: section.id,
          did: `section ${section.id} (${section.name})`,
          expected: 'runs to the end',
          happened: `aborted: ${describeError(error)}`,
          ok: false,
        });
      }
      durations.push(`${section.id}: ${((performance.now() - sectionStarted) / 1000).toFixed(0)} s`);
    }
  } finally {
    clearTimeout(hardLimit);
    if (!exiting) rmSync(tmpDir, { recursive: true, force: true });
  }
  // An interrupt is being handled: its handler prints the table and exits.
  if (exiting) return new Promise<number>(() => {});
  const total = ((performance.now() - started) / 1000).toFixed(0);
  process.stdout.write(`${report.format()}\n`);
  process.stdout.write(`duration: ${total} s (${durations.join(', ')})${quick ? ' [--quick]' : ''}\n`);
  return report.mismatches > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
