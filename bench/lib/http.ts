/**
 * @module The runner's HTTP client side: JSON calls with a session cookie, sign-in through the
 * storefront's real form (GET /signin for the CSRF token and cookie, then POST), the emulator's admin
 * API, and a timer. Everything goes to loopback.
 */

/** Milliseconds since an arbitrary origin, sub-millisecond. */
export const now = (): number => performance.now();

/** Runs `fn` and returns its value with how long it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = now();
  const value = await fn();
  return { ms: now() - started, value };
}

async function readJson(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** GET a JSON resource with a session cookie. */
export async function getJson<T>(url: string, cookie?: string): Promise<T> {
  const response = await fetch(url, {
    headers: { Accept: 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
  });
  return (await readJson(response, `GET ${url}`)) as T;
}

/** POST JSON with a session cookie; `origin` is sent as the browser would (the endpoints check it). */
export async function postJson<T>(url: string, body: unknown, cookie?: string, origin?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...(cookie ? { Cookie: cookie } : {}),
      ...(origin ? { Origin: origin } : {}),
    },
    body: JSON.stringify(body),
  });
  return (await readJson(response, `POST ${url}`)) as T;
}

/**
 * POST JSON for a browser session held in `session.cookie`, and keep it current: the storefront gives
 * the session a new id when a link succeeds (as at sign-in), in a `Set-Cookie` on this very answer.
 */
export async function postJsonInSession<T>(
  url: string,
  body: unknown,
  session: { cookie: string },
  origin: string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      Cookie: session.cookie,
      Origin: origin,
    },
    body: JSON.stringify(body),
  });
  const rotated = sessionCookie(response, 'cm_session');
  if (rotated) session.cookie = rotated;
  return (await readJson(response, `POST ${url}`)) as T;
}

/** DELETE on the emulator's admin API; the status, for callers that accept a 404. */
export async function deleteRequest(url: string): Promise<number> {
  // The emulator refuses admin calls that change state without a JSON content type.
  const response = await fetch(url, { method: 'DELETE', headers: { 'Content-Type': 'application/json' } });
  await response.arrayBuffer();
  return response.status;
}

function sessionCookie(response: Response, name: string): string | undefined {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    if (pair?.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
}

/**
 * Signs in through the storefront's form, as a browser does, and returns the `Cookie` header value of
 * the signed-in session.
 */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const form = await fetch(`${baseUrl}/signin`);
  const html = await form.text();
  const visitor = sessionCookie(form, 'cm_session');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!visitor || !csrf) throw new Error(`GET /signin gave no session cookie or CSRF token (${form.status})`);
  const response = await fetch(`${baseUrl}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: visitor,
      Origin: baseUrl,
    },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  await response.arrayBuffer();
  const signedIn = sessionCookie(response, 'cm_session');
  if (response.status !== 303 || !signedIn) throw new Error(`POST /signin for ${email}: ${response.status}`);
  return signedIn;
}
