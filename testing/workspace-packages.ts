/**
 * @module How the workspace runs the packages from their sources. A published package resolves
 * `@cartlink/linking/hono` through its `exports` to `dist/hono.js`; inside this repository the
 * type check, Vitest and `tsx` map the same name to `src/hono.ts` instead, so that a change in one
 * package is seen by the others without a build. The mapping is the `paths` of the root
 * `tsconfig.json` (read by `tsc` and `tsx`); Vitest gets it from {@link workspaceSourceAliases}, and
 * `workspace-packages.test.ts` checks that it matches every package's `exports`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The root tsconfig's `paths`: package entry name to its source file, relative to the root. */
export function readSourcePaths(): Record<string, string> {
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, [string]> };
  };
  return Object.fromEntries(
    Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, target]),
  );
}

/** What the `paths` should be, derived from the `exports` of each package and app (`dist/x.js` is built from `src/x.ts`). */
export function expectedSourcePaths(): Record<string, string> {
  const expected: Record<string, string> = {};
  const directories = ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(ROOT, parent))
      .sort()
      .map((name) => `${parent}/${name}`),
  );
  for (const directory of directories) {
    const manifest = JSON.parse(readFileSync(join(ROOT, directory, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string | { types?: string; import?: string; default?: string }>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const name = subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`;
      // A prebuilt bundle (`./dist/x.min.js`, behind `default`) is the package's main entry bundled:
      // its declarations re-export the main entry's, so its sources are the main entry's too.
      const bundle = typeof target === 'string' ? undefined : target.default;
      if (bundle?.startsWith('./dist/') && bundle.endsWith('.min.js')) {
        expected[name] = `./${directory}/src/index.ts`;
        continue;
      }
      const built = typeof target === 'string' ? target : target.import;
      if (built === undefined || !built.startsWith('./dist/') || !built.endsWith('.js')) continue;
      expected[name] = `./${directory}/src/${built.slice('./dist/'.length, -'.js'.length)}.ts`;
    }
  }
  return expected;
}

/** Vitest aliases for the same mapping; exact names, so `@cartlink/linking` does not catch `/hono`. */
export function workspaceSourceAliases(): { find: RegExp; replacement: string }[] {
  return Object.entries(readSourcePaths()).map(([name, target]) => ({
    find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
    replacement: join(ROOT, target),
  }));
}
