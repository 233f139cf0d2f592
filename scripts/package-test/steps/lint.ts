/**
 * @module Steps `publint` and `attw`: both tools (from the workspace's node_modules) on every package
 * directory; any error fails the step, and their whole output is printed.
 */
import { relative } from 'node:path';
import { runCommand } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import { listWorkspacePackages } from '../lib/packages.js';

async function lintEach(
  context: RunContext,
  tool: string,
  argsFor: (dir: string) => string[],
): Promise<string> {
  const failed: string[] = [];
  const packages = await listWorkspacePackages(context.repoRoot);
  for (const pkg of packages) {
    const dir = relative(context.repoRoot, pkg.dir);
    const result = await runCommand('npx', ['--no', '--', tool, ...argsFor(dir)], {
      cwd: context.repoRoot,
      timeoutMs: 3 * 60_000,
      allowFailure: true,
    });
    context.log(`$ npx ${tool} ${argsFor(dir).join(' ')}  (exit ${result.code ?? result.signal})`);
    const output = `${result.stdout}${result.stderr}`.trimEnd();
    if (output !== '') context.log(output);
    if (result.code !== 0) failed.push(pkg.name);
  }
  if (failed.length > 0) throw new Error(`${tool} reports errors for ${failed.join(', ')} (output above)`);
  return `${packages.length} packages clean`;
}

/** `npx publint <pkg dir>` for every package. */
export function publint(context: RunContext): Promise<string> {
  return lintEach(context, 'publint', (dir) => [dir]);
}

/** `npx attw --pack <pkg dir> --profile esm-only` for every package. */
export function attw(context: RunContext): Promise<string> {
  return lintEach(context, 'attw', (dir) => [
    '--pack',
    dir,
    '--profile',
    'esm-only',
    '--no-color',
    '--no-emoji',
  ]);
}
