/**
 * @module The words both elements show, in every locale Cartlink ships (en-US, en-CA, fr-CA), and the
 * locale and date helpers that pick and format them. Plain data and functions: nothing here touches
 * the DOM, so the storefront can render the same words on the server.
 */
import type { FailureOutcome, StatusState } from './status-view.js';

/** The locales the elements are translated into. */
export type Locale = 'en-US' | 'en-CA' | 'fr-CA';

/** Every locale in {@link Locale}, in the order a picker would list them. */
export const LOCALES: readonly Locale[] = ['en-US', 'en-CA', 'fr-CA'];

/** The words of one locale. Functions take the shop's name (plain text; the elements escape it). */
export interface ElementStrings {
  /** The shop's name when the page gives none (`shop-name`), as it reads inside a sentence. */
  shop: string;
  /** The words of `<cartlink-status>`. */
  status: {
    /** Small label above every title, so the card reads as Instacart's wherever the shop puts it. */
    eyebrow: string;
    /** Accessible name of the busy indicator while the status loads. */
    loading: string;
    /** The card's heading in each state but `loading`. */
    titles: Record<Exclude<StatusState, 'loading'>, string>;
    /** Body of `linked-active`. */
    linkedActive: (shop: string) => string;
    /** Contains `{date}`, where the element puts the formatted expiry date. */
    expiry: string;
    /** Body of `linked-inactive`. */
    linkedInactive: (shop: string) => string;
    /** Body of `unlinked`. */
    unlinked: (shop: string) => string;
    /** The seed's marketing line for members who have not linked yet. */
    promo: string;
    /** Body of `unavailable`. */
    unavailable: string;
    /** The seed's best practice: tell customers that unlinking goes through Instacart. */
    unlinkHint: string;
    /** The "Manage Instacart+" button. */
    manage: string;
    /** The "Join Instacart+" button. */
    join: string;
    /** The "Link Instacart account" button. */
    link: string;
    /** The "Try again" button of `unavailable`. */
    retry: string;
  };
  /** The words of `<cartlink-result-dialog>`. */
  dialog: {
    /** Heading of the success dialog. */
    successTitle: string;
    /** Message of the success dialog. */
    success: (shop: string) => string;
    /** The "Continue shopping" button. */
    continue: string;
    /** Heading of the failure dialog. */
    failureTitle: string;
    /** One message per failed outcome: what happened and what the shopper can do. */
    failures: Record<FailureOutcome, string>;
    /** The "Try again" button of the failure dialog. */
    retry: string;
    /** The "Close" button of the failure dialog. */
    close: string;
  };
}

const enUS: ElementStrings = {
  shop: 'shop',
  status: {
    eyebrow: 'Instacart+',
    loading: 'Loading your Instacart account status',
    titles: {
      'linked-active': 'Your Instacart+ membership is active',
      'linked-inactive': 'Your Instacart account is linked',
      unlinked: 'Link your Instacart account',
      unavailable: "Instacart can't be reached right now",
    },
    linkedActive: (shop) =>
      `Your ${shop} account is linked to your Instacart account, and your Instacart+ membership is active.`,
    expiry: 'Your membership expires on {date}.',
    linkedInactive: (shop) =>
      `Your ${shop} account is linked to your Instacart account, but you don't have an active Instacart+ membership. Join to get $0 delivery.`,
    unlinked: (shop) => `Your ${shop} account is not linked to an Instacart account.`,
    promo: 'Instacart+ member? Link your account to get $0 delivery',
    unavailable:
      "We couldn't check your Instacart account. The rest of this page still works, and you can try again in a moment.",
    unlinkHint: 'To unlink your accounts, contact Instacart customer service.',
    manage: 'Manage Instacart+',
    join: 'Join Instacart+',
    link: 'Link Instacart account',
    retry: 'Try again',
  },
  dialog: {
    successTitle: 'Your accounts are linked',
    success: (shop) => `Your ${shop} account is now linked to your Instacart account.`,
    continue: 'Continue shopping',
    failureTitle: "We couldn't link your accounts",
    failures: {
      cancelled: 'You canceled linking at Instacart. You can try again any time.',
      'state-invalid':
        "The link request expired or wasn't started from this page. Try again from your account page.",
      'already-linked':
        "That Instacart account is already linked to another shopper's account here. Sign in with that account, or contact Instacart customer service.",
      'user-not-active':
        'Your Instacart Connect profile is not active. Contact Instacart customer service for help.',
      unavailable: "Instacart couldn't be reached. Try again in a few minutes.",
      throttled: 'You started linking too many times. Wait a few minutes, then try again.',
      failed: 'Something went wrong. Please try again.',
    },
    retry: 'Try again',
    close: 'Close',
  },
};

// Canadian English differs from American English only in spelling here; the date format differs too,
// but that is formatExpiryDate's business, not these strings'.
const enCA: ElementStrings = {
  shop: enUS.shop,
  status: enUS.status,
  dialog: {
    ...enUS.dialog,
    failures: {
      ...enUS.dialog.failures,
      cancelled: 'You cancelled linking at Instacart. You can try again any time.',
    },
  },
};

const frCA: ElementStrings = {
  shop: 'de la boutique',
  status: {
    eyebrow: 'Instacart+',
    loading: "Chargement de l'état de votre compte Instacart",
    titles: {
      'linked-active': 'Votre abonnement Instacart+ est actif',
      'linked-inactive': 'Votre compte Instacart est associé',
      unlinked: 'Associez votre compte Instacart',
      unavailable: 'Instacart est inaccessible pour le moment',
    },
    linkedActive: (shop) =>
      `Votre compte ${shop} est associé à votre compte Instacart, et votre abonnement Instacart+ est actif.`,
    expiry: 'Votre abonnement expire le {date}.',
    linkedInactive: (shop) =>
      `Votre compte ${shop} est associé à votre compte Instacart, mais vous n'avez pas d'abonnement Instacart+ actif. Abonnez-vous pour profiter de la livraison à 0 $.`,
    unlinked: (shop) => `Votre compte ${shop} n'est associé à aucun compte Instacart.`,
    promo: 'Membre Instacart+? Associez votre compte pour profiter de la livraison à 0 $',
    unavailable:
      "Nous n'avons pas pu vérifier votre compte Instacart. Le reste de la page fonctionne toujours; vous pouvez réessayer dans un instant.",
    unlinkHint: "Pour dissocier vos comptes, communiquez avec le service à la clientèle d'Instacart.",
    manage: 'Gérer Instacart+',
    join: "S'abonner à Instacart+",
    link: 'Associer le compte Instacart',
    retry: 'Réessayer',
  },
  dialog: {
    successTitle: 'Vos comptes sont associés',
    success: (shop) => `Votre compte ${shop} est maintenant associé à votre compte Instacart.`,
    continue: 'Continuer vos achats',
    failureTitle: "L'association des comptes a échoué",
    failures: {
      cancelled: "Vous avez annulé l'association sur Instacart. Vous pouvez réessayer en tout temps.",
      'state-invalid':
        "La demande d'association a expiré ou n'a pas été lancée depuis cette page. Réessayez à partir de la page de votre compte.",
      'already-linked':
        "Ce compte Instacart est déjà associé au compte d'un autre client ici. Connectez-vous avec ce compte ou communiquez avec le service à la clientèle d'Instacart.",
      'user-not-active':
        "Votre profil Instacart Connect n'est pas actif. Communiquez avec le service à la clientèle d'Instacart.",
      unavailable: 'Impossible de joindre Instacart. Réessayez dans quelques minutes.',
      throttled: "Vous avez lancé l'association trop de fois. Attendez quelques minutes, puis réessayez.",
      failed: "Une erreur s'est produite. Veuillez réessayer.",
    },
    retry: 'Réessayer',
    close: 'Fermer',
  },
};

/**
 * The strings of every locale, keyed by locale. Exported so a server can render the same words
 * (for example a `<noscript>` fallback) and so tests can check every locale has every string.
 */
export const STRINGS: Readonly<Record<Locale, ElementStrings>> = {
  'en-US': enUS,
  'en-CA': enCA,
  'fr-CA': frCA,
};

/**
 * Picks the supported locale closest to a BCP 47 tag: any French is fr-CA (our only French), `en-CA`
 * is itself, and everything else, including an empty or malformed tag, falls back to en-US.
 *
 * @example resolveLocale(document.documentElement.lang) // 'fr-CA' for <html lang="fr">
 */
export function resolveLocale(tag: string | null | undefined): Locale {
  const lower = (tag ?? '').trim().toLowerCase();
  if (lower === 'fr' || lower.startsWith('fr-')) return 'fr-CA';
  if (lower === 'en-ca') return 'en-CA';
  return 'en-US';
}

/**
 * Formats a membership expiry as a date in the locale: MM/DD/YYYY in en-US, YYYY-MM-DD in en-CA and
 * fr-CA (what `Intl.DateTimeFormat` writes for those locales with two-digit months and days). In UTC,
 * because `expired_at` is an instant and a calendar date must not shift with the shopper's time zone.
 * Returns `undefined` for a value that is not a date, so the element can leave the line out rather
 * than print "Invalid Date".
 *
 * Written out by hand rather than with `Intl`: the server renders the date into the page and the
 * browser renders it again when the element hydrates, so the text must not depend on either side's
 * ICU data; and a formatter built per call would allocate on every server render.
 *
 * @see https://docs.instacart.com/connect (account linking how-to), "Update the status element" (convert `expired_at` to MM/DD/YYYY)
 */
export function formatExpiryDate(iso: string | null | undefined, locale: Locale): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // The UTC calendar date, from the one date format every engine writes the same way.
  const [year, month, day] = date.toISOString().split(/-|T/);
  return locale === 'en-US' ? `${month}/${day}/${year}` : `${year}-${month}-${day}`;
}
