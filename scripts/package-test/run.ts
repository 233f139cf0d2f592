/**
 * @module `tsx scripts/package-test/run.ts [--keep]`: proof from the outside that the packages work
 * once published. It builds and packs every package, installs the tarballs into new projects outside
 * the workspace (the two example shops, the emulator, two TypeScript consumers), runs each shop with
 * plain `node` against the installed emulator and links an account over HTTP, type-checks the
 * consumers, runs publint and attw, and ends with one table. Exits non-zero when a step failed,
 * naming it. `--keep` keeps the temporary folder for debugging.
 *
 * Steps, in order (a step whose prerequisites did not pass is skipped):
 *   build · pack · install emulator · test kit · install <example> · deps <example> ·
 *   missing driver <example> · run-shop <example> · link <example> · install consumer ·
 *   type-check node16 · type-check bundler · install elements-only · type-check elements-only ·
 *   publint · attw
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killLiveChildren } from '../../testing/processes.js';
import type { RunContext } from './lib/context.js';
import { formatReport, StepRunner } from './lib/steps.js';
import { checkDependencies, checkMissingDriver, installEmulator, installExample } from './steps/install.js';
import { attw, publint } from './steps/lint.js';
import { build, pack } from './steps/pack.js';
import { link, runShop } from './steps/run-shop.js';
import { testKit } from './steps/test-kit.js';
import { installConsumer, typeCheck } from './steps/type-check.js';
import { EXAMPLES } from './surface.js';

const { values } = parseArgs({
  options: { keep: { type: 'boolean' }, help: { type: 'boolean' } },
  strict: true,
});
if (values.help) {
  console.log(
    'Usage: tsx scripts/package-test/run.ts [--keep]\n  --keep  keep the temporary folder (its path is printed)',
  );
  process.exit(0);
}

const cleanups: Array<{ label: string; run: () => Promise<void> }> = [];
const context: RunContext = {
  repoRoot: fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, ''),
  workDir: await mkdtemp(join(tmpdir(), 'cartlink-package-test-')),
  log: (line) => console.log(line.replace(/^/gm, '  ')),
  packed: [],
  tarballs: new Map(),
  projects: new Map(),
  servers: new Map(),
  defer: (label, run) => {
    cleanups.push({ label, run });
  },
};

/** Runs the deferred clean-up (last first), each bounded in time; removes the work folder unless kept. */
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await Promise.race([
        cleanup.run(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timed out after 30 s')), 30_000).unref(),
        ),
      ]);
    } catch (error) {
      console.error(`clean-up "${cleanup.label}" failed: ${(error as Error).message}`);
    }
  }
  for (const name of killLiveChildren()) console.error(`killed ${name}, still running at the end`);
  if (values.keep) console.log(`\nkept ${context.workDir}`);
  else await rm(context.workDir, { recursive: true, force: true });
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.error('\ninterrupted: stopping children and cleaning up');
  killLiveChildren();
  void cleanUp().finally(() => process.exit(130));
});

console.log(`package test in ${context.workDir}`);
const steps = new StepRunner();
try {
  await steps.run('build', [], () => build(context));
  await steps.run('pack', ['build'], () => pack(context));
  await steps.run('install emulator', ['pack'], () => installEmulator(context));
  await steps.run('test kit', ['install emulator'], () => testKit(context));
  // One at a time: installs are the heaviest part of the run, and the machine has two cores.
  for (const example of EXAMPLES) {
    await steps.run(`install ${example.name}`, ['pack'], () => installExample(context, example));
    await steps.run(`deps ${example.name}`, [`install ${example.name}`], () =>
      checkDependencies(context, example),
    );
    // After deps: the other engine's driver is known to be absent from the project.
    await steps.run(`missing driver ${example.name}`, [`deps ${example.name}`], () =>
      checkMissingDriver(context, example),
    );
  }
  for (const example of EXAMPLES) {
    await steps.run(`run-shop ${example.name}`, [`install ${example.name}`, 'install emulator'], () =>
      runShop(context, example),
    );
    await steps.run(`link ${example.name}`, [`run-shop ${example.name}`], () => link(context, example));
  }
  await steps.run('install consumer', ['pack'], () => installConsumer(context, 'consumer'));
  await steps.run('type-check node16', ['install consumer'], () =>
    typeCheck(context, 'consumer', 'tsconfig.node16.json'),
  );
  await steps.run('type-check bundler', ['install consumer'], () =>
    typeCheck(context, 'consumer', 'tsconfig.bundler.json'),
  );
  await steps.run('install elements-only', ['pack'], () => installConsumer(context, 'elements-only'));
  await steps.run('type-check elements-only', ['install elements-only'], () =>
    typeCheck(context, 'elements-only', 'tsconfig.json'),
  );
  await steps.run('publint', ['build'], () => publint(context));
  await steps.run('attw', ['build'], () => attw(context));
} finally {
  if (!interrupted) await cleanUp();
}

console.log(`\n${formatReport(steps.results)}`);
const failures = steps.failures();
if (failures.length > 0) {
  console.log(`\npackage test FAILED: ${failures.join(', ')}`);
  process.exit(1);
}
console.log('\npackage test passed');
