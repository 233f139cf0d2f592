/**
 * @module Helpers for the happy-dom tests of the React components: render into a fresh root, read
 * elements back, build fetch answers. Test-only; not exported by the package.
 */
import type { CartlinkResultDialog, CartlinkStatus, StatusView } from '@cartlink/elements';
import { createElement, type ReactNode, StrictMode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';

/** A status view as the server sends it. */
export function statusView(state: StatusView['state'], expiredAt: string | null = null): StatusView {
  return {
    state,
    reason: state === 'unlinked' ? 'not-linked' : null,
    expiredAt,
    manageUrl: 'https://instacart.example/manage',
    joinUrl: 'https://instacart.example/join',
    verifiedAt: '2025-06-01T12:00:00.000Z',
  };
}

/** A fetch answer with a JSON body. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const roots: Root[] = [];

/** A rendered tree: render it again with new props, or unmount it, synchronously. */
export interface Rendered {
  /** Renders `node` in place of the tree, wrapped as the first render was. */
  rerender(node: ReactNode): void;
  /** Unmounts the tree. */
  unmount(): void;
}

/**
 * Renders `node` (in `<StrictMode>` unless told otherwise) into a new container in the body,
 * synchronously: when this returns, the tree is committed and its effects have run once (twice under
 * StrictMode).
 */
export function render(node: ReactNode, options: { strict?: boolean } = {}): Rendered {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  roots.push(root);
  const wrap = (inner: ReactNode) =>
    options.strict === false ? inner : createElement(StrictMode, null, inner);
  flushSync(() => root.render(wrap(node)));
  return {
    rerender: (next) => flushSync(() => root.render(wrap(next))),
    unmount: () => flushSync(() => root.unmount()),
  };
}

/** Unmounts every root {@link render} made and empties the body. */
export function cleanUp(): void {
  for (const root of roots.splice(0)) flushSync(() => root.unmount());
  document.body.innerHTML = '';
}

/** The `<cartlink-status>` with `id`, once defined (the components register it in an effect). */
export async function definedStatus(id: string): Promise<CartlinkStatus> {
  await customElements.whenDefined('cartlink-status');
  const element = document.getElementById(id);
  if (element?.localName !== 'cartlink-status') throw new Error(`no <cartlink-status id="${id}">`);
  return element as CartlinkStatus;
}

/** The `<cartlink-result-dialog>` with `id`, once defined. */
export async function definedDialog(id: string): Promise<CartlinkResultDialog> {
  await customElements.whenDefined('cartlink-result-dialog');
  const element = document.getElementById(id);
  if (element?.localName !== 'cartlink-result-dialog')
    throw new Error(`no <cartlink-result-dialog id="${id}">`);
  return element as CartlinkResultDialog;
}
