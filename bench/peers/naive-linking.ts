/**
 * @module The peer: what a retailer writes by following Instacart's how-to page literally, step by
 * step. A fresh fulfillment token for every Connect request (the page shows a Bearer token on each
 * call and says nothing of caching), a new connection per request (no keep-alive agent), and the
 * link sequence exactly as written: exchange, link, and on `User Not Found` create the Connect user
 * and link again. It is honest, not slowed on purpose: no sleeps, no extra work, the same JSON.
 */
import { request as httpRequest } from 'node:http';

export interface NaiveConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface NaiveCounters {
  /** Every HTTP request sent to Connect, token requests included. */
  requests: number;
  tokenRequests: number;
}

/** What the status call tells the page. */
export interface NaiveStatus {
  state: 'linked-active' | 'linked-inactive' | 'unlinked';
  /** `expired_at` as Connect sent it, when linked with an active membership. */
  expiredAt: string | null;
}

interface JsonResponse {
  status: number;
  body: unknown;
}

/** One JSON request on a fresh connection (`agent: false`), as a plain `http.request` makes it. */
function send(url: string, method: string, body: unknown, bearer?: string): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json',
          ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
          ...(payload ? { 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function errorMessage(body: unknown): string | undefined {
  return (body as { error?: { message?: string } } | null)?.error?.message;
}

/** The seed's steps, one function each. */
export function createNaiveIntegration(config: NaiveConfig) {
  const counters: NaiveCounters = { requests: 0, tokenRequests: 0 };

  async function call(path: string, method: string, body: unknown, bearer?: string): Promise<JsonResponse> {
    counters.requests++;
    return send(`${config.baseUrl}${path}`, method, body, bearer);
  }

  async function fulfillmentToken(): Promise<string> {
    counters.tokenRequests++;
    const response = await call('/v2/oauth/token', 'POST', {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      grant_type: 'client_credentials',
      scope: 'connect:fulfillment',
    });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
    return (response.body as { access_token: string }).access_token;
  }

  /**
   * "Update the status element": get account information. Linked: `instacartplus_member` decides
   * active or inactive, and `expired_at` is kept for the element to show; a 400 (`User Not Found` or
   * `User Not Linked`) is unlinked.
   */
  async function getStatus(userId: string): Promise<NaiveStatus> {
    const token = await fulfillmentToken();
    const response = await call(
      `/v2/fulfillment/users/${encodeURIComponent(userId)}/link`,
      'GET',
      undefined,
      token,
    );
    if (response.status === 200) {
      const body = response.body as { instacartplus_member: boolean; expired_at?: string };
      return body.instacartplus_member
        ? { state: 'linked-active', expiredAt: body.expired_at ?? null }
        : { state: 'linked-inactive', expiredAt: null };
    }
    if (response.status === 400) return { state: 'unlinked', expiredAt: null };
    throw new Error(`status failed: ${response.status}`);
  }

  /** "Link customer accounts": exchange, link, and on User Not Found create then link again. */
  async function link(userId: string, code: string, firstName: string): Promise<boolean> {
    const exchange = await call('/v2/oauth/token', 'POST', {
      grant_type: 'authorization_code',
      client_id: config.clientId,
      client_secret: config.clientSecret,
      code,
      redirect_uri: config.redirectUri,
    });
    if (exchange.status !== 200) return false;
    const linkingToken = (exchange.body as { access_token: string }).access_token;
    const path = `/v2/fulfillment/users/${encodeURIComponent(userId)}/link`;
    let response = await call(path, 'POST', { linking_token: linkingToken }, await fulfillmentToken());
    if (response.status === 400 && errorMessage(response.body) === 'User Not Found') {
      const created = await call(
        '/v2/fulfillment/users',
        'POST',
        { user_id: userId, first_name: firstName },
        await fulfillmentToken(),
      );
      if (created.status !== 200 && created.status !== 201) return false;
      response = await call(path, 'POST', { linking_token: linkingToken }, await fulfillmentToken());
    }
    return response.status === 200;
  }

  return { counters, getStatus, link };
}
