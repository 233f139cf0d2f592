/**
 * Stand-ins for the two instacart.com pages the status element links to, so that the demo never
 * leaves the machine, and the stylesheet every page uses.
 *
 * @see docs/account-linking.md, "Status element"
 */
import type { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { html, renderPage, STYLESHEET } from '../html.js';

/** `next` is followed only when it is a path on this site (no `//host`, no scheme). */
function safeNext(next: string | undefined): string | undefined {
  // Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil` is `//evil`: refuse
  // every control character, space and backslash, then check the path stays on this origin.
  if (!next?.startsWith('/')) return undefined;
  for (const character of next) {
    const code = character.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || character === '\\') return undefined;
  }
  const base = 'http://emulator.invalid';
  return new URL(next, base).origin === base && !next.startsWith('//') ? next : undefined;
}

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#0aad0a"/></svg>';

/** Registers `/store/account/instacart-plus`, `/signup`, the stylesheet and the icon. */
export function registerPageRoutes(app: Hono<AppEnv>): void {
  // Browsers ask for an icon on every page; answering keeps their consoles (and tests) free of 404s.
  const icon = () =>
    new Response(ICON, {
      headers: {
        'content-type': 'image/svg+xml',
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      },
    });
  app.get('/favicon.ico', icon);
  app.get('/assets/favicon.svg', icon);

  app.get('/assets/emulator.css', () => {
    return new Response(STYLESHEET, {
      headers: {
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      },
    });
  });

  app.get('/store/account/instacart-plus', () =>
    renderPage({
      title: 'Manage Instacart+',
      body: html`<h1>Manage Instacart+</h1>
<p>This is where Instacart customers manage their Instacart+ membership: renewal date, payment method and cancellation.</p>
<p class="muted">Served by the Instacart Connect emulator in place of instacart.com/store/account/instacart-plus.
Change a membership with <code>PATCH /_emulator/instacart-users/{id}</code>.</p>`,
    }),
  );

  app.get('/signup', (c) => {
    const next = safeNext(c.req.query('next'));
    return renderPage({
      title: 'Join Instacart+',
      body: html`<h1>Join Instacart+</h1>
<p>Create an Instacart account and join Instacart+ for $0 delivery fees on eligible orders.</p>
<p class="muted">Served by the Instacart Connect emulator in place of instacart.com/signup.
Create accounts with <code>POST /_emulator/instacart-users</code>.</p>
${next ? html`<p>After signing up you would continue to <a href="${next}">${next}</a>.</p>` : ''}`,
    });
  });
}
