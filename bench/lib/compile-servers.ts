/**
 * @module The bench's server shells compiled to plain JavaScript at the start of a run, so that every
 * server runs on `node` alone, as a retailer's production build would, and not under tsx's loader
 * (about 33 MB of RSS and a TypeScript compile on start that no shop pays in production). Each
 * shell (the storefront with its floor routes, the emulator, the peer, the memory baseline) is
 * bundled with esbuild into one `.mjs` file with its own small modules (the control channel, the
 * peer's Connect calls); every package stays an import (`packages: 'external'`), so
 * `@cartlink/storefront` and the rest resolve to their built `dist`, through `node_modules`, exactly
 * as in a retailer's deployment. Run `npm run build` after changing a package: the bench measures
 * what is built ({@link staleBuilds} says when that is older than the sources).
 */
import { mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The shells, by the name the launcher starts them under, and their sources under `bench/`. */
export const SERVER_ENTRIES = {
  storefront: 'servers/storefront-with-floor.ts',
  emulator: 'servers/emulator.ts',
  peer: 'peers/naive-server.ts',
  'empty-http': 'servers/empty-http.ts',
} as const;

/** A compiled shell's name. */
export type ServerEntry = keyof typeof SERVER_ENTRIES;

/** Where the compiled shells are: `node <path>` starts one. */
export interface CompiledServers {
  path(entry: ServerEntry): string;
}

/**
 * Bundles the shells into `<dir>/bench/servers/` (the `bench` segment keeps the CPU profiles' package
 * attribution, see `cpu-profile.ts`) and links `<dir>/node_modules` to the repository's, so that the
 * packages they import resolve from there as they would beside a retailer's build.
 */
export async function compileServers(dir: string): Promise<CompiledServers> {
  const outdir = join(dir, 'bench', 'servers');
  mkdirSync(outdir, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await build({
    entryPoints: Object.fromEntries(
      Object.entries(SERVER_ENTRIES).map(([name, source]) => [name, join(REPO_ROOT, 'bench', source)]),
    ),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // The tree's tsconfig maps @cartlink/* to their sources (for tsc, tsx and vitest); a retailer's
    // build has no such mapping, and neither does this one.
    tsconfigRaw: {},
    logLevel: 'warning',
  });
  return { path: (entry) => join(outdir, `${entry}.mjs`) };
}

/** The newest modification time of the files under `dir` whose names pass `keep`, in ms. */
function newestMtime(dir: string, keep: (name: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !keep(entry.name)) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The workspaces whose sources changed after their `dist` was last built. */
export function staleBuilds(): string[] {
  const workspaces = ['packages/wire', 'packages/connect', 'packages/linking', 'packages/elements'];
  return [...workspaces, 'packages/emulator', 'apps/storefront'].filter((workspace) => {
    const root = join(REPO_ROOT, workspace);
    try {
      const source = newestMtime(
        join(root, 'src'),
        (name) => name.endsWith('.ts') && !name.includes('.test.'),
      );
      const built = newestMtime(join(root, 'dist'), (name) => name.endsWith('.js'));
      return built < source;
    } catch {
      return true;
    }
  });
}
