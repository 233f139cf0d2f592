/**
 * @module The shopper's linking flow over HTTP, as the browser and Instacart would run it: sign in,
 * `GET /cartlink/status` until it says `unlinked` (retrying a few times while it says `unavailable`,
 * as a shopper presses the element's retry), "Link Instacart account" (`POST /cartlink/authorize`
 * with the page's CSRF token, whose 303 carries the authorization URL), the sandbox authorize call
 * with the PKCE challenge from that URL (standing in for "Allow" on Instacart's consent page), then
 * `POST /cartlink/link` with `code` and `state`.
 */
import { LINK_OUTCOMES } from '@cartlink/linking';
import type { Sandbox } from './emulator-client';
import { describeError, sleep } from './processes';
import {
  completeLink,
  getStatus,
  readAuthorizationUrl,
  type ShopClient,
  signIn,
  startLink,
} from './shop-client';
import { SHOPPER_PASSWORD, type Shopper } from './shoppers';

/** Outcomes a flow may end with that are clean failures besides the dialog's own. */
export const CLEAN_FLOW_OUTCOMES: ReadonlySet<string> = new Set<string>([
  ...LINK_OUTCOMES,
  'status-unavailable',
]);

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
  sandbox: Sandbox,
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
      const signedIn = await signIn(client, shopper.email, SHOPPER_PASSWORD);
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
      await sleep(200 * attempt);
    }
    advance('authorize');
    const started = await startLink(client);
    if (started.throttled) return end('throttled');
    if (!started.authorizationUrl) return end(`authorize-http-${started.http}`);
    const request = readAuthorizationUrl(started.authorizationUrl);
    const code = await sandbox.authorize(shopper.instacartUserId, request.redirectUri, request.codeChallenge);
    advance('link');
    const result = await completeLink(client, { code, state: request.state });
    advance('done');
    return end(result.outcome ?? `link-http-${result.http}`);
  } catch (error) {
    return end(`error: ${describeError(error)}`);
  }
}
