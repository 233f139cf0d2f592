/**
 * Test support, not exported: the static import graph of an entry point as Node.js will load it. Each
 * source file is compiled the way the build compiles it (`verbatimModuleSyntax`: `import type` is
 * erased, `import { type X } from 'y'` still loads `y`), and the static `import`/`export … from` of the
 * output are followed. Dynamic `import()` is recorded, not followed: it loads only when it runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/** What an entry point loads. */
export interface ImportGraph {
  /** The source files reached, absolute paths. */
  files: string[];
  /** The packages reached: bare names (`kysely`, `@cartlink/connect`) and built-ins (`node:fs`). */
  packages: Set<string>;
  /** Every dynamic `import()` met on the way, with the file it is in. */
  dynamicImports: { file: string; specifier: string }[];
}

/** The module specifiers of the JavaScript that `sourcePath` compiles to. */
export function emittedImports(sourcePath: string): { static: string[]; dynamic: string[] } {
  const { outputText } = ts.transpileModule(readFileSync(sourcePath, 'utf8'), {
    fileName: sourcePath,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  const output = ts.createSourceFile('output.js', outputText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const found = { static: [] as string[], dynamic: [] as string[] };
  for (const statement of output.statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      found.static.push(statement.moduleSpecifier.text);
    }
  }
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.dynamic.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(output);
  return found;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; a built-in → `node:name`. */
export function packageName(specifier: string): string {
  if (isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Where a package of this workspace keeps the source of `specifier` (`packages/<name>/src/x.ts` for an
 * export that builds to `dist/x.js`), or null for a package that is not in `packagesDirectory`.
 */
function workspaceSource(specifier: string, packagesDirectory: string): string | null {
  const name = packageName(specifier);
  if (!name.startsWith('@cartlink/')) return null;
  const directory = join(packagesDirectory, name.slice('@cartlink/'.length));
  if (!existsSync(join(directory, 'package.json'))) return null;
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
    exports: Record<string, { import: string }>;
  };
  const subpath = `.${specifier.slice(name.length)}`;
  const built = manifest.exports[subpath]?.import;
  if (built === undefined) throw new Error(`${name} does not export ${subpath}`);
  return join(directory, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

/**
 * Follows the static imports from `entry` (a `.ts` source). Relative imports are followed; so are
 * imports of the other `@cartlink/*` packages found in `packagesDirectory`, through their `exports`.
 */
export function walkImportGraph(entry: string, packagesDirectory: string): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const dynamicImports: ImportGraph['dynamicImports'] = [];
  const pending = [resolve(entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${file} does not exist`);
    files.add(file);
    const imports = emittedImports(file);
    for (const specifier of imports.dynamic) dynamicImports.push({ file, specifier });
    for (const specifier of imports.static) {
      if (specifier.startsWith('.')) {
        pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
        continue;
      }
      packages.add(packageName(specifier));
      const source = workspaceSource(specifier, packagesDirectory);
      if (source !== null) pending.push(source);
    }
  }
  return { files: [...files], packages, dynamicImports };
}
