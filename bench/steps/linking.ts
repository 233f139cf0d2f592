/**
 * @module Step 3, linking: Connect calls and server time of one completed link, for a shopper who
 * has no Connect user yet ("new") and for one whose Connect user exists but is not linked
 * ("existing", after a customer-service unlink), ours against the peer, samples interleaved.
 *
 * Each sample runs the real flow up to the callback: the status endpoint (ours: GET /cartlink/status
 * for a new shopper, POST /cartlink/verify after an unlink, since the verification stored by the last
 * link is still recent) says unlinked; ours then starts the link as the Link button does
 * (POST /cartlink/authorize with the page's CSRF token; the 303 carries the authorization URL with its
 * state and PKCE challenge), while the peer's status hands the URL out itself; the emulator's sandbox
 * authorize call issues a code for a fresh Instacart+ account as if the shopper had pressed Allow, and
 * the runner posts `code` and `state` as the status element does. Counted from the emulator: the calls
 * of the link sequence (exchange, create, link), fulfillment-token requests, and, apart, the status
 * call our link endpoint makes after linking (the seed refreshes the status element after a link; the
 * peer's page would have to call its status route for that, timed separately as "link + status").
 */
import { jsonOf } from '../../testing/shop-client';
import { getStatus, postCallback, startLink, verify } from '../../testing/shop-steps';
import { type CallCounts, readCalls, resetCalls } from '../lib/connect-calls';
import {
  type BenchContext,
  PEER_APP,
  type Shopper,
  STOREFRONT_APP,
  shopperWithSession,
} from '../lib/context';
import { median, round } from '../lib/stats';

/** The peer's status: it carries the authorization URL (ours does not: a link starts with a POST). */
interface PeerStatusView {
  state: string;
  authorizationUrl?: string | null;
}

type LinkKind = 'new' | 'existing';

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
  /** The peer's user linked first (the context's peer shopper, for steps 2 and 5). */
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

/** One link of ours, the callback timed as the client sees it and its Connect calls counted. */
async function linkOurs(ctx: BenchContext, shopper: Shopper, kind: LinkKind): Promise<LinkSample> {
  if (kind === 'existing') await ctx.admin.unlink(shopper.id, STOREFRONT_APP.clientId);
  const before = kind === 'new' ? await getStatus(shopper.client) : await verify(shopper.client);
  if (before.status?.state !== 'unlinked') {
    throw new Error(`ours (${kind}): expected unlinked, got ${before.status?.state ?? before.http}`);
  }
  const link = await startLink(shopper.client);
  const code = await ctx.admin.authorizeCode({
    instacartUserId: (await ctx.admin.seedShopper('member')).id,
    clientId: STOREFRONT_APP.clientId,
    redirectUri: link.redirectUri,
    codeChallenge: link.codeChallenge ?? null,
  });
  await resetCalls(ctx.emulator);
  // The storefront gives the session a new id when a link succeeds; the client's jar keeps it current.
  const answer = await postCallback(shopper.client, { code, state: link.state });
  if (answer.outcome !== 'linked' || answer.status?.state !== 'linked-active') {
    throw new Error(`ours (${kind}): link ended ${answer.outcome} / ${answer.status?.state ?? answer.http}`);
  }
  return { ms: answer.response.ms, calls: await readCalls(ctx.emulator) };
}

/** One link of the peer's, then the status call its page needs to show the result, timed apart. */
async function linkPeer(ctx: BenchContext, user: Shopper, kind: LinkKind): Promise<LinkSample> {
  if (kind === 'existing') await ctx.admin.unlink(user.id, PEER_APP.clientId);
  const before = jsonOf<PeerStatusView>(await user.client.get('/status'));
  if (before?.state !== 'unlinked' || !before.authorizationUrl) {
    throw new Error(`peer (${kind}): expected unlinked with an authorization URL, got ${before?.state}`);
  }
  const state = new URL(before.authorizationUrl).searchParams.get('state');
  const code = await ctx.admin.authorizeCode({
    instacartUserId: (await ctx.admin.seedShopper('member')).id,
    clientId: PEER_APP.clientId,
    redirectUri: `${ctx.peer.url}/profile`,
  });
  await resetCalls(ctx.emulator);
  const answer = await user.client.postJson('/link', { code, state });
  const outcome = jsonOf<{ outcome: string }>(answer)?.outcome;
  if (outcome !== 'linked') throw new Error(`peer (${kind}): link ended ${outcome ?? answer.status}`);
  const calls = await readCalls(ctx.emulator);
  const after = await user.client.get('/status');
  const shown = jsonOf<PeerStatusView>(after)?.state;
  if (shown !== 'linked-active') throw new Error(`peer (${kind}): status ${shown ?? after.status}`);
  return { ms: answer.ms, calls, statusAfterMs: after.ms };
}

/**
 * Links the demo shopper and the peer's shopper once, unmeasured: what step 3 leaves behind, for a
 * run of the later steps without it (`--only status-fresh`).
 */
export async function linkContextShoppers(ctx: BenchContext): Promise<void> {
  await linkOurs(ctx, ctx.shopper, 'new');
  await linkPeer(ctx, ctx.peerShopper, 'new');
}

export async function runLinkingStep(ctx: BenchContext): Promise<LinkingResult> {
  const { storefront, peer } = ctx;
  // Our shoppers: the signed-in demo shopper first (its links are the warm-up, not recorded: the
  // first link of a process pays for JIT, schema compilation and new connections), then bench
  // shoppers with sessions of their own; the peer's likewise, its first shopper the context's.
  const extraIds = await storefront.call<string[]>('create-users', { count: ctx.sizes.linkSamples });
  const extraCookies = await storefront.call<string[]>('create-sessions', {
    count: extraIds.length,
    userIds: extraIds,
  });
  const shoppers = [
    ctx.shopper,
    ...extraIds.map((id, i) => shopperWithSession(storefront.url, id, extraCookies[i] ?? '')),
  ];
  const peerUsers = [ctx.peerShopper];
  for (let i = 1; i < shoppers.length; i++) {
    const id = `peer-shopper-${i + 1}`;
    const cookie = await peer.call<string>('create-session', { userId: id, firstName: 'Peer' });
    peerUsers.push(shopperWithSession(peer.url, id, cookie));
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
        const sample = await linkOurs(ctx, shopper, kind);
        if (record) ours[kind].push(sample);
        const peerRun = await linkPeer(ctx, peerUser, kind);
        if (record) peerSide[kind].push(peerRun);
      } else {
        const peerRun = await linkPeer(ctx, peerUser, kind);
        if (record) peerSide[kind].push(peerRun);
        const sample = await linkOurs(ctx, shopper, kind);
        if (record) ours[kind].push(sample);
      }
    }
  }
  ctx.log(
    `  ours new ${median(ours.new.map((s) => s.ms))} ms, existing ${median(ours.existing.map((s) => s.ms))} ms; ` +
      `peer new ${median(peerSide.new.map((s) => s.ms))} ms, existing ${median(peerSide.existing.map((s) => s.ms))} ms`,
  );

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
    peerUserId: ctx.peerShopper.id,
  };
}
