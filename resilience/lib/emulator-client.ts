/**
 * @module The emulator as a QA script uses it over HTTP: the admin API under `/_emulator/` (apps,
 * Instacart accounts, faults, clock, state) and the sandbox authorize endpoint, which yields an
 * authorization code for a chosen Instacart account without the browser.
 * @see packages/emulator/README.md, docs/product.md "Emulator admin API", docs/connect-api.md §4
 */

export const CLIENT_ID = 'cartlink-demo';
export const CLIENT_SECRET = 'cartlink-demo-secret';

/** A fault as `POST /_emulator/faults` takes it. */
export interface FaultBody {
  method?: string;
  path: string;
  status?: number;
  body?: unknown;
  /** Sent as is instead of JSON (an emulator extension), for malformed answers. */
  raw_body?: string;
  /** Extra response headers (an emulator extension), e.g. `retry-after`. */
  headers?: Record<string, string>;
  delay_ms?: number;
  drop?: boolean;
  times?: number;
  probability?: number;
  seed?: number;
}

/** An active fault as `GET /_emulator/faults` lists it. */
export interface FaultView {
  id: string;
  method: string | null;
  path: string;
  status: number | null;
  hits: number;
}

/** `GET /_emulator/state`, as far as the checks need it. */
export interface EmulatorState {
  connect_users: Array<{ client_id: string; user_id: string; active: boolean }>;
  links: Array<{ client_id: string; user_id: string; instacart_user_id: number }>;
}

/**
 * A JSON call. Every method but GET carries `Content-Type: application/json`, with or without a
 * body: the emulator refuses admin calls that change state without it (a form post from another
 * site cannot send it).
 */
async function call(url: string, method: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' } }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The admin API of one emulator. */
export class EmulatorAdmin {
  constructor(readonly url: string) {}

  /** Registers (replaces) the demo application with these redirect URIs. */
  async registerApp(redirectUris: string[]): Promise<void> {
    await expectOk(
      await call(`${this.url}/_emulator/apps`, 'POST', {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        name: 'Corner Market',
        redirect_uris: redirectUris,
      }),
      'register app',
    );
  }

  /** Creates an Instacart account; returns its id. */
  async createInstacartUser(email: string, member: boolean): Promise<number> {
    const body = (await expectOk(
      await call(`${this.url}/_emulator/instacart-users`, 'POST', {
        email,
        password: 'instacart',
        instacartplus_member: member,
      }),
      'create Instacart user',
    )) as { id: number };
    return body.id;
  }

  async addFault(fault: FaultBody): Promise<string> {
    const body = (await expectOk(await call(`${this.url}/_emulator/faults`, 'POST', fault), 'add fault')) as {
      id: string;
    };
    return body.id;
  }

  async listFaults(): Promise<FaultView[]> {
    return (await expectOk(await call(`${this.url}/_emulator/faults`, 'GET'), 'list faults')) as FaultView[];
  }

  async clearFaults(): Promise<void> {
    await expectOk(await call(`${this.url}/_emulator/faults`, 'DELETE'), 'clear faults');
  }

  async advanceClock(seconds: number): Promise<void> {
    await expectOk(await call(`${this.url}/_emulator/clock`, 'POST', { advance_seconds: seconds }), 'clock');
  }

  /** Customer-service unlink of a user of the demo application. */
  async unlink(userId: string): Promise<void> {
    await expectOk(
      await call(
        `${this.url}/_emulator/links/${encodeURIComponent(userId)}?client_id=${CLIENT_ID}`,
        'DELETE',
      ),
      'unlink',
    );
  }

  async state(): Promise<EmulatorState> {
    return (await expectOk(await call(`${this.url}/_emulator/state`, 'GET'), 'state')) as EmulatorState;
  }

  /** The links of the demo application, user id → Instacart account id. */
  async links(): Promise<Map<string, number>> {
    const state = await this.state();
    return new Map(
      state.links
        .filter((link) => link.client_id === CLIENT_ID)
        .map((link) => [link.user_id, link.instacart_user_id]),
    );
  }
}

/** The sandbox endpoints with the demo application's fulfillment token. */
export class Sandbox {
  private token: Promise<string> | null = null;

  constructor(readonly url: string) {}

  private fetchToken(): Promise<string> {
    this.token ??= (async () => {
      // A few attempts: the token endpoint may be under a probability fault meant for the storefront.
      for (let attempt = 1; ; attempt++) {
        const response = await call(`${this.url}/v2/oauth/token`, 'POST', {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_type: 'client_credentials',
          scope: 'connect:fulfillment',
        });
        if (!response.ok && attempt < 5) {
          await response.text();
          continue;
        }
        const body = (await expectOk(response, 'sandbox fulfillment token')) as { access_token: string };
        return body.access_token;
      }
    })();
    this.token.catch(() => {
      this.token = null;
    });
    return this.token;
  }

  /** The fulfillment token (fetched once). */
  fulfillmentToken(): Promise<string> {
    return this.fetchToken();
  }

  /** Fetches the token now (before faults go on the token endpoint). */
  async prepare(): Promise<void> {
    this.token = null;
    await this.fetchToken();
  }

  /**
   * `POST /v2/fulfillment_sandbox/instacart_users/{id}/authorize` with the challenge from the
   * storefront's authorization URL: the code Instacart would put on the redirect after "Allow".
   */
  async authorize(
    instacartUserId: number,
    redirectUri: string,
    codeChallenge: string | null,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.fetchToken();
      const response = await fetch(
        `${this.url}/v2/fulfillment_sandbox/instacart_users/${instacartUserId}/authorize`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            redirect_uri: redirectUri,
            scope: 'account_linking',
            ...(codeChallenge ? { code_challenge: codeChallenge, code_challenge_method: 'S256' } : {}),
          }),
          signal: AbortSignal.timeout(30_000),
        },
      );
      if (response.status === 401 && attempt === 1) {
        // The emulator clock moved past the token's expiry: fetch a new one once.
        await response.text();
        this.token = null;
        continue;
      }
      const body = (await expectOk(response, 'sandbox authorize')) as { code: string };
      return body.code;
    }
  }
}
