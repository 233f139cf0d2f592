/**
 * @module Section 5's stored input: hostile text that is saved and shown later must come out escaped.
 * Shop users with hostile names (inserted into `shop_users`) sign in and open the pages that greet
 * them; emulator applications with hostile names are opened on the consent page, and the emulator's
 * overview lists everything the fuzzing stored.
 */
import { EmulatorAdminError } from '@cartlink/emulator/testing';
import { hashPassword } from '@cartlink/storefront';
import fc from 'fast-check';
import { ShopClient } from '../../testing/shop-client';
import { signIn } from '../lib/flows';
import type { Report } from '../lib/report';
import { SHOPPER_PASSWORD } from '../lib/shoppers';
import { hostile, materialize } from './hostile';
import type { FuzzRun } from './set-up';
import { execute, MARKER, nextMarker, SECTION, SEED } from './target';

/** Hostile shop-user names and emails on the storefront's own pages. */
export async function storefrontStoredInput(run: FuzzRun, quick: boolean, report: Report): Promise<void> {
  const runs = quick ? 5 : 20;
  const names = fc.sample(fc.tuple(hostile, hostile), { numRuns: runs, seed: SEED - 1 });
  const failures: string[] = [];
  const passwordHash = await hashPassword(SHOPPER_PASSWORD);
  for (const [index, [first, last]] of names.entries()) {
    const marker = nextMarker();
    const email = `fz-${index}-${marker}@x.test`;
    await run.db
      .insertInto('shop_users')
      .values({
        id: `fuzz-${index}-${Date.now()}`,
        email,
        first_name: materialize(`{M}${first}`, marker).slice(0, 2_000),
        last_name: materialize(last, marker).slice(0, 2_000),
        password_hash: passwordHash,
        role: 'shopper',
        created_at: Date.now(),
      })
      .execute();
    const client = new ShopClient(run.shop.url);
    const signedIn = await signIn(client, email);
    if (!signedIn.ok) {
      failures.push(`sign-in ${signedIn.status} for ${JSON.stringify(email)}`);
      continue;
    }
    for (const path of ['/', '/account/profile', '/cart', '/orders']) {
      const page = await client.get(path);
      if (page.status >= 500) failures.push(`HTTP ${page.status} on ${path}`);
      else if (MARKER.test(page.text)) failures.push(`name/email reflected unescaped on ${path}`);
    }
  }
  report.add({
    section: SECTION,
    did: `storefront stored input: ${runs} shop users with hostile names and <x-fuzz-N> in name and email (inserted into shop_users), each signs in; /, /account/profile, /cart, /orders`,
    expected: 'pages render (< 500); the marker never appears raw',
    happened: failures.length ? failures.slice(0, 3).join(' ‖ ') : 'all escaped',
    ok: failures.length === 0,
  });
}

/** Applications named with the marker, each shown on its consent page; then the emulator's overview. */
export async function emulatorStoredInput(run: FuzzRun, quick: boolean, report: Report): Promise<void> {
  const runs = quick ? 5 : 20;
  const names = fc.sample(hostile, { numRuns: runs, seed: SEED - 2 });
  const failures: string[] = [];
  const redirectUri = 'http://127.0.0.1:9/callback';
  for (const [index, name] of names.entries()) {
    const marker = nextMarker();
    const clientId = `fuzz-app-${index}`;
    try {
      await run.admin.registerApp({
        client_id: clientId,
        client_secret: 'fuzz-secret',
        name: materialize(`{M}${name}`, marker).slice(0, 255),
        redirect_uris: [redirectUri],
      });
    } catch (error) {
      // A name the emulator refuses is not stored: there is nothing to show.
      if (error instanceof EmulatorAdminError) continue;
      throw error;
    }
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'account_linking',
    });
    const page = await execute({
      method: 'GET',
      url: `${run.emulator.url}/oauth/authorize?${query}`,
      headers: {},
    });
    if ('error' in page) failures.push(`consent page of ${clientId}: ${page.error}`);
    else if (page.status >= 500) failures.push(`HTTP ${page.status}`);
    else if (MARKER.test(page.body)) failures.push(`application name reflected unescaped (${clientId})`);
  }
  // The overview is an HTML page, read as any page under attack is (the admin client reads JSON).
  const overview = await execute({ method: 'GET', url: `${run.emulator.url}/_emulator/`, headers: {} });
  if ('error' in overview) failures.push(`/_emulator/ overview: ${overview.error}`);
  else if (overview.status >= 500) failures.push(`/_emulator/ overview HTTP ${overview.status}`);
  else if (MARKER.test(overview.body))
    failures.push(`/_emulator/ overview shows fuzz input raw: ${MARKER.exec(overview.body)?.[0]}`);
  report.add({
    section: SECTION,
    did: `emulator stored input: ${runs} apps named with <x-fuzz-N> and hostile text, each opened on /oauth/authorize; then GET /_emulator/ (which lists every account, Connect user and app the fuzzing stored)`,
    expected: 'pages render (< 500); the marker never appears raw',
    happened: failures.length ? failures.slice(0, 3).join(' ‖ ') : 'all escaped',
    ok: failures.length === 0,
  });
}
