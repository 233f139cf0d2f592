import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, escapeHtml, html, renderPage } from './html.js';

describe('html', () => {
  it('escapes interpolated values, not nested templates', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x" & \'y\''}">${inner}${['<', html`<br>`]}</p>`.value).toBe(
      '<p title="&quot;x&quot; &amp; &#39;y&#39;"><b>&lt;i&gt;</b>&lt;<br></p>',
    );
    expect(escapeHtml('<>&"\'')).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('renders nothing for null, undefined and false', () => {
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });

  it('adds form-action origins to the policy', () => {
    expect(contentSecurityPolicy(['http://localhost:3000'])).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' http://localhost:3000",
    );
  });

  it('renders a page with its status, headers and no inline script or style', async () => {
    const response = renderPage({
      title: 'T <x>',
      body: html`<p>hi</p>`,
      status: 418,
      headers: { 'set-cookie': 'a=b' },
    });
    expect(response.status).toBe(418);
    expect(response.headers.get('set-cookie')).toBe('a=b');
    const text = await response.text();
    expect(text).toContain('<title>T &lt;x&gt;</title>');
    expect(text).not.toMatch(/<script|<style|style="/);
  });
});
