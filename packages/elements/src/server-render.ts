/**
 * @module The server render of `<cartlink-status>` with Lit's SSR, behind `@cartlink/elements/ssr`.
 * Not imported from the sources at run time: `scripts/build.ts` builds this module into
 * `dist/cartlink-elements-ssr.js` through the same template minification as the browser bundle, and
 * `ssr.ts` loads that file. Lit hydrates a server-rendered shadow root only when the server rendered
 * exactly the template strings the browser renders (it compares digests of them), and the browser
 * bundle's templates are minified: rendered from these sources as they stand, every element would
 * fail to hydrate with "Hydration value mismatch".
 */
import { html, LitElementRenderer, type RenderInfo, render } from '@lit-labs/ssr';
import { collectResultSync, type ThunkedRenderResult } from '@lit-labs/ssr/lib/render-result.js';
import { type CSSResult, nothing } from 'lit';
import { CartlinkStatus } from './cartlink-status.js';
import type { ServerRenderImplementation } from './ssr.js';

// Lit's renderer finds elements by tag in the registry, Lit's server shim (one per process), so the
// tag must be defined there; which class defines it does not matter, see CartlinkStatusRenderer.
if (!customElements.get('cartlink-status')) customElements.define('cartlink-status', CartlinkStatus);
// Defining a class finalizes it (reads its properties and attributes); when another class got the tag,
// reading `observedAttributes` does the same for this one, which the renderer instantiates anyway.
void CartlinkStatus.observedAttributes;

/** The render's context, which Lit hands to every element renderer, with the response's nonce. */
interface NoncedRenderInfo extends RenderInfo {
  styleNonce: string | undefined;
}

/** Escapes a value for a double-quoted attribute. */
function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * Lit's renderer for Lit elements, with two changes. It renders this module's class, never the one
 * the registry holds: a server that also imports `@cartlink/elements` (for its strings, say) has the
 * registry hold the class of the package's modules, whose templates are not minified, and the browser
 * would fail to hydrate what it rendered. And it puts the nonce on the `<style>` that carries the
 * shadow root's styles: a page whose CSP has no `'unsafe-inline'` in `style-src` applies it only with
 * the nonce.
 */
class CartlinkStatusRenderer extends LitElementRenderer {
  // Lit asks the renderer whether it handles the registry's class for the tag: it does for any Lit
  // element's, and the one template rendered here holds `<cartlink-status>` only.
  constructor(tagName: string) {
    super(tagName);
    this.element = new CartlinkStatus();
  }

  override renderShadow(renderInfo: RenderInfo): ThunkedRenderResult | undefined {
    const result = super.renderShadow(renderInfo);
    const nonce = (renderInfo as NoncedRenderInfo).styleNonce;
    if (nonce === undefined || result === undefined) return result;
    // Lit writes the styles first, as one `<style>` element. Should a later Lit write them otherwise,
    // fail here rather than send a card that the page's CSP leaves unstyled.
    if (result[0] !== '<style>') {
      throw new Error('@cartlink/elements/ssr: Lit no longer renders the styles as one <style> first');
    }
    result[0] = `<style nonce="${escapeAttribute(nonce)}">`;
    return result;
  }
}

/** See {@link ServerRenderImplementation}. */
export const statusStyleText: string = CartlinkStatus.elementStyles
  // All `css` results (no constructed sheets on a server): Lit writes their text back to back.
  .map((style) => (style as CSSResult).cssText)
  .join('');

/** See {@link ServerRenderImplementation}. */
export const renderCartlinkStatus: ServerRenderImplementation['renderCartlinkStatus'] = (
  attributes,
  styleNonce,
) => {
  const a = attributes;
  // A server-only template: the host element needs no hydration markers, only its shadow root does.
  // Attribute values are escaped by Lit.
  const template = html`<cartlink-status
    id=${a.id ?? nothing}
    state=${a.state}
    expired-at=${a.expiredAt ?? nothing}
    locale=${a.locale}
    shop-name=${a.shopName ?? nothing}
    csrf-token=${a.csrfToken ?? nothing}
    authorize-endpoint=${a.authorizeEndpoint ?? nothing}
    manage-url=${a.manageUrl ?? nothing}
    join-url=${a.joinUrl ?? nothing}
    status-src=${a.statusSrc ?? nothing}
    link-endpoint=${a.linkEndpoint ?? nothing}
    dialog=${a.dialog ?? nothing}
  ></cartlink-status>`;
  const renderInfo: Partial<NoncedRenderInfo> = { elementRenderers: [CartlinkStatusRenderer], styleNonce };
  // Each binding leaves the space before it in the tag (Lit writes the attributes in one go): tidy up.
  return collectResultSync(render(template, renderInfo)).replace(/^<cartlink-status\s+/, '<cartlink-status ');
};
