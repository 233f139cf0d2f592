/**
 * @module `npm run resilience`: the reliability half of the attack-and-fault suite. Runs six
 * sections against real child processes on loopback and prints one table (what was done, what was
 * expected, what happened) ending in `mismatches: N`; the exit code is 1 when N > 0.
 *
 * Usage: `tsx resilience/run.ts [--quick] [--only 1,3,5:storefront] [--list]`
 *   --quick   fewer shoppers, flows and fuzz runs (for CI)
 *   --only    run only the listed sections (1 faults, 2 load, 3 crash, 4 two instances, 5 fuzz,
 *             6 credential rotation), or only some steps of a section: `1:grace`, `5:emulator-admin`
 *             (a section's set-up and closing checks always run with it; section 6's steps follow
 *             one another, so `6:disable` runs the rehearsal up to the disable)
 *   --list    print the sections and their steps, and exit
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashRecovery } from './crash-recovery';
import { ROTATION_STEPS, runCredentialRotation } from './credential-rotation';
import { FAULT_MATRIX_STEPS, runFaultMatrix } from './fault-matrix/index';
import { FUZZ_STEPS, runFuzz } from './fuzz/index';
import { describeError, Report, type SectionContext } from './lib/report';
import { closeOpenScopes, withTimeout } from './lib/scope';
import { LOAD_STEPS, runLoad } from './load';
import { runTwoInstances } from './two-instances';

/** The whole run stops here whatever happens: the brief's hard limit is 15 minutes. */
const HARD_LIMIT_MS = 14 * 60_000;

interface Section {
  id: string;
  name: string;
  /** Named steps `--only <id>:<step>` can pick; none: the section runs whole. */
  steps: readonly string[];
  run: (ctx: SectionContext) => Promise<void>;
}

const SECTIONS: Section[] = [
  { id: '1', name: 'faults on each Connect call', steps: FAULT_MATRIX_STEPS, run: runFaultMatrix },
  { id: '2', name: 'shoppers linking at once under 10% faults', steps: LOAD_STEPS, run: runLoad },
  { id: '3', name: 'kill -9 of the storefront mid-flow', steps: [], run: runCrashRecovery },
  { id: '4', name: 'two storefront instances on one PostgreSQL', steps: [], run: runTwoInstances },
  { id: '5', name: 'fast-check fuzzing of every endpoint', steps: FUZZ_STEPS, run: runFuzz },
  {
    id: '6',
    name: 'credential rotation under load on two instances',
    steps: ROTATION_STEPS,
    run: runCredentialRotation,
  },
];

/** A command line the runner cannot follow: said in one line, exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

/** What `--only` picked: section id → its chosen steps, or `'all'`. Throws on a name it does not know. */
function parseOnly(only: string): Map<string, Set<string> | 'all'> {
  const picked = new Map<string, Set<string> | 'all'>();
  for (const part of only.split(',').map((text) => text.trim())) {
    const [id = '', step] = part.split(':');
    const section = SECTIONS.find((candidate) => candidate.id === id);
    if (!section) throw new UsageError(`--only: no section ${JSON.stringify(id)} (see --list)`);
    if (step === undefined) {
      picked.set(id, 'all');
      continue;
    }
    if (!section.steps.includes(step)) {
      throw new UsageError(`--only: section ${id} has no step ${JSON.stringify(step)} (see --list)`);
    }
    const steps = picked.get(id);
    if (steps === 'all') continue;
    picked.set(id, new Set([...(steps ?? []), step]));
  }
  return picked;
}

/** The sections and their steps, for `--list`. */
function listSections(): string {
  return SECTIONS.map(
    (section) =>
      `${section.id}  ${section.name}${section.steps.length ? `\n     steps: ${section.steps.join(', ')}` : ''}`,
  ).join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.list) {
    process.stdout.write(`${listSections()}\n`);
    return 0;
  }
  const quick = values.quick === true;
  const only = values.only ? parseOnly(values.only) : null;
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
      const picked = only ? only.get(section.id) : 'all';
      if (picked === undefined) continue;
      const sectionStarted = performance.now();
      const steps = picked === 'all' ? '' : ` [${[...picked].join(', ')}]`;
      process.stderr.write(`section ${section.id}: ${section.name}${steps}${quick ? ' (quick)' : ''}\n`);
      try {
        await section.run({
          report,
          quick,
          tmpDir,
          wants: (step) => picked === 'all' || picked.has(step),
        });
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
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(2);
  },
);
