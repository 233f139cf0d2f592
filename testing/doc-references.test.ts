/**
 * Every `@see` in the code points at something a reader can open: an https URL on one of the public
 * sites below, or a file of this repository (from the repository root or relative to the file). The
 * URLs are not fetched (the suite runs offline); a new site is added to the list on purpose. A `docs/*.md` reference that
 * names a section ("section 3b", "§2", or a quoted heading) must name one that exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = ['packages', 'apps', 'e2e', 'resilience', 'bench', 'testing', 'scripts', 'examples'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.data']);

function sourceFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory).flatMap((name) => {
    if (SKIPPED_DIRECTORIES.has(name)) return [];
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** One `@see` tag: where it is and everything up to the end of its comment line. */
interface SeeTag {
  where: string;
  text: string;
}

function seeTags(): SeeTag[] {
  return SCANNED.flatMap((folder) => sourceFiles(join(ROOT, folder))).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => {
        const match = /^\s*(?:\*|\/\/).*@see\s+(.*)$/.exec(line);
        return match?.[1] ? [{ where: `${relative(ROOT, file)}:${index + 1}`, text: match[1].trim() }] : [];
      }),
  );
}

/** Headings of a Markdown file, as text, e.g. `2b. Linking token ("generate linking token")`. */
function headings(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^#+\s*/, ''));
}

/** Section numbers (`3b`, `2`) and quoted headings a reference names after the file. */
function namedSections(rest: string): { numbers: string[]; titles: string[] } {
  const numbered = /^,?\s*(?:sections?|§)\s*([0-9][0-9a-z]*(?:\s*(?:,|and|–|-)\s*§?[0-9][0-9a-z]*)*)/.exec(
    rest,
  );
  const numbers = numbered?.[1] ? (numbered[1].match(/[0-9][0-9a-z]*/g) ?? []) : [];
  const quoted = /^,?\s*"([^"]+)"/.exec(rest);
  return { numbers, titles: quoted?.[1] ? [quoted[1]] : [] };
}

/** The public sites the code cites: Instacart's docs, the standards bodies, and two references. */
const CITED_HOSTS = new Set([
  'docs.instacart.com',
  'www.rfc-editor.org',
  'datatracker.ietf.org',
  'www.w3.org',
  'fetch.spec.whatwg.org',
  'cheatsheetseries.owasp.org',
  'aws.amazon.com',
]);

const tags = seeTags();

describe('@see references', () => {
  it('finds the references it checks', () => {
    expect(tags.length).toBeGreaterThan(50);
  });

  it.each(tags.map((tag) => [tag.where, tag.text]))('%s: %s', (where, text) => {
    const target = text.split(/[\s,]/)[0] ?? '';
    if (target.startsWith('https://')) {
      expect(CITED_HOSTS, `${target} cites a site not on the list`).toContain(new URL(target).hostname);
      return;
    }
    const file = where.slice(0, where.lastIndexOf(':'));
    const candidates = [resolve(ROOT, target), resolve(dirname(join(ROOT, file)), target)];
    const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
    expect(found, `"${target}" is neither an https URL nor a file of the repository`).toBeDefined();
    if (found === undefined || !found.endsWith('.md')) return;
    const { numbers, titles } = namedSections(text.slice(target.length));
    const known = headings(found);
    for (const number of numbers) {
      expect(
        known.some((heading) => heading.startsWith(`${number}.`)),
        `${target} has no section ${number}`,
      ).toBe(true);
    }
    for (const title of titles) {
      expect(
        known.some((heading) => heading.includes(title)),
        `${target} has no heading "${title}"`,
      ).toBe(true);
    }
  });
});
