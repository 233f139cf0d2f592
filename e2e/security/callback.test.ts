/**
 * Attacks on the authorization callback (`/account/profile?code=..&state=..`, completed by the status
 * element's `POST /cartlink/link`). Each test performs the attack and fails when the defence is
 * missing; where it is cheap, the same request without the attack is shown to link (a control), so a
 * refusal cannot come from a broken set-up.
 *
 * The storefront here is configured as RFC 9207 asks of a client whose authorization server sends
 * `iss`: `CONNECT_ISSUER` is the emulator's issuer, `CONNECT_REQUIRE_ISSUER=true`, and the emulator's
 * `issuer_param` switch is on, so every genuine callback below carries `iss`.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openShopper, setUpE2eStack, shopUserId } from '../../testing/e2e-stack';
import { postCallback, startLink } from '../../testing/shop-steps';
import { dialogTitle, FAILURE_TITLE, pressLinkInBrowser, settledStatus, signIn } from '../support';
import { codeExchanges, linkedAccountOf, randomState, resetLinks, usersLinkedTo } from './harness';

const stack = setUpE2eStack({
  issuerParam: true,
  env: (emulatorUrl) => ({ CONNECT_ISSUER: emulatorUrl, CONNECT_REQUIRE_ISSUER: 'true' }),
});
let issuer: string;
const ALEX = shopUserId('alex@example.com');
const BLAIR = shopUserId('blair@example.com');

beforeAll(() => {
  issuer = stack.emulator.issuer;
});

afterEach(async () => {
  stack.clock.offsetMs = 0;
  await resetLinks(stack);
});

/**
 * A shopper's browser on their profile page, unlinked, that pressed "Link Instacart account"; returns
 * the link transaction that press started (the page is then on the emulator's side).
 */
async function victimOnProfile(
  email: string,
): Promise<{ page: Page; state: string; codeChallenge: string | undefined; close: () => Promise<void> }> {
  const { page, context } = await openShopper(stack);
  await signIn(page, stack.shopUrl, email, '/account/profile');
  expect(await settledStatus(page)).toBe('unlinked');
  const { state, codeChallenge } = await pressLinkInBrowser(page);
  return { page, state, codeChallenge, close: () => context.close() };
}

/** The callback URL with a raw query string, exactly as written (duplicates and all). */
function callbackUrl(rawQuery: string): string {
  return `${stack.shopUrl}/account/profile?${rawQuery}`;
}

describe('state', () => {
  it('refuses a callback without state (and the same code with its state links)', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);

    const withoutState = await postCallback(alex, { code, iss: issuer });
    expect(withoutState.outcome).toBe('state-invalid');
    const emptyState = await postCallback(alex, { code, state: '', iss: issuer });
    expect(emptyState.outcome).not.toBe('linked');
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    // Nothing was sent to Instacart for a callback without state.
    expect(codeExchanges(stack).filter((exchange) => exchange.code === code)).toEqual([]);

    // Control: the very same code with the session's state links.
    expect((await postCallback(alex, { code, state, iss: issuer })).outcome).toBe('linked');
    expect(linkedAccountOf(stack, ALEX)).toBe(account);
  });

  it('refuses a wrong state: random, and the real one with one character changed', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const flipped = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;

    for (const wrong of [randomState(), flipped, `${state}x`, state.slice(0, -1)]) {
      const answer = await postCallback(alex, { code, state: wrong, iss: issuer });
      expect(answer.outcome, `state ${wrong}`).toBe('state-invalid');
    }
    expect(linkedAccountOf(stack, ALEX)).toBeNull();

    // Control: the wrong states spent nothing; the real one still links.
    expect((await postCallback(alex, { code, state, iss: issuer })).outcome).toBe('linked');
  });

  it("refuses a state issued to another session: another shopper's, and the same shopper's other session", async () => {
    const alexFirst = await stack.signInClient('alex@example.com');
    const alexSecond = await stack.signInClient('alex@example.com');
    const blair = await stack.signInClient('blair@example.com');
    const account = (await stack.admin.seedShopper()).id;

    // Blair replays Alex's state and code in Blair's session.
    const stolen = await startLink(alexFirst);
    const stolenCode = await stack.authorizeCode(account, stolen.codeChallenge);
    const byBlair = await postCallback(blair, { code: stolenCode, state: stolen.state, iss: issuer });
    expect(byBlair.outcome).toBe('state-invalid');

    // Alex's other session (another browser) presents the first session's state.
    const other = await startLink(alexFirst);
    const otherCode = await stack.authorizeCode(account, other.codeChallenge);
    const bySecondSession = await postCallback(alexSecond, {
      code: otherCode,
      state: other.state,
      iss: issuer,
    });
    expect(bySecondSession.outcome).toBe('state-invalid');

    expect(linkedAccountOf(stack, BLAIR)).toBeNull();
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    expect(usersLinkedTo(stack, account)).toEqual([]);
    // The refusals happened before any code exchange.
    const codes = codeExchanges(stack).map((exchange) => exchange.code);
    expect(codes).not.toContain(stolenCode);
    expect(codes).not.toContain(otherCode);
  });

  it('refuses a callback replayed after success, without exchanging the code again', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    expect((await postCallback(alex, { code, state, iss: issuer })).outcome).toBe('linked');

    const replay = await postCallback(alex, { code, state, iss: issuer });
    expect(replay.outcome).toBe('state-invalid');
    expect(codeExchanges(stack).filter((exchange) => exchange.code === code)).toHaveLength(1);
    expect(linkedAccountOf(stack, ALEX)).toBe(account);
  });

  it('lets only one of five simultaneous copies of a callback through, with one code exchange', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => postCallback(alex, { code, state, iss: issuer })),
    );
    expect(answers.map((answer) => answer.outcome).sort()).toEqual([
      'linked',
      'state-invalid',
      'state-invalid',
      'state-invalid',
      'state-invalid',
    ]);
    expect(codeExchanges(stack).filter((exchange) => exchange.code === code)).toHaveLength(1);
  });

  it('refuses a state replayed after a failed attempt (a state is spent by its first use)', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const goodCode = await stack.authorizeCode(account, codeChallenge);

    const failed = await postCallback(alex, { code: 'not-a-code', state, iss: issuer });
    expect(failed.outcome).toBe('failed');
    // The good code (bound to this transaction's PKCE challenge, so it would link) comes too late.
    const replay = await postCallback(alex, { code: goodCode, state, iss: issuer });
    expect(replay.outcome).toBe('state-invalid');
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    expect(codeExchanges(stack).map((exchange) => exchange.code)).not.toContain(goodCode);
  });

  it('refuses an expired state (storefront clock moved past the 10-minute link-transaction TTL)', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const early = await startLink(alex);
    const late = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const earlyCode = await stack.authorizeCode(account, early.codeChallenge);
    const lateCode = await stack.authorizeCode(account, late.codeChallenge);

    // Control: just inside the TTL a transaction of the same age still links.
    stack.clock.offsetMs = 590_000;
    expect((await postCallback(alex, { code: earlyCode, state: early.state, iss: issuer })).outcome).toBe(
      'linked',
    );
    await resetLinks(stack);

    stack.clock.offsetMs = 601_000;
    const expired = await postCallback(alex, { code: lateCode, state: late.state, iss: issuer });
    expect(expired.outcome).toBe('state-invalid');
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    expect(codeExchanges(stack).map((exchange) => exchange.code)).not.toContain(lateCode);
  });
});

describe('forced linking and code injection', () => {
  it("does not link a signed-in victim who opens the attacker's callback URL", async () => {
    // The attacker, with their own shop account and their own Instacart account, gets a code for a
    // state of their own session...
    const attacker = await stack.signInClient('blair@example.com');
    const attackerLink = await startLink(attacker);
    const attackerAccount = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(attackerAccount, attackerLink.codeChallenge);
    const url = callbackUrl(new URLSearchParams({ code, state: attackerLink.state, iss: issuer }).toString());

    // ...and the victim, signed in, is made to open it.
    const victim = await victimOnProfile('alex@example.com');
    try {
      await victim.page.goto(url);
      expect(await dialogTitle(victim.page)).toBe(FAILURE_TITLE);
      expect(linkedAccountOf(stack, ALEX)).toBeNull();
      expect(usersLinkedTo(stack, attackerAccount)).toEqual([]);
    } finally {
      await victim.close();
    }
  });

  it("refuses a victim's stolen code played in the attacker's own session (PKCE verifier mismatch)", async () => {
    const victim = await stack.signInClient('alex@example.com');
    const victimLink = await startLink(victim);
    expect(victimLink.codeChallenge, 'PKCE must be on (CONNECT_USE_PKCE defaults to true)').toBeDefined();
    const victimAccount = (await stack.admin.seedShopper()).id;
    // The victim consented in their session: this code is bound to the victim's PKCE challenge.
    const stolenCode = await stack.authorizeCode(victimAccount, victimLink.codeChallenge);

    const attacker = await stack.signInClient('blair@example.com');
    const attackerLink = await startLink(attacker);
    const answer = await postCallback(attacker, { code: stolenCode, state: attackerLink.state, iss: issuer });
    // Without PKCE the exchange would succeed and the attacker's shop account would be linked to the
    // victim's Instacart account: only the verifier mismatch stops it.
    expect(answer.outcome).toBe('failed');
    expect(linkedAccountOf(stack, BLAIR)).toBeNull();
    expect(usersLinkedTo(stack, victimAccount)).toEqual([]);
    const exchange = codeExchanges(stack).find((candidate) => candidate.code === stolenCode);
    expect(exchange?.verifier, 'the shop sent its own verifier').toBeDefined();
    expect(exchange?.status).toBe(400);
  });
});

describe('error responses', () => {
  it('treats error=access_denied with a valid state as a cancellation that spends the state', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const callsBefore = stack.connectCalls.length;
    const exchangesBefore = codeExchanges(stack).length;
    const denied = await postCallback(alex, { error: 'access_denied', state, iss: issuer });
    expect(denied.outcome).toBe('cancelled');
    // No code exchange, no create-user or link call for a denial.
    expect(codeExchanges(stack)).toHaveLength(exchangesBefore);
    expect(
      stack.connectCalls
        .slice(callsBefore)
        .filter((call) => call.method === 'POST' && call.path.startsWith('/v2/fulfillment/')),
    ).toEqual([]);
    // The state is spent: a code arriving later for it does not link.
    const account = (await stack.admin.seedShopper()).id;
    const late = await postCallback(alex, {
      code: await stack.authorizeCode(account, codeChallenge),
      state,
      iss: issuer,
    });
    expect(late.outcome).toBe('state-invalid');
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
  });

  it('answers error=access_denied with an invalid state as state-invalid, leaving the real state usable', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const forged = await postCallback(alex, { error: 'access_denied', state: randomState(), iss: issuer });
    expect(forged.outcome).toBe('state-invalid');
    const withoutState = await postCallback(alex, { error: 'access_denied', iss: issuer });
    expect(withoutState.outcome).toBe('state-invalid');

    // Control: the forged denials did not cancel the shopper's real transaction.
    const account = (await stack.admin.seedShopper()).id;
    const real = await postCallback(alex, {
      code: await stack.authorizeCode(account, codeChallenge),
      state,
      iss: issuer,
    });
    expect(real.outcome).toBe('linked');
  });

  for (const payload of ['<img src=x onerror="window.__pwned=1">', '"><script>window.__pwned=1</script>']) {
    for (const validState of [true, false]) {
      it(`neither runs nor renders error_description ${JSON.stringify(payload)} (${validState ? 'valid' : 'invalid'} state)`, async () => {
        const victim = await victimOnProfile('alex@example.com');
        const { page } = victim;
        const cspViolations: string[] = [];
        const strayRequests: string[] = [];
        const linkResponses: string[] = [];
        page.on('console', (message) => {
          if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
        });
        page.on('request', (request) => {
          const path = new URL(request.url()).pathname;
          if (path.endsWith('/x')) strayRequests.push(request.url());
        });
        page.on('response', async (response) => {
          if (new URL(response.url()).pathname === '/cartlink/link')
            linkResponses.push(await response.text().catch(() => ''));
        });
        try {
          const query = new URLSearchParams({
            error: 'access_denied',
            error_description: payload,
            state: validState ? victim.state : randomState(),
            iss: issuer,
          });
          const navigation = await page.goto(callbackUrl(query.toString()));
          const served = (await navigation?.text()) ?? '';
          expect(served).not.toContain(payload);
          expect(served).not.toContain('onerror');

          expect(await dialogTitle(page)).toBe(FAILURE_TITLE);
          const injected = await page.evaluate(() => {
            const found: string[] = [];
            const visit = (root: Document | ShadowRoot) => {
              for (const element of root.querySelectorAll('*')) {
                if (element.localName === 'img' && element.getAttribute('src') === 'x') found.push('img');
                if (element.hasAttribute('onerror')) found.push(`onerror on ${element.localName}`);
                if (element.localName === 'script' && element.textContent?.includes('__pwned'))
                  found.push('script');
                if (element.shadowRoot) visit(element.shadowRoot);
              }
            };
            visit(document);
            return { found, pwned: (window as { __pwned?: unknown }).__pwned ?? null };
          });
          expect(injected).toEqual({ found: [], pwned: null });
          expect(strayRequests).toEqual([]);
          expect(cspViolations).toEqual([]);
          expect(linkResponses.length).toBe(1);
          expect(linkResponses.join('')).not.toContain('onerror');
          expect(linkResponses.join('')).not.toContain('__pwned');
          expect(linkedAccountOf(stack, ALEX)).toBeNull();
        } finally {
          await victim.close();
        }
      });
    }
  }
});

// Can fail: an element that reads `params.get()` (the first value) posts the genuine code and state and
// links, as the status element did before it refused duplicates.
describe('duplicated parameters (RFC 6749 §3.1: a parameter must not be sent more than once)', () => {
  it.each([
    [
      'code twice, the genuine one first',
      (code: string, state: string) => `code=${code}&code=forged&state=${state}`,
    ],
    [
      'state twice, the genuine one first',
      (code: string, state: string) => `code=${code}&state=${state}&state=forged`,
    ],
  ])('refuses a callback with %s', async (_label, buildQuery) => {
    const victim = await victimOnProfile('alex@example.com');
    try {
      const account = (await stack.admin.seedShopper()).id;
      const code = await stack.authorizeCode(account, victim.codeChallenge);
      await victim.page.goto(
        callbackUrl(
          `${buildQuery(encodeURIComponent(code), encodeURIComponent(victim.state))}&iss=${encodeURIComponent(issuer)}`,
        ),
      );
      expect(await dialogTitle(victim.page)).toBe(FAILURE_TITLE);
      expect(linkedAccountOf(stack, ALEX)).toBeNull();
      expect(new URL(victim.page.url()).search).toBe('');
    } finally {
      await victim.close();
    }
  });
});

describe('issuer (RFC 9207)', () => {
  it('refuses a callback whose iss names another authorization server', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const answer = await postCallback(alex, { code, state, iss: 'http://evil.test' });
    expect(answer.outcome).toBe('failed');
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    expect(codeExchanges(stack).map((exchange) => exchange.code)).not.toContain(code);

    // Control: with the right issuer the same kind of callback links.
    const again = await startLink(alex);
    const answerOk = await postCallback(alex, {
      code: await stack.authorizeCode(account, again.codeChallenge),
      state: again.state,
      iss: issuer,
    });
    expect(answerOk.outcome).toBe('linked');
  });

  it('refuses a callback without iss when the shop requires it (CONNECT_ISSUER + CONNECT_REQUIRE_ISSUER=true)', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const answer = await postCallback(alex, { code, state });
    expect(answer.outcome, 'a callback without iss must be refused when the issuer is required').toBe(
      'failed',
    );
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    expect(codeExchanges(stack).map((exchange) => exchange.code)).not.toContain(code);
  });
});
