/**
 * The Instacart log-in throttle, attacked through the log-in form as a password guesser would: in
 * process for the per-account rule, over a real socket from 127.0.0.1 for the per-address rule
 * (loopback gets no exemption).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from './emulator.js';
import { DEMO_SEED } from './seed.js';
import { type RunningEmulator, startEmulator } from './server-node.js';
import { BASE, createTestEmulator } from './test-support/harness.js';

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** A browser on the log-in form: its session cookie, CSRF token and pending authorization. */
async function openLogInForm(fetchImpl: Fetch, base: string) {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: DEMO_SEED.app.clientId,
    redirect_uri: DEMO_SEED.app.redirectUri,
    scope: 'account_linking',
  });
  const page = await fetchImpl(`${base}/oauth/authorize?${query}`);
  const html = await page.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  const cookie = page.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  return {
    /** Posts the form; answers status, `Retry-After` and the page. */
    async logIn(email: string, password: string) {
      const response = await fetchImpl(`${base}/oauth/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          csrf_token: field('csrf_token'),
          authorization_id: field('authorization_id'),
          email,
          password,
        }).toString(),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        html: await response.text(),
      };
    },
  };
}

function inProcess(options: EmulatorOptions = {}) {
  const { emulator } = createTestEmulator(options);
  return { emulator, form: () => openLogInForm((input, init) => emulator.fetch(input, init), BASE) };
}

const { plus, basic } = DEMO_SEED.users;
const { password } = DEMO_SEED;

describe('per account', () => {
  // Every attempt here comes from one client: its own limit is raised, explicitly.
  const limits = { attemptsPerAddress: 10_000 };

  it('refuses the right password after 300 wrong ones (429, Retry-After, the log-in page)', async () => {
    const { form } = inProcess({ loginLimits: limits });
    const guesser = await form();
    const statuses: number[] = [];
    for (let guess = 0; guess < 300; guess++)
      statuses.push((await guesser.logIn(plus, `guess-${guess}`)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(statuses.slice(10))).toEqual(new Set([429]));

    const refused = await guesser.logIn(plus, password);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(900);
    expect(refused.html).toContain('Too many log-in attempts. Try again in 15 minutes.');
    expect(refused.html).toMatch(/<button class="primary" type="submit">Log in<\/button>/);
    // The same email in other letter cases is the same account.
    expect((await guesser.logIn(plus.toUpperCase(), password)).status).toBe(429);
    // Another account is not affected.
    expect((await (await form()).logIn(basic, password)).status).toBe(303);
  });

  it('counts unknown emails the same way, so the answer does not tell whether an account exists', async () => {
    const { form } = inProcess({ loginLimits: limits });
    const guesser = await form();
    const statuses: number[] = [];
    for (let guess = 0; guess < 11; guess++)
      statuses.push((await guesser.logIn('nobody@instacart.test', `guess-${guess}`)).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });

  it('forgets the failures of an account at a successful log-in', async () => {
    const { form } = inProcess({ loginLimits: limits });
    const first = await form();
    for (let guess = 0; guess < 9; guess++)
      expect((await first.logIn(plus, `guess-${guess}`)).status).toBe(401);
    expect((await first.logIn(plus, password)).status).toBe(303);
    // Ten more failures are allowed again, then the account is refused.
    const second = await form();
    for (let guess = 0; guess < 10; guess++)
      expect((await second.logIn(plus, `again-${guess}`)).status).toBe(401);
    expect((await second.logIn(plus, password)).status).toBe(429);
  });

  it('takes its limits from the options, and the admin reset clears the counts', async () => {
    const { emulator, form } = inProcess({
      loginLimits: { ...limits, failuresPerAccount: 2, windowSeconds: 60 },
    });
    const guesser = await form();
    expect((await guesser.logIn(plus, 'a')).status).toBe(401);
    expect((await guesser.logIn(plus, 'b')).status).toBe(401);
    const refused = await guesser.logIn(plus, password);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    emulator.reset();
    expect((await (await form()).logIn(plus, password)).status).toBe(303);
  });

  it('refuses limits below 1', () => {
    expect(() => inProcess({ loginLimits: { failuresPerAccount: 0 } })).toThrow(/failuresPerAccount/);
  });

  it('refuses a window past 7 days, which the memory store would silently turn into no throttle', () => {
    // 30 days: its timer would overflow Node's 2^31 - 1 ms and fire at once, forgetting every count.
    expect(() => inProcess({ loginLimits: { windowSeconds: 30 * 86_400 } })).toThrow(/windowSeconds/);
  });
});

describe('per client address, over a real socket from 127.0.0.1', () => {
  let running: RunningEmulator;
  beforeAll(async () => {
    running = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await running.close();
  });

  it('refuses attempt 101 within the window whatever the accounts, even with a right password', async () => {
    const form = await openLogInForm((input, init) => fetch(input, init), running.url);
    // 100 attempts, each at another email: no account reaches its own limit.
    const emails = Array.from({ length: 100 }, (_, index) => `guess-${index}@instacart.test`);
    const statuses: number[] = [];
    // Four at a time: scrypt runs on the thread pool.
    for (let index = 0; index < emails.length; index += 4) {
      const batch = emails.slice(index, index + 4);
      statuses.push(
        ...(await Promise.all(batch.map((email) => form.logIn(email, 'wrong')))).map((r) => r.status),
      );
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    const refused = await form.logIn(basic, password);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.html).toContain('Too many log-in attempts.');
  });
});
