/**
 * @module Step `test kit`: the QA test kit as a retailer gets it from npm. In the project that has
 * only `@cartlink/emulator` installed, a plain-Node script imports `@cartlink/emulator/testing`,
 * starts the packed emulator as a child process (the compiled `dist/cli.js` next to the kit, no tsx),
 * seeds a shopper expiring tomorrow, issues a code, takes Connect down for one call and stops it.
 */
import { runCommand } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import { outsideNpmEnv } from '../lib/project.js';

/** The retailer's QA script; its last line is a JSON summary. */
const QA_SCRIPT = `
import { startTestEmulator } from '@cartlink/emulator/testing';
const emulator = await startTestEmulator({ child: true });
try {
  const shopper = await emulator.admin.seedShopper({ until: '+1d' });
  const code = await emulator.admin.authorizeCode({
    instacartUserId: shopper.id,
    redirectUri: 'http://localhost:3000/account/profile',
  });
  await emulator.admin.connectDown({ calls: 1 });
  const down = await fetch(emulator.url + '/v2/fulfillment/users/anyone/link');
  const up = await fetch(emulator.url + '/v2/fulfillment/users/anyone/link');
  console.log(JSON.stringify({ child: emulator.pid !== undefined, code: code.length, down: down.status, up: up.status }));
} finally {
  await emulator.stop();
}
`;

/** Runs the QA script in the installed emulator project and checks what it printed. */
export async function testKit(context: RunContext): Promise<string> {
  const dir = context.projects.get('emulator');
  if (dir === undefined) throw new Error('the emulator project is not installed');
  const result = await runCommand(process.execPath, ['--input-type=module', '-e', QA_SCRIPT], {
    cwd: dir,
    env: outsideNpmEnv(),
    timeoutMs: 120_000,
  });
  const summary = JSON.parse(result.stdout.trimEnd().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  const expected = { child: true, down: 503, up: 401 };
  for (const [key, value] of Object.entries(expected)) {
    if (summary[key] !== value) {
      throw new Error(`@cartlink/emulator/testing: ${key} was ${String(summary[key])}, expected ${value}`);
    }
  }
  if (typeof summary.code !== 'number' || summary.code < 20) throw new Error('no authorization code issued');
  return `child emulator from the packed dist/cli.js; seeded, code issued, Connect down for 1 call (503, then 401 without a token), stopped in ${Math.round(result.ms)} ms`;
}
