/**
 * `@cartlink/elements/ssr` in Node: the HTML of `<cartlink-status>` in every state, its shadow root
 * as declarative shadow DOM with the card's words in the shopper's locale, the Link form, the escaping
 * of every attribute, the style nonce, the refusal of a form target off the page's origin, and the
 * optional peer: without `@lit-labs/ssr` the entry fails with one clear error and the browser entry
 * does not care. (`ssr.browser.test.ts` paints and hydrates this HTML in Chromium.)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARTLINK_STATUS_STYLE_HASHES,
  type CartlinkStatusAttributes,
  renderCartlinkStatus,
  ServerRenderError,
} from './ssr.js';
import type { StatusState } from './status-view.js';
import { formatExpiryDate, type Locale, STRINGS } from './strings.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

const EXPIRED_AT = '2025-09-22T07:14:43Z';
const CSRF = 'csrf-5b1d0c7e9a8f';
const DECLARATIVE_ROOT = '<template shadowroot="open" shadowrootmode="open">';

const base: Omit<CartlinkStatusAttributes, 'state'> = {
  shopName: 'Corner Market',
  csrfToken: CSRF,
  authorizeEndpoint: '/cartlink/authorize',
  statusSrc: '/cartlink/status',
  linkEndpoint: '/cartlink/link',
  dialog: 'cartlink-dialog',
};

/** The text a shopper reads in the rendered HTML: tags and comments out, entities decoded. */
function textOf(markup: string): string {
  return (
    markup
      .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
      .replace(/<!--[\s\S]*?-->/g, '')
      // The date's <time> sits inside a sentence; every other tag ends a block or a button.
      .replace(/<\/?time[^>]*>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** The host element's opening tag. */
function hostTag(markup: string): string {
  return /^<cartlink-status\b[^>]*>/.exec(markup)?.[0] ?? '';
}

describe('renderCartlinkStatus', () => {
  const cases: Array<[StatusState, Locale, string[]]> = [
    [
      'linked-active',
      'en-US',
      [
        'Your Instacart+ membership is active',
        'Your Corner Market account is linked to your Instacart account, and your Instacart+ membership is active.',
        'Your membership expires on 09/22/2025.',
        'Manage Instacart+',
      ],
    ],
    [
      'linked-active',
      'fr-CA',
      ['Votre abonnement Instacart+ est actif', 'Votre abonnement expire le 2025-09-22.', 'Gérer Instacart+'],
    ],
    ['linked-inactive', 'en-US', ['Your Instacart account is linked', 'Join Instacart+']],
    ['linked-inactive', 'fr-CA', ['Votre compte Instacart est associé', "S'abonner à Instacart+"]],
    [
      'unlinked',
      'en-US',
      [
        'Link your Instacart account',
        'Your Corner Market account is not linked to an Instacart account.',
        'Link Instacart account',
        'Join Instacart+',
      ],
    ],
    ['unlinked', 'fr-CA', ['Associez votre compte Instacart', 'Associer le compte Instacart']],
    ['unavailable', 'en-US', ["Instacart can't be reached right now", 'Try again']],
    ['unavailable', 'fr-CA', ['Instacart est inaccessible pour le moment', 'Réessayer']],
    ['loading', 'en-US', ['Loading your Instacart account status…']],
    ['loading', 'fr-CA', ["Chargement de l'état de votre compte Instacart…"]],
  ];

  it.each(cases)(
    'paints %s in %s from the HTML: a declarative shadow root with the card',
    (state, locale, words) => {
      const html = renderCartlinkStatus({ ...base, state, locale, expiredAt: EXPIRED_AT });
      const host = hostTag(html);
      expect(host).toContain(`state="${state}"`);
      expect(host).toContain(`locale="${locale}"`);
      expect(html.startsWith(`${host}${DECLARATIVE_ROOT}<style>`)).toBe(true);
      expect(html.endsWith('</template></cartlink-status>')).toBe(true);
      const text = textOf(html);
      for (const words_ of words) expect(text).toContain(words_);
      // Every state but loading has the card's title as its heading, the element's `title` part.
      if (state !== 'loading') {
        expect(html).toContain(
          `<h2 id="title" part="title"><!--lit-part-->${STRINGS[locale].status.titles[state].replace(/'/g, '&#39;')}<!--/lit-part--></h2>`,
        );
      }
    },
  );

  it('writes the Link form for unlinked: a POST of the hidden _csrf field to the authorize endpoint', () => {
    const html = renderCartlinkStatus({ ...base, state: 'unlinked' });
    expect(html).toMatch(/<form method="post" action="\/cartlink\/authorize"\s*>/);
    expect(html).toContain(`<input type="hidden" name="_csrf" value="${CSRF}">`);
    expect(html).toMatch(
      /<button type="submit" part="button button-primary" class="primary" data-action="link"/,
    );
    // The other states have no form: nothing else posts the token.
    for (const state of ['linked-active', 'linked-inactive', 'unavailable', 'loading'] as const) {
      expect(renderCartlinkStatus({ ...base, state })).not.toContain('<form');
    }
  });

  it('writes the expiry as the element does: the same function, the UTC calendar date', () => {
    for (const locale of ['en-US', 'en-CA', 'fr-CA'] as const) {
      // Late in the UTC day: a time zone east of UTC would already be on the next date.
      const expiredAt = '2025-12-31T23:30:00Z';
      const html = renderCartlinkStatus({ state: 'linked-active', locale, expiredAt });
      const date = formatExpiryDate(expiredAt, locale);
      expect(date).toBe(locale === 'en-US' ? '12/31/2025' : '2025-12-31');
      expect(html).toContain(`<time datetime="${expiredAt}"><!--lit-part-->${date}<!--/lit-part--></time>`);
    }
    // No date, or not a date: the line is left out rather than "Invalid Date".
    for (const expiredAt of [null, 'next year']) {
      expect(renderCartlinkStatus({ state: 'linked-active', expiredAt })).not.toContain('part="expiry"');
    }
  });

  it('always writes the locale, resolved, so the browser renders the words the server did', () => {
    expect(hostTag(renderCartlinkStatus({ state: 'unlinked' }))).toContain('locale="en-US"');
    expect(hostTag(renderCartlinkStatus({ state: 'unlinked', locale: 'fr' }))).toContain('locale="fr-CA"');
    expect(hostTag(renderCartlinkStatus({ state: 'unlinked', locale: 'de-DE' }))).toContain('locale="en-US"');
  });

  it('writes every attribute given, and none that is not', () => {
    const host = hostTag(
      renderCartlinkStatus({
        ...base,
        state: 'linked-active',
        expiredAt: EXPIRED_AT,
        manageUrl: 'https://instacart.example/manage',
        joinUrl: 'https://instacart.example/join',
      }),
    );
    expect(host).toBe(
      `<cartlink-status state="linked-active" expired-at="${EXPIRED_AT}" locale="en-US" shop-name="Corner Market" csrf-token="${CSRF}" authorize-endpoint="/cartlink/authorize" manage-url="https://instacart.example/manage" join-url="https://instacart.example/join" status-src="/cartlink/status" link-endpoint="/cartlink/link" dialog="cartlink-dialog">`,
    );
    expect(hostTag(renderCartlinkStatus({ state: 'loading' }))).toBe(
      '<cartlink-status state="loading" locale="en-US">',
    );
    expect(hostTag(renderCartlinkStatus({ id: 'cartlink-status', state: 'loading' }))).toBe(
      '<cartlink-status id="cartlink-status" state="loading" locale="en-US">',
    );
  });

  it('escapes markup in every attribute and in the text', () => {
    const attack = '"><script>alert(1)</script><x y="';
    const html = renderCartlinkStatus({
      id: attack,
      state: 'unlinked',
      shopName: attack,
      csrfToken: attack,
      manageUrl: `https://instacart.example/${attack}`,
      joinUrl: attack,
      statusSrc: attack,
      linkEndpoint: attack,
      dialog: attack,
      expiredAt: attack,
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<x ');
    // The shop's name, once as an attribute and once in the sentence, reads as written.
    expect(textOf(html)).toContain(`Your ${attack} account is not linked to an Instacart account.`);
    expect(hostTag(html)).toContain(
      'shop-name="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x y=&quot;"',
    );
    expect(html).toContain('name="_csrf" value="&quot;&gt;&lt;script&gt;');
    expect(hostTag(html)).toMatch(/^<cartlink-status id="&quot;&gt;&lt;script&gt;/);
  });

  it.each([
    ['another host', 'https://evil.example/cartlink/authorize'],
    ['a scheme-relative URL', '//evil.example/cartlink/authorize'],
    ['a backslash after the slash', '/\\evil.example/cartlink/authorize'],
    ['a tab the browser drops', '/\t/evil.example/cartlink/authorize'],
    ['a relative path', 'cartlink/authorize'],
    ['a script URL', 'javascript:alert(1)'],
  ])(
    'refuses an authorize endpoint off the page’s origin (%s): the form carries the CSRF token',
    (_, endpoint) => {
      let thrown: unknown;
      try {
        renderCartlinkStatus({ state: 'unlinked', csrfToken: CSRF, authorizeEndpoint: endpoint });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ServerRenderError);
      expect((thrown as ServerRenderError).code).toBe('unsafe_authorize_endpoint');
    },
  );

  it('puts the nonce on the shadow root’s <style>, escaped, and only when given', () => {
    const nonced = renderCartlinkStatus({ state: 'unlinked' }, { styleNonce: 'n0nce+/=' });
    expect(nonced).toContain(`${DECLARATIVE_ROOT}<style nonce="n0nce+/="> :host{`);
    expect(nonced.match(/<style/g)).toHaveLength(1);
    expect(renderCartlinkStatus({ state: 'unlinked' }, { styleNonce: 'a"b' })).toContain(
      '<style nonce="a&quot;b">',
    );
    expect(renderCartlinkStatus({ state: 'unlinked' })).toContain(`${DECLARATIVE_ROOT}<style> :host{`);
  });

  it('gives the CSP hash of the <style> text, the same in every state and locale', () => {
    expect(CARTLINK_STATUS_STYLE_HASHES).toHaveLength(1);
    for (const [state, locale] of cases) {
      const html = renderCartlinkStatus({ ...base, state, locale, expiredAt: EXPIRED_AT });
      const text = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      expect(text).toContain('.eyebrow{');
      expect(CARTLINK_STATUS_STYLE_HASHES).toEqual([
        `'sha256-${createHash('sha256').update(text).digest('base64')}'`,
      ]);
    }
  });

  it('renders the templates of the browser bundle: minified, as Lit must find them to hydrate', () => {
    const html = renderCartlinkStatus({ ...base, state: 'unlinked' });
    // The sources' templates are indented over several lines; the bundle's (and so the server's) are not.
    expect(html).toContain(
      '<section part="container" class="card" aria-labelledby="title"><p class="eyebrow">',
    );
    expect(html).not.toMatch(/>\s*\n/);
  });

  it('gives the same HTML for the same input', () => {
    const attributes: CartlinkStatusAttributes = { ...base, state: 'linked-active', expiredAt: EXPIRED_AT };
    expect(renderCartlinkStatus(attributes, { styleNonce: 'n' })).toBe(
      renderCartlinkStatus(attributes, { styleNonce: 'n' }),
    );
  });
});

describe('an unbuilt checkout', () => {
  let directory: string | undefined;

  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('fails to import @cartlink/elements/ssr with one error that names the build command', async () => {
    // The entry as built, without the server render beside it; packages from the repository's tree.
    directory = await mkdtemp(join(tmpdir(), 'cartlink-ssr-unbuilt-'));
    await mkdir(join(directory, 'package', 'dist'), { recursive: true });
    for (const file of ['ssr.js', 'strings.js']) {
      await cp(join(PACKAGE_DIR, 'dist', file), join(directory, 'package', 'dist', file));
    }
    await writeFile(join(directory, 'package', 'package.json'), JSON.stringify({ type: 'module' }));
    await symlink(join(PACKAGE_DIR, '..', '..', 'node_modules'), join(directory, 'node_modules'), 'dir');
    const script = `import(${JSON.stringify(pathToFileURL(join(directory, 'package', 'dist', 'ssr.js')).href)}).then(
      () => console.log('loaded'),
      (error) => console.log(error.name + ' ' + error.code + ': ' + error.message),
    );`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: directory });
    expect(stdout.trim()).toMatch(
      /^ServerRenderError ssr_build_missing: The server render .*cartlink-elements-ssr\.js is missing\. .*`npm run build -w @cartlink\/elements`/,
    );
  });
});

describe('in a server that also imports @cartlink/elements', () => {
  it('renders the bundle’s templates, though the main entry registered its own element class first', async () => {
    // The main entry registers <cartlink-status> in Node's registry from the package's modules, whose
    // templates are not minified; a render of that class would not hydrate.
    const script = `
      const { CartlinkStatus } = await import('@cartlink/elements');
      const { renderCartlinkStatus } = await import('@cartlink/elements/ssr');
      console.log(JSON.stringify({
        registered: customElements.get('cartlink-status') === CartlinkStatus,
        html: renderCartlinkStatus({ state: 'unlinked', authorizeEndpoint: '/cartlink/authorize' }),
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PACKAGE_DIR,
    });
    const { registered, html } = JSON.parse(stdout) as { registered: boolean; html: string };
    expect(registered).toBe(true);
    expect(html).toContain(
      '<section part="container" class="card" aria-labelledby="title"><p class="eyebrow">',
    );
    expect(html).not.toMatch(/>\s*\n/);
  });
});

/**
 * Node's module hooks, registered in a child process, that make `@lit-labs/ssr` impossible to find,
 * as in a shop that did not install the optional peer; every other import resolves as usual.
 */
const HIDE_PEER_HOOKS = `
export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@lit-labs/ssr' || specifier.startsWith('@lit-labs/ssr/')) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}
`;

describe('without the optional peer @lit-labs/ssr', () => {
  let directory: string;
  let register: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cartlink-ssr-peer-'));
    const hooks = join(directory, 'hide-peer-hooks.mjs');
    await writeFile(hooks, HIDE_PEER_HOOKS);
    register = join(directory, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
  });

  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  /** Imports `specifier` (the built package) in a child Node without the peer; prints what happened. */
  async function importWithoutPeer(specifier: string): Promise<string> {
    const script = `import(${JSON.stringify(specifier)}).then(
      (module) => console.log('loaded ' + Object.keys(module).sort().join(',')),
      (error) => console.log('failed ' + error.name + ' ' + error.code + ': ' + error.message),
    );`;
    const { stdout } = await run(
      process.execPath,
      ['--import', register, '--input-type=module', '-e', script],
      {
        cwd: PACKAGE_DIR,
      },
    );
    return stdout.trim();
  }

  it('fails to import @cartlink/elements/ssr with one error that says what to install', async () => {
    expect(await importWithoutPeer('@cartlink/elements/ssr')).toBe(
      'failed ServerRenderError ssr_peer_missing: @cartlink/elements/ssr renders with Lit SSR, an optional peer dependency of @cartlink/elements that is not installed: run `npm install @lit-labs/ssr@^4.1.0`.',
    );
  });

  it('imports @cartlink/elements as before: the browser entry never loads the peer', async () => {
    expect(await importWithoutPeer('@cartlink/elements')).toMatch(
      /^loaded .*CartlinkStatus,.*defineCartlinkElements/,
    );
  });
});
