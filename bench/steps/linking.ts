/**
 * @module Step 3, linking: Connect calls and server time of one completed link, for a shopper who
 * has no Connect user yet ("new") and for one whose Connect user exists but is not linked
 * ("existing", after a customer-service unlink), ours against the peer, samples interleaved.
 *
 * Each sample runs the real flow up to the callback: the status endpoint (ours: GET /cartlink/status
 * for a new shopper, POST /cartlink/verify after an unlink, since the verification stored by the last
 * link is still recent) says unlinked; ours then starts the link as the Link button does
 * (POST /cartlink/authorize with the page's CSRF token; the 303 carries the authorization URL with its
 * state and PKCE challenge), while the peer's status hands the URL out itself; the emulator issues a code for a fresh Instacart+ account as if the shopper had pressed Allow, and the
 * runner posts `code` and `state` as the status element does. Counted from the emulator: the calls of
 * the link sequence (exchange, create, link), fulfillment-token requests, and, apart, the status call
 * our link endpoint makes after linking (the seed refreshes the status element after a link; the
 * peer's page would have to call its status route for that, timed separately as "link + status").
 */

import { type BenchContext, PEER_APP, STOREFRONT_APP } from '../lib/context';
import {
  authorize,
  type CallCounts,
  createInstacartMember,
  readCalls,
  resetCalls,
  unlink,
} from '../lib/emulator-admin';
import { getJson, postJson, postJsonInSession, timed } from '../lib/http';
import { median, round } from '../lib/stats';

interface StatusView {
  state: string;
  /** The peer's status carries the authorization URL; ours does not (a link starts with a POST). */
  authorizationUrl?: string | null;
}

/**
 * "Link Instacart account" on our profile page: reads the status element's `csrf-token`, posts it to
 * `POST /cartlink/authorize`, and returns the authorization URL of the 303.
 */
async function startOurLink(storefrontUrl: string, cookie: string): Promise<URL> {
  const page = await fetch(`${storefrontUrl}/account/profile`, { headers: { Cookie: cookie } });
  const csrf = /<cartlink-status\b[^>]*\scsrf-token="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error(`GET /account/profile gave no csrf-token (${page.status})`);
  const response = await fetch(`${storefrontUrl}/cartlink/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookie,
      Origin: storefrontUrl,
    },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  });
  await response.arrayBuffer();
  const location = response.headers.get('location');
  if (response.status !== 303 || !location) throw new Error(`POST /cartlink/authorize: ${response.status}`);
  return new URL(location);
}

interface LinkSample {
  ms: number;
  calls: CallCounts;
  /** Peer only: GET /status right after, as its page needs to show the new state. */
  statusAfterMs?: number;
}

export interface LinkSide {
  new: LinkSample[];
  existing: LinkSample[];
}

export interface LinkingResult {
  ours: LinkSide;
  peer: LinkSide;
  link_new_calls: number;
  link_existing_calls: number;
  peer_link_new_calls: number;
  peer_link_existing_calls: number;
  link_new_token_requests: number;
  link_existing_token_requests: number;
  peer_link_new_token_requests: number;
  peer_link_existing_token_requests: number;
  /** Status calls our link endpoint makes after linking (the refresh), reported apart. */
  link_status_refresh_calls: number;
  link_new_server_ms: number;
  link_existing_server_ms: number;
  peer_link_new_server_ms: number;
  peer_link_existing_server_ms: number;
  /** The peer's link plus the status call its page makes to show the result. */
  peer_link_new_with_status_ms: number;
  peer_link_existing_with_status_ms: number;
  /** Shop user ids linked by the samples (the first is the signed-in demo shopper). */
  linkedShopperIds: string[];
  /** The peer's session of a linked user, for steps 2 and 5. */
  peerCookie: string;
  peerUserId: string;
}

/** The one value every sample agrees on; throws when they differ (the counts are deterministic). */
function agreed(samples: readonly LinkSample[], pick: (calls: CallCounts) => number, what: string): number {
  const values = [...new Set(samples.map((sample) => pick(sample.calls)))];
  if (values.length !== 1) throw new Error(`${what} differs between samples: ${values.join(', ')}`);
  return values[0] ?? Number.NaN;
}

/** Samples per case and side run first and not recorded. */
const WARMUP_SAMPLES = 1;

export async function runLinkingStep(ctx: BenchContext): Promise<LinkingResult> {
  const { emulator, storefront, peer } = ctx;
  const storefrontRedirect = `${storefront.url}/account/profile`;
  const peerRedirect = `${peer.url}/profile`;

  // Our shoppers: the signed-in demo shopper first (its links are the warm-up, not recorded: the
  // first link of a process pays for JIT, schema compilation and new connections), then bench
  // shoppers with sessions of their own.
  const extraIds = await storefront.call<string[]>('create-users', { count: ctx.sizes.linkSamples });
  const extraCookies = await storefront.call<string[]>('create-sessions', {
    count: extraIds.length,
    userIds: extraIds,
  });
  const shoppers = [
    { id: ctx.shopperId, cookie: ctx.shopperCookie },
    ...extraIds.map((id, i) => ({ id, cookie: extraCookies[i] ?? '' })),
  ];
  const peerUsers = await Promise.all(
    shoppers.map(async (_, i) => {
      const id = `peer-shopper-${i + 1}`;
      return { id, cookie: await peer.call<string>('create-session', { userId: id, firstName: 'Peer' }) };
    }),
  );

  async function oursSample(shopper: { id: string; cookie: string }, kind: 'new' | 'existing') {
    if (kind === 'existing') await unlink(emulator.url, shopper.id, STOREFRONT_APP.clientId);
    const view =
      kind === 'new'
        ? await getJson<StatusView>(`${storefront.url}/cartlink/status`, shopper.cookie)
        : await postJson<StatusView>(`${storefront.url}/cartlink/verify`, {}, shopper.cookie, storefront.url);
    if (view.state !== 'unlinked') throw new Error(`ours (${kind}): expected unlinked, got ${view.state}`);
    const params = (await startOurLink(storefront.url, shopper.cookie)).searchParams;
    const code = await authorize(emulator, {
      instacartUserId: await createInstacartMember(emulator.url),
      clientId: STOREFRONT_APP.clientId,
      redirectUri: storefrontRedirect,
      ...(params.get('code_challenge') ? { codeChallenge: params.get('code_challenge') ?? '' } : {}),
    });
    await resetCalls(emulator);
    const { ms, value } = await timed(() =>
      postJsonInSession<{ outcome: string; status: StatusView }>(
        `${storefront.url}/cartlink/link`,
        { code, state: params.get('state') },
        shopper,
        storefront.url,
      ),
    );
    if (value.outcome !== 'linked' || value.status.state !== 'linked-active') {
      throw new Error(`ours (${kind}): link ended ${value.outcome} / ${value.status.state}`);
    }
    return { ms, calls: await readCalls(emulator) };
  }

  async function peerSample(user: { id: string; cookie: string }, kind: 'new' | 'existing') {
    if (kind === 'existing') await unlink(emulator.url, user.id, PEER_APP.clientId);
    const view = await getJson<StatusView>(`${peer.url}/status`, user.cookie);
    if (view.state !== 'unlinked' || !view.authorizationUrl) {
      throw new Error(`peer (${kind}): expected unlinked with an authorization URL, got ${view.state}`);
    }
    const params = new URL(view.authorizationUrl).searchParams;
    const code = await authorize(emulator, {
      instacartUserId: await createInstacartMember(emulator.url),
      clientId: PEER_APP.clientId,
      redirectUri: peerRedirect,
    });
    await resetCalls(emulator);
    const { ms, value } = await timed(() =>
      postJson<{ outcome: string }>(`${peer.url}/link`, { code, state: params.get('state') }, user.cookie),
    );
    if (value.outcome !== 'linked') throw new Error(`peer (${kind}): link ended ${value.outcome}`);
    const calls = await readCalls(emulator);
    const after = await timed(() => getJson<StatusView>(`${peer.url}/status`, user.cookie));
    if (after.value.state !== 'linked-active') throw new Error(`peer (${kind}): status ${after.value.state}`);
    return { ms, calls, statusAfterMs: after.ms };
  }

  const ours: LinkSide = { new: [], existing: [] };
  const peerSide: LinkSide = { new: [], existing: [] };
  for (const kind of ['new', 'existing'] as const) {
    for (let i = 0; i < shoppers.length; i++) {
      const shopper = shoppers[i];
      const peerUser = peerUsers[i];
      if (!shopper || !peerUser) continue;
      const record = i >= WARMUP_SAMPLES;
      // Alternate which side goes first, so neither always runs on a machine the other just warmed.
      if (i % 2 === 0) {
        const sample = await oursSample(shopper, kind);
        if (record) ours[kind].push(sample);
        const peerRun = await peerSample(peerUser, kind);
        if (record) peerSide[kind].push(peerRun);
      } else {
        const peerRun = await peerSample(peerUser, kind);
        if (record) peerSide[kind].push(peerRun);
        const sample = await oursSample(shopper, kind);
        if (record) ours[kind].push(sample);
      }
    }
  }
  ctx.log(
    `  ours new ${median(ours.new.map((s) => s.ms))} ms, existing ${median(ours.existing.map((s) => s.ms))} ms; ` +
      `peer new ${median(peerSide.new.map((s) => s.ms))} ms, existing ${median(peerSide.existing.map((s) => s.ms))} ms`,
  );

  // The demo shopper's session got a new id with each link: later steps go on with the current one.
  ctx.shopperCookie = shoppers[0]?.cookie ?? ctx.shopperCookie;

  const firstPeer = peerUsers[0];
  if (!firstPeer) throw new Error('no peer user');
  return {
    ours,
    peer: peerSide,
    link_new_calls: agreed(ours.new, (c) => c.linkCalls, 'ours new link calls'),
    link_existing_calls: agreed(ours.existing, (c) => c.linkCalls, 'ours existing link calls'),
    peer_link_new_calls: agreed(peerSide.new, (c) => c.linkCalls, 'peer new link calls'),
    peer_link_existing_calls: agreed(peerSide.existing, (c) => c.linkCalls, 'peer existing link calls'),
    link_new_token_requests: agreed(ours.new, (c) => c.tokenRequests, 'ours new token requests'),
    link_existing_token_requests: agreed(
      ours.existing,
      (c) => c.tokenRequests,
      'ours existing token requests',
    ),
    peer_link_new_token_requests: agreed(peerSide.new, (c) => c.tokenRequests, 'peer new token requests'),
    peer_link_existing_token_requests: agreed(
      peerSide.existing,
      (c) => c.tokenRequests,
      'peer existing tokens',
    ),
    link_status_refresh_calls: agreed(
      [...ours.new, ...ours.existing],
      (c) => c.statusGets,
      'ours refresh calls',
    ),
    link_new_server_ms: median(ours.new.map((s) => s.ms)),
    link_existing_server_ms: median(ours.existing.map((s) => s.ms)),
    peer_link_new_server_ms: median(peerSide.new.map((s) => s.ms)),
    peer_link_existing_server_ms: median(peerSide.existing.map((s) => s.ms)),
    peer_link_new_with_status_ms: median(peerSide.new.map((s) => round(s.ms + (s.statusAfterMs ?? 0)))),
    peer_link_existing_with_status_ms: median(
      peerSide.existing.map((s) => round(s.ms + (s.statusAfterMs ?? 0))),
    ),
    linkedShopperIds: shoppers.map((s) => s.id),
    peerCookie: firstPeer.cookie,
    peerUserId: firstPeer.id,
  };
}
