/**
 * Server-rendered HTML for the emulator's pages: an escaping template tag and one page frame that
 * sends the same protective headers everywhere. No script runs on any page, styles come from one
 * served file, and nothing is loaded from another origin.
 */

/** HTML that is already safe to insert as is (built by {@link html}). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Template tag: every interpolated value is escaped unless it is {@link SafeHtml} (or a list of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** The Content-Security-Policy of every page; `formActionOrigins` are added to `form-action`. */
export function contentSecurityPolicy(formActionOrigins: string[] = []): string {
  const formAction = ["'self'", ...formActionOrigins].join(' ');
  return `default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action ${formAction}`;
}

/** Headers sent with every HTML page. */
export function pageHeaders(formActionOrigins: string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(formActionOrigins),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** What a page needs to be rendered. */
export interface PageOptions {
  title: string;
  body: SafeHtml;
  status?: number;
  /**
   * Origins a form on this page may end up at: Chromium applies `form-action` to the redirect that
   * follows a form post, and the consent form redirects to the retailer.
   */
  formActionOrigins?: string[];
  /** Extra headers (cookies). */
  headers?: Record<string, string>;
  /** A wider layout for tables (the admin page). */
  wide?: boolean;
}

/** Renders a complete page in the emulator's frame. */
export function renderPage(options: PageOptions): Response {
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/emulator.css">
</head>
<body>
<header class="brand"><span class="logo" aria-hidden="true">ic</span> instacart <span class="tag">emulator</span></header>
<main class="${options.wide ? 'wide' : 'card'}">
${options.body}
</main>
</body>
</html>
`;
  const headers = new Headers(pageHeaders(options.formActionOrigins));
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.append(name, value);
  return new Response(document.value, { status: options.status ?? 200, headers });
}

/** The one stylesheet, served from `/assets/emulator.css`. */
export const STYLESHEET = `
:root { color-scheme: light; --green: #0aad0a; --ink: #343538; --muted: #72767e; --line: #e8e9eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f8; }
.brand { padding: 16px 24px; font-weight: 700; font-size: 22px; color: var(--green); background: #fff; border-bottom: 1px solid var(--line); }
.brand .logo { display: inline-grid; place-items: center; width: 28px; height: 28px; margin-right: 4px; border-radius: 8px; background: var(--green); color: #fff; font-size: 14px; vertical-align: middle; }
.brand .tag { font-size: 12px; font-weight: 600; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: 2px 8px; vertical-align: middle; }
main.card { max-width: 420px; margin: 48px auto; padding: 32px; background: #fff; border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
main.wide { max-width: 1100px; margin: 32px auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 16px; }
label { display: block; font-weight: 600; margin: 16px 0 4px; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: 10px 12px; font: inherit; border: 1px solid #c7c8cd; border-radius: 8px; }
button { font: inherit; font-weight: 600; padding: 10px 20px; border-radius: 999px; border: 1px solid var(--green); cursor: pointer; }
button.primary { background: var(--green); color: #fff; }
button.secondary { background: #fff; color: var(--green); }
button.link { border: 0; background: none; color: var(--muted); text-decoration: underline; padding: 0; }
.actions { display: flex; gap: 12px; margin-top: 24px; }
.error { color: #b3261e; background: #fdecea; padding: 8px 12px; border-radius: 8px; }
.muted { color: var(--muted); font-size: 14px; }
table { width: 100%; border-collapse: collapse; background: #fff; margin-bottom: 32px; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
code { font-size: 13px; }
`;
