/**
 * @module A small, synchronous HTML template tag that escapes every interpolated value unless it is
 * already {@link SafeHtml}. Pages are built from these fragments, so no string from a shopper, the
 * database or Instacart reaches the markup unescaped.
 */

/** Markup that has already been escaped (or written by us), safe to interpolate as is. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What an `${...}` in {@link html} may hold. `null`, `undefined` and `false` render as nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in element content and in double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  // `true` would render as the word "true", which is never what a template means.
  if (value === true) return '';
  return escapeHtml(String(value));
}

/**
 * Builds {@link SafeHtml} from a template, escaping each value.
 * @example
 * html`<p class="greeting">Hello, ${user.firstName}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) {
    out += render(values[index]) + (strings[index + 1] ?? '');
  }
  return new SafeHtml(out);
}

/** Marks markup we wrote ourselves as safe. Never pass it anything that came from outside. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
