/**
 * @module Steps `install <project>` and `deps <example>`: a project made from an example or a fixture
 * outside the workspace, its `@cartlink/*` dependencies on the tarballs, installed from the registry
 * and measured; then a check that the other stack's optional peers stayed out of it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../lib/context.js';
import { formatBytes } from '../lib/packages.js';
import { createProject, findInstalled, installProject } from '../lib/project.js';
import { formatDuration } from '../lib/steps.js';
import type { Example } from '../surface.js';

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
