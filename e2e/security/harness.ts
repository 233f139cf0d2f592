/**
 * @module What the security suite reads beyond the shared kit (the stack of `testing/e2e-stack.ts`,
 * `ShopClient`, `shop-steps.ts`): the code exchanges among the storefront's recorded Connect calls,
 * who is linked to whom at the emulator, a reset of every link between tests, the emulator's log-in
 * over HTTP, and `Set-Cookie` lines taken apart for the cookie-attribute checks.
 */
import { randomBytes } from 'node:crypto';
import { DEMO_USERS } from '@cartlink/storefront';
import type { E2eStack } from '../../testing/e2e-stack';
import type { ShopClient, ShopResponse } from '../../testing/shop-client';

/** The authorization-code exchanges the storefront made, with their codes and verifiers. */
export function codeExchanges(stack: E2eStack): Array<{
  code: string;
  verifier: string | undefined;
  status: number | null;
  accessToken: string | undefined;
}> {
  return stack.connectCalls
    .filter((call) => call.path === '/v2/oauth/token' && call.requestBody.includes('authorization_code'))
    .map((call) => {
      const body = JSON.parse(call.requestBody) as { code: string; code_verifier?: string };
      let accessToken: string | undefined;
      try {
        accessToken = (JSON.parse(call.responseBody) as { access_token?: string }).access_token;
      } catch {
        accessToken = undefined;
      }
      return { code: body.code, verifier: body.code_verifier, status: call.status, accessToken };
    });
}

/** The Instacart account a shop user is linked to at the emulator, or null. */
export function linkedAccountOf(stack: E2eStack, userId: string): number | null {
  const link = stack.emulator
    .getLinks()
    .find((candidate) => candidate.clientId === stack.clientId && candidate.userId === userId);
  return link?.instacartUserId ?? null;
}

/** The shop users linked to an Instacart account. */
export function usersLinkedTo(stack: E2eStack, instacartUserId: number): string[] {
  return stack.emulator
    .getLinks()
    .filter((link) => link.clientId === stack.clientId && link.instacartUserId === instacartUserId)
    .map((link) => link.userId);
}

/**
 * Unlinks everyone at the emulator (customer-service unlink) and refreshes the shop's stored
 * verifications from Connect, so that every demo shopper starts the next test unlinked.
 */
export async function resetLinks(stack: E2eStack): Promise<void> {
  for (const link of stack.emulator.getLinks()) {
    if (link.clientId === stack.clientId) stack.emulator.unlink(link.clientId, link.userId);
  }
  for (const user of DEMO_USERS) {
    await stack.shop.storefront.linking.getVerification(user.id, { fresh: true });
  }
}

/** A random value shaped like a state (43 base64url characters). */
export function randomState(): string {
  return randomBytes(32).toString('base64url');
}

/** `/oauth/authorize?…` for an application and its redirect URI (a stack's), with `params` on top. */
export function authorizePath(
  app: { clientId: string; redirectUri: string },
  params: Record<string, string> = {},
): string {
  return `/oauth/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    scope: 'account_linking',
    state: 'attack-state',
    redirect_uri: app.redirectUri,
    ...params,
  })}`;
}

/** The hidden fields of the emulator's log-in, consent and log-out forms. */
export function emulatorFormFields(html: string): { csrf_token: string; authorization_id: string } {
  return {
    csrf_token: /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '',
    authorization_id: /name="authorization_id" value="([^"]+)"/.exec(html)?.[1] ?? '',
  };
}

/**
 * Logs in at the emulator as a browser would: the log-in page of `authorizePath`, then its form with
 * the account's email and password. Returns the form's answer (a 303 when it worked).
 */
export async function logInAtEmulator(
  client: ShopClient,
  authorizePath: string,
  email: string,
  password = 'instacart',
): Promise<ShopResponse> {
  const page = await client.get(authorizePath);
  return client.postForm('/oauth/login', { ...emulatorFormFields(page.text), email, password });
}

/** A `Set-Cookie` line taken apart: name, value and lower-cased attribute names with their values. */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const index = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key = '', ...value] = part.split('=');
    attributes.set(key.trim().toLowerCase(), value.join('=').trim());
  }
  return { name: pair.slice(0, index).trim(), value: pair.slice(index + 1).trim(), attributes };
}
