import { describe, expect, it } from 'vitest';
import { CookieJar, readButtons, readDataAttribute, readHiddenFields, readTagAttributes } from './browser.js';

describe('CookieJar', () => {
  it('keeps cookies per host, shared across ports as browsers do', () => {
    const jar = new CookieJar();
    jar.store('http://127.0.0.1:3000/signin', ['shop=abc; Path=/; HttpOnly']);
    jar.store('http://127.0.0.1:4010/oauth/login', ['emulator=xyz; Path=/']);
    expect(jar.headerFor('http://127.0.0.1:3000/')).toBe('shop=abc; emulator=xyz');
    expect(jar.headerFor('http://localhost:3000/')).toBeNull();
  });

  it('forgets a cookie set empty or with Max-Age=0', () => {
    const jar = new CookieJar();
    jar.store('http://127.0.0.1/', ['a=1', 'b=2']);
    jar.store('http://127.0.0.1/', ['a=; Path=/; Max-Age=0', 'b=']);
    expect(jar.headerFor('http://127.0.0.1/')).toBeNull();
  });
});

describe('page readers', () => {
  const html = `<form method="post"><input type="hidden" name="csrf_token" value="a&amp;b">
<input type="hidden" name="authorization_id" value="42"><input name="email" type="email">
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny"><span>Deny</span></button></form>
<cartlink-status state="unlinked" csrf-token="t&quot;1" dialog="d"></cartlink-status>
<strong data-delivery-fee-cents="0">$0.00</strong>`;

  it('reads hidden fields, decoding entities, and skips other inputs', () => {
    expect([...readHiddenFields(html)]).toEqual([
      ['csrf_token', 'a&b'],
      ['authorization_id', '42'],
    ]);
  });

  it('reads buttons with their name, value and text', () => {
    expect(readButtons(html)).toEqual([
      { name: 'decision', value: 'allow', text: 'Allow' },
      { name: 'decision', value: 'deny', text: 'Deny' },
    ]);
  });

  it("reads an element's attributes and a data attribute", () => {
    const attributes = readTagAttributes(html, 'cartlink-status');
    expect(attributes?.get('state')).toBe('unlinked');
    expect(attributes?.get('csrf-token')).toBe('t"1');
    expect(readTagAttributes(html, 'cartlink-result-dialog')).toBeNull();
    expect(readDataAttribute(html, 'delivery-fee-cents')).toBe('0');
  });
});
