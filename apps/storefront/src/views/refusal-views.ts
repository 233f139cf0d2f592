/**
 * @module The pages of a refused sign-in, in the shopper's language (en-US, en-CA, fr-CA): too many
 * attempts (429) and too busy to check the password now (503). Both are whole documents rendered
 * without the database (no header with the cart count, no flash message): they are answered when the
 * shop is being attacked or is overloaded, and must cost next to nothing.
 */
import type { Locale } from '@cartlink/linking';
import { html } from './html.js';
import { SHOP_NAME } from './layout.js';

/** Why the sign-in was refused. */
export type RefusalKind = 'throttled' | 'overloaded';

interface RefusalText {
  title: Record<RefusalKind, string>;
  message: Record<RefusalKind, (wait: string) => string>;
  wait: (seconds: number) => string;
  back: string;
}

const ENGLISH: RefusalText = {
  title: { throttled: 'Too many sign-in attempts', overloaded: 'We are very busy right now' },
  message: {
    throttled: (wait) =>
      `For your security, signing in is paused after too many attempts. Please try again ${wait}.`,
    overloaded: (wait) =>
      `${SHOP_NAME} is handling a lot of requests at the moment and could not check your password. Please try again ${wait}.`,
  },
  wait: (seconds) => {
    if (seconds < 60) return `in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
    const minutes = Math.ceil(seconds / 60);
    return `in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  },
  back: 'Back to sign in',
};

const FRENCH: RefusalText = {
  title: {
    throttled: 'Trop de tentatives de connexion',
    overloaded: 'Nous sommes très occupés en ce moment',
  },
  message: {
    throttled: (wait) =>
      `Pour votre sécurité, la connexion est suspendue après trop de tentatives. Veuillez réessayer ${wait}.`,
    overloaded: (wait) =>
      `${SHOP_NAME} reçoit beaucoup de demandes en ce moment et n’a pas pu vérifier votre mot de passe. Veuillez réessayer ${wait}.`,
  },
  wait: (seconds) => {
    if (seconds < 60) return `dans ${seconds} ${seconds === 1 ? 'seconde' : 'secondes'}`;
    const minutes = Math.ceil(seconds / 60);
    return `dans ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  },
  back: 'Retour à la connexion',
};

/** What {@link renderRefusalPage} needs. */
export interface RefusalPage {
  kind: RefusalKind;
  locale: Locale;
  retryAfterSeconds: number;
  /** The shop's stylesheet and icon. */
  assets: { css: string; icon: string };
  /** Where "Back to sign in" goes (the sign-in page, with its `next`). */
  backHref: string;
}

/** Renders the refusal page as a whole HTML document. */
export function renderRefusalPage(page: RefusalPage): string {
  const text = page.locale === 'fr-CA' ? FRENCH : ENGLISH;
  const title = text.title[page.kind];
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · ${SHOP_NAME}</title>
  <link rel="icon" href="${page.assets.icon}" type="image/svg+xml">
  <link rel="stylesheet" href="${page.assets.css}">
</head>
<body>
  <header class="site-header">
    <div class="wrap header-row">
      <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">CM</span>${SHOP_NAME}</a>
    </div>
  </header>
  <main id="main" class="wrap">
    <div class="narrow">
      <h1>${title}</h1>
      <p role="alert">${text.message[page.kind](text.wait(page.retryAfterSeconds))}</p>
      <p><a class="button" href="${page.backHref}">${text.back}</a></p>
    </div>
  </main>
</body>
</html>
`.value;
}
