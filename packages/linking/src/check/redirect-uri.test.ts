import { describe, expect, it } from 'vitest';
import { inspectRedirectUri, isLoopbackHost } from './redirect-uri.js';

describe('inspectRedirectUri', () => {
  it.each([
    'https://shop.example/account/profile',
    'http://localhost:3000/account/profile',
    'http://127.0.0.1:3000/account/profile',
    'http://[::1]:3000/account/profile',
    'http://shop.localhost/account/profile',
    'https://shop.example/cb?from=instacart',
  ])('accepts %s', (uri) => {
    expect(inspectRedirectUri(uri)).toBeUndefined();
  });

  it.each([
    [
      'http://shop.example/account/profile',
      /uses http on shop\.example/,
      /https:\/\/shop\.example\/account\/profile/,
    ],
    ['http://192.168.1.5:3000/account/profile', /uses http on 192\.168\.1\.5/, /https:/],
    ['http://localhost.evil.example/account/profile', /uses http on localhost\.evil\.example/, /https:/],
    ['https://shop.example/account/profile#linked', /fragment/, /remove the fragment/],
    ['https://user:pw@shop.example/account/profile', /user name or password/, /remove/],
    [
      'https://Shop.Example/account/profile',
      /https:\/\/shop\.example\/account\/profile/,
      /register exactly that/,
    ],
    [
      'https://shop.example:443/account/profile',
      /not written as a URL parser/,
      /https:\/\/shop\.example\/account/,
    ],
    ['ftp://shop.example/account/profile', /ftp:/, /https/],
    ['account/profile', /not an absolute URL/, /full URL/],
  ])('refuses %s, saying why and what to do', (uri, why, what) => {
    const problem = inspectRedirectUri(uri);
    expect(problem?.summary).toMatch(why);
    expect(problem?.fix).toMatch(what);
  });

  it('never names a secret of the URI it refuses', () => {
    expect(JSON.stringify(inspectRedirectUri('https://user:hunter2@shop.example/p'))).not.toContain(
      'hunter2',
    );
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['app.localhost', true],
    ['127.0.0.1', true],
    ['127.12.0.9', true],
    ['[::1]', true],
    ['localhost.example', false],
    ['128.0.0.1', false],
    ['[::2]', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
