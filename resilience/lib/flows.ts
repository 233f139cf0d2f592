/**
 * @module The shopper's linking flow over HTTP, as the browser and Instacart would run it, built from
 * the shared shop steps (`testing/shop-steps.ts`): sign in, `GET /cartlink/status` until it says
 * `unlinked` (retrying a few times while it says `unavailable`, as a shopper presses the element's
 * retry), "Link Instacart account" (`POST /cartlink/authorize`, whose 303 carries the authorization
 * URL), the sandbox authorize call with the PKCE challenge from that URL (standing in for "Allow" on
 * Instacart's consent page), then `POST /cartlink/link` with `code` and `state`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import { LINK_OUTCOMES } from '@cartlink/linking';
import type { ShopClient } from '../../testing/shop-client';
import { getStatus, postCallback, type StartedLink, tryStartLink } from '../../testing/shop-steps';
import { describeError } from './report';
import { SHOPPER_PASSWORD, type Shopper } from './shoppers';

/** Outcomes a flow may end with that are clean failures besides the dialog's own. */
export const CLEAN_FLOW_OUTCOMES: ReadonlySet<string> = new Set<string>([
  ...LINK_OUTCOMES,
  'status-unavailable',
]);

/** How a sign-in through the form ended, and how long the page and the post took together. */
export interface SignInResult {
  ok: boolean;
  status: number;
  ms: number;
}

/** Signs in through `/signin` (page, then form); `ok` on the 303 away from `/signin`. */
export async function signIn(
  client: ShopClient,
  email: string,
  password = SHOPPER_PASSWORD,
): Promise<SignInResult> {
  const started = performance.now();
  const answer = await client.signIn(email, password);
  const ms = performance.now() - started;
  const ok = answer.status === 303 && answer.location !== undefined && !answer.location.includes('/signin');
  return { ok, status: answer.status, ms };
}

/** The code Instacart would put on the redirect after the shopper pressed Allow on this link's consent page. */
export function consent(admin: EmulatorAdmin, instacartUserId: number, link: StartedLink): Promise<string> {
  return admin.authorizeCode({
    instacartUserId,
    redirectUri: link.redirectUri,
    codeChallenge: link.codeChallenge ?? null,
  });
}

/** How one flow ended. */
export interface FlowResult {
  outcome: string;
  /** The last step reached. */
  step: 'sign-in' | 'status' | 'authorize' | 'link' | 'done';
  ms: number;
}

/** Runs one flow; never throws (a network error becomes the outcome). */
export async function runLinkFlow(
  client: ShopClient,
  shopper: Shopper,
  admin: EmulatorAdmin,
  options: { signIn?: boolean; statusAttempts?: number; onStep?: (step: FlowResult['step']) => void } = {},
): Promise<FlowResult> {
  const started = performance.now();
  let step: FlowResult['step'] = 'sign-in';
  const advance = (next: FlowResult['step']) => {
    step = next;
    options.onStep?.(next);
  };
  const end = (outcome: string): FlowResult => ({ outcome, step, ms: performance.now() - started });
  try {
    if (options.signIn !== false) {
      const signedIn = await signIn(client, shopper.email);
      if (!signedIn.ok) return end(`sign-in-${signedIn.status}`);
    }
    advance('status');
    const attempts = options.statusAttempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await getStatus(client);
      if (status.http !== 200) return end(`status-http-${status.http}`);
      const state = status.status?.state;
      if (state === 'unlinked') break;
      if (state !== 'unavailable') return end(`status-${state}`);
      if (attempt === attempts) return end('status-unavailable');
      // A shopper pressing the element's retry, a little later each time.
      await sleep(200 * attempt);
    }
    advance('authorize');
    const start = await tryStartLink(client);
    if (!start.started) {
      return end(start.why === 'throttled' ? 'throttled' : `authorize-http-${start.response.status}`);
    }
    const code = await consent(admin, shopper.instacartUserId, start.link);
    advance('link');
    const result = await postCallback(client, { code, state: start.link.state });
    advance('done');
    return end(result.outcome ?? `link-http-${result.http}`);
  } catch (error) {
    return end(`error: ${describeError(error)}`);
  }
}
