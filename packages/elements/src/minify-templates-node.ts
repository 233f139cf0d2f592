/**
 * @module A Vite plugin that squeezes the whitespace out of the elements' `css` and `html` tagged
 * templates at build time. A JS minifier leaves template literal contents alone, and that indentation
 * is about a tenth of the bundle: without this the elements would not fit their 12 KB budget.
 */
import { type ESTree, type Plugin, parseSync } from 'vite';

/**
 * Minifies the text of one `css` template: comments out, whitespace collapsed, no spaces around
 * `{ } ; , >` or after `:`, no `;` before `}`, no zero before a decimal point (`0.8s` is `.8s`). Safe for the plain CSS the elements write (no strings
 * holding these characters, no `:` that follows a descendant combinator).
 */
export function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/ ?([{};,>]) ?/g, '$1')
    .replace(/: /g, ':')
    .replace(/;}/g, '}')
    .replace(/(^|[^\w.-])0\.(\d)/g, '$1.$2');
}

/**
 * Minifies the text of one `html` template: a line break with its indentation becomes one space (the
 * same thing to the HTML parser, the elements have no `<pre>`), and a space between two tags goes.
 */
export function minifyHtml(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/> </g, '><');
}

const MINIFIERS: Record<string, (text: string) => string> = { css: minifyCss, html: minifyHtml };

type Edit = { start: number; end: number; text: string };

// Every node is a plain object with a string `type`; `parent` links back up, so it is skipped.
function walk(node: unknown, visit: (node: ESTree.Node) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  if (typeof (node as { type?: unknown }).type === 'string') visit(node as ESTree.Node);
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'parent') walk(value, visit);
  }
}

/** Returns `code` with the static parts of every `css` and `html` tagged template minified. */
export function minifyTemplates(filename: string, code: string): string {
  const edits: Edit[] = [];
  walk(parseSync(filename, code).program, (node) => {
    if (node.type !== 'TaggedTemplateExpression' || node.tag.type !== 'Identifier') return;
    const minify = MINIFIERS[node.tag.name];
    if (!minify) return;
    for (const quasi of node.quasi.quasis) {
      // A quasi's span includes its delimiters: "`" or "}" before, "`" or "${" after.
      const start = quasi.start + 1;
      const end = quasi.end - (code.startsWith('${', quasi.end - 2) ? 2 : 1);
      // If the offsets ever disagree with the text, leave the template as it is rather than guess.
      if (code.slice(start, end) !== quasi.value.raw) continue;
      edits.push({ start, end, text: minify(quasi.value.raw) });
    }
  });
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/** The plugin: applies {@link minifyTemplates} to the TypeScript files under `dir`. */
export function minifyTemplatesPlugin(dir: string): Plugin {
  return {
    name: 'cartlink:minify-templates',
    transform(code, id) {
      if (!id.startsWith(dir) || !id.endsWith('.ts')) return null;
      return { code: minifyTemplates(id, code), map: null };
    },
  };
}
