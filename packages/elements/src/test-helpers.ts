/**
 * @module Helpers for the happy-dom tests of the elements: mount markup, find buttons by their
 * accessible name, read the text a shopper sees, and build fetch answers. Test-only; not exported by
 * the package.
 */
/**
 * Appends a `tag` element with the attributes written in `attributes` (markup, as in HTML) to the
 * body, its `navigate` recording into `navigations` instead of leaving the page, and resolves once it
 * has rendered. The attributes are parsed in an inert template and copied, so that `navigate` is in
 * place before connectedCallback runs.
 */
export async function mountElement<K extends 'cartlink-status' | 'cartlink-result-dialog'>(
  tag: K,
  attributes: string,
  navigations: Array<{ url: string; action: string }>,
): Promise<HTMLElementTagNameMap[K]> {
  const template = document.createElement('template');
  template.innerHTML = `<${tag} ${attributes}></${tag}>`;
  const element = document.createElement(tag);
  for (const { name, value } of template.content.firstElementChild!.attributes) {
    element.setAttribute(name, value);
  }
  element.navigate = (url, action) => navigations.push({ url, action });
  document.body.append(element);
  await element.updateComplete;
  return element;
}

/** The whitespace-normalized text of an element's shadow root: what a shopper reads. */
export function shadowText(element: Element): string {
  return (element.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The names of the buttons in an element's shadow root, in document order. */
export function buttonNames(element: Element): string[] {
  return [...(element.shadowRoot?.querySelectorAll('button') ?? [])].map((button) =>
    (button.textContent ?? '').trim(),
  );
}

/** The one button whose accessible name (its text; none has an aria-label) is `name`. */
export function getButton(element: Element, name: string): HTMLButtonElement {
  const matches = [...(element.shadowRoot?.querySelectorAll('button') ?? [])].filter(
    (button) => (button.textContent ?? '').trim() === name,
  );
  if (matches.length !== 1) {
    throw new Error(
      `expected one button named "${name}", found ${matches.length} in ${buttonNames(element)}`,
    );
  }
  return matches[0]!;
}

/** The element in a shadow root that carries `part~=name`. */
export function getPart(element: Element, name: string): Element | null {
  return element.shadowRoot?.querySelector(`[part~="${name}"]`) ?? null;
}

/** A fetch answer with a JSON body. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A promise with its resolve function outside, for answers a test releases when it chooses. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
