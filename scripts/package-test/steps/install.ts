/**
 * @module Steps `install <project>`, `deps <example>` and `missing driver <example>`: a project made
 * from an example or a fixture outside the workspace, its `@cartlink/*` dependencies on the tarballs,
 * installed from the registry and measured; then a check that the other stack's optional peers stayed
 * out of it, and that `openDatabase` given the other engine's URL says which driver to install.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, tail } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import { formatBytes } from '../lib/packages.js';
import { createProject, findInstalled, installProject, outsideNpmEnv } from '../lib/project.js';
import { formatDuration } from '../lib/steps.js';
import { type Example, MISSING_DRIVER_ERROR } from '../surface.js';

/** Ten minutes: the Hono shop's install may compile better-sqlite3 on a two-core machine. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * Creates and installs project `name` from `template` (a folder with a package.json).
 * `ignoreScripts` for type-check fixtures, which never run their native dependencies.
 */
export async function installFromTemplate(
  context: RunContext,
  name: string,
  template: string,
  options: { ignoreScripts?: boolean } = {},
): Promise<string> {
  const dir = join(context.workDir, name);
  await createProject(template, dir, context.tarballs);
  context.log(`${dir}: npm install (dependencies on the tarballs, the rest from the registry)`);
  const measure = await installProject(dir, { timeoutMs: INSTALL_TIMEOUT_MS, ...options });
  context.projects.set(name, dir);
  const summary =
    `installed in ${formatDuration(measure.ms)}, ${measure.packages} packages, ` +
    `node_modules ${formatBytes(measure.nodeModulesBytes)}`;
  context.log(summary);
  return summary;
}

/** Installs an example shop. */
export function installExample(context: RunContext, example: Example): Promise<string> {
  return installFromTemplate(context, example.name, join(context.repoRoot, 'examples', example.name));
}

/** A project holding only the emulator, whose bin the shop steps run (kept out of the shops' trees). */
export async function installEmulator(context: RunContext): Promise<string> {
  const template = join(context.workDir, 'templates', 'emulator');
  await mkdir(template, { recursive: true });
  await writeFile(
    join(template, 'package.json'),
    `${JSON.stringify(
      {
        name: 'cartlink-package-test-emulator',
        version: '0.0.0',
        private: true,
        type: 'module',
        dependencies: { '@cartlink/emulator': '^0.1.0' },
      },
      null,
      2,
    )}\n`,
  );
  return installFromTemplate(context, 'emulator', template);
}

/** Asserts that the example's tree holds none of its `mustNotInstall` packages. */
export async function checkDependencies(context: RunContext, example: Example): Promise<string> {
  const dir = context.projects.get(example.name);
  if (dir === undefined) throw new Error(`${example.name} is not installed`);
  const present = await findInstalled(dir, example.mustNotInstall);
  if (present.length > 0) {
    throw new Error(
      `the ${example.title} project has ${present.join(' and ')} installed (npm ls ${example.mustNotInstall.join(' ')}); ` +
        'they should be optional peer dependencies that only the other stack installs',
    );
  }
  return `npm ls ${example.mustNotInstall.join(' ')}: none installed`;
}

/** What `openDatabase(url)` of the installed `@cartlink/linking/node` did: opened a database, or rejected. */
export type OpenOutcome =
  | { resolved: string }
  | { rejected: { name: string; code: string | undefined; message: string } };

/**
 * The retailer's own start-up, in the project: `openDatabase` on the URL given as the first argument,
 * reported as one line of JSON. A rejection is the outcome, not a failure; an import that fails is.
 */
const OPEN_DATABASE_SCRIPT = `import { openDatabase } from '@cartlink/linking/node';
let outcome;
try {
  const opened = await openDatabase(process.argv[1]);
  await opened.db.destroy();
  outcome = { resolved: opened.dialect };
} catch (error) {
  const code = typeof error?.code === 'string' ? error.code : undefined;
  outcome = { rejected: { name: String(error?.name), code, message: String(error?.message) } };
}
console.log(JSON.stringify(outcome));`;

/** Runs `node --input-type=module -e` with {@link OPEN_DATABASE_SCRIPT} in `dir` on `databaseUrl`. */
export async function openDatabaseIn(dir: string, databaseUrl: string): Promise<OpenOutcome> {
  const result = await runCommand(
    process.execPath,
    ['--input-type=module', '-e', OPEN_DATABASE_SCRIPT, databaseUrl],
    { cwd: dir, env: outsideNpmEnv(), timeoutMs: 120_000, allowFailure: true },
  );
  const last = result.stdout.trimEnd().split('\n').at(-1) ?? '';
  let outcome: unknown;
  try {
    outcome = JSON.parse(last);
  } catch {
    outcome = undefined;
  }
  if (result.code !== 0 || typeof outcome !== 'object' || outcome === null) {
    throw new Error(
      `node -e "import { openDatabase } from '@cartlink/linking/node' …" exited with ${result.code ?? result.signal}:\n${tail(`${result.stdout}\n${result.stderr}`)}`,
    );
  }
  return outcome as OpenOutcome;
}

/** Asserts that `openDatabase(databaseUrl)` rejected with `message`, the one line naming the driver. */
export function expectMissingDriver(outcome: OpenOutcome, databaseUrl: string, message: string): string {
  const call = `openDatabase('${databaseUrl}')`;
  if ('resolved' in outcome) {
    throw new Error(`${call} opened a ${outcome.resolved} database: the project should lack its driver`);
  }
  const { name, code, message: actual } = outcome.rejected;
  if (name !== MISSING_DRIVER_ERROR.name || code !== MISSING_DRIVER_ERROR.code || actual !== message) {
    throw new Error(
      `${call} rejected with ${name} (code ${code ?? 'none'}): ${actual}\n` +
        `expected ${MISSING_DRIVER_ERROR.name} (code ${MISSING_DRIVER_ERROR.code}): ${message}`,
    );
  }
  return `${call} rejects: ${actual}`;
}

/**
 * Opens a database of the engine the example does not use, in its installed project, whose driver the
 * `deps` step found absent: `openDatabase` must reject with the line that says what to install.
 */
export async function checkMissingDriver(context: RunContext, example: Example): Promise<string> {
  const dir = context.projects.get(example.name);
  if (dir === undefined) throw new Error(`${example.name} is not installed`);
  const { databaseUrl, message } = example.otherEngine;
  context.log(`${dir}: node --input-type=module -e "… await openDatabase('${databaseUrl}') …"`);
  return expectMissingDriver(await openDatabaseIn(dir, databaseUrl), databaseUrl, message);
}
