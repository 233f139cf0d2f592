/**
 * OpenAPI 3.1 description of the emulated Connect endpoints (docs/connect-api.md §1–4; the admin API is
 * not part of it). Served at `GET /_emulator/openapi.json`; the emulator's own test suite checks
 * every Connect response it receives against it (`test-support/openapi-validator.ts`), so the document
 * and the behaviour cannot drift apart.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object: an OpenAPI document, or a schema inside one. */
export type Schema = { [key: string]: Json };

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const json = (description: string, schema: Schema, headers?: Record<string, Json>): Schema => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema } },
});

const NO_STORE_HEADERS = {
  'Cache-Control': { required: true, schema: { type: 'string', const: 'no-store' } },
};

const oauthJson = (description: string, schema: Schema): Schema =>
  json(description, schema, NO_STORE_HEADERS);

const bearer: Json = [{ fulfillmentToken: [] }];

const connectErrors = {
  '400': json(
    'Validation error (`User Not Found`, `can’t be blank`, …) or a malformed body',
    ref('ConnectError'),
  ),
  '401': json('Missing, invalid, expired or revoked fulfillment token', ref('UnauthorizedError')),
  '413': json('Body larger than 64 KiB', ref('ConnectError')),
};

const schemas: Record<string, Schema> = {
  ConnectError: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['message', 'code'],
        additionalProperties: false,
        properties: { message: { type: 'string' }, code: { type: ['integer', 'null'] } },
      },
      meta: {
        type: 'object',
        required: ['key'],
        additionalProperties: false,
        properties: { key: { type: 'string' } },
      },
    },
  },
  UnauthorizedError: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['message', 'code'],
        additionalProperties: false,
        properties: { message: { type: 'string' }, code: { type: 'null' } },
      },
    },
  },
  OAuthError: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  },
  FulfillmentToken: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'created_at'],
    additionalProperties: false,
    properties: {
      access_token: { type: 'string', minLength: 22 },
      token_type: { const: 'Bearer' },
      expires_in: { const: 86_400 },
      scope: { const: 'connect:fulfillment' },
      created_at: { type: 'integer' },
    },
  },
  LinkingToken: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'scope', 'created_at'],
    additionalProperties: false,
    properties: {
      access_token: { type: 'string', minLength: 22 },
      token_type: { const: 'Bearer' },
      expires_in: { const: 86_400 },
      refresh_token: { type: 'string' },
      scope: { const: 'account_linking' },
      created_at: { type: 'integer' },
    },
  },
  LinkStatus: {
    type: 'object',
    required: ['instacartplus_member', 'express_member'],
    additionalProperties: false,
    properties: {
      instacartplus_member: { type: 'boolean' },
      express_member: { type: 'boolean', deprecated: true },
      expired_at: { type: 'string', format: 'date-time' },
    },
  },
  LinkSuccess: {
    type: 'object',
    required: ['success'],
    additionalProperties: false,
    properties: { success: { const: true } },
  },
  ConnectUser: {
    type: 'object',
    required: ['user_id', 'first_name', 'last_name', 'phone_number', 'locale'],
    additionalProperties: false,
    properties: {
      user_id: { type: 'string' },
      first_name: { type: 'string' },
      last_name: { type: ['string', 'null'] },
      phone_number: { type: ['string', 'null'] },
      locale: { type: ['string', 'null'] },
    },
  },
};

/** Builds the document; `serverUrl` is the emulator's public base URL. */
export function createOpenApiDocument(serverUrl: string): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Instacart Connect account linking (Cartlink emulator)',
      version: '1.0.0',
      description:
        'The Connect endpoints the Cartlink emulator serves, as read from docs/connect-api.md. Request bodies are JSON; unknown fields are ignored. Bodies over 64 KiB get 413.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        fulfillmentToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A fulfillment token from the client_credentials grant (scope connect:fulfillment).',
        },
      },
      schemas,
    },
    paths: {
      '/oauth/authorize': {
        get: {
          summary: 'Authorization endpoint (browser): Instacart log-in, then Allow/Deny consent',
          parameters: [
            { name: 'response_type', in: 'query', required: true, schema: { const: 'code' } },
            { name: 'client_id', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'scope', in: 'query', required: true, schema: { const: 'account_linking' } },
            { name: 'redirect_uri', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'state', in: 'query', required: false, schema: { type: 'string', maxLength: 2048 } },
            {
              name: 'code_challenge',
              in: 'query',
              required: false,
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
            },
            { name: 'code_challenge_method', in: 'query', required: false, schema: { const: 'S256' } },
          ],
          responses: {
            '200': {
              description: 'Log-in form or consent page',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            '302': {
              description:
                'Redirect to redirect_uri with error (invalid_request, unsupported_response_type, invalid_scope) and state, plus iss when switched on',
              headers: { Location: { required: true, schema: { type: 'string' } } },
            },
            '400': {
              description: 'Unknown client_id or unregistered redirect_uri: an error page, never a redirect',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/v2/oauth/token': {
        post: {
          summary: 'Fulfillment token (client_credentials) or linking token (authorization_code)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['grant_type', 'client_id', 'client_secret'],
                  properties: {
                    grant_type: { enum: ['client_credentials', 'authorization_code'] },
                    client_id: { type: 'string' },
                    client_secret: { type: 'string' },
                    scope: { const: 'connect:fulfillment' },
                    code: { type: 'string' },
                    redirect_uri: { type: 'string' },
                    code_verifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$' },
                  },
                },
              },
            },
          },
          responses: {
            '200': oauthJson('A token', { anyOf: [ref('FulfillmentToken'), ref('LinkingToken')] }),
            '400': oauthJson(
              'invalid_request, invalid_grant, invalid_scope or unsupported_grant_type',
              ref('OAuthError'),
            ),
            '401': oauthJson(
              'invalid_client: unknown client, wrong secret, or a disabled application (every grant)',
              ref('OAuthError'),
            ),
            '403': oauthJson('query_params_forbidden: credentials in the query string', ref('OAuthError')),
            '413': oauthJson('Body larger than 64 KiB', ref('OAuthError')),
          },
        },
      },
      '/v2/oauth/token/revoke': {
        post: {
          summary: 'Revoke a token (only the issuing application may)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['client_id', 'client_secret', 'token'],
                  properties: {
                    client_id: { type: 'string' },
                    client_secret: { type: 'string' },
                    token: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '200': oauthJson('Revoked (or unknown: RFC 7009)', { type: 'object', maxProperties: 0 }),
            '400': oauthJson('invalid_request', ref('OAuthError')),
            '401': oauthJson('invalid_client', ref('OAuthError')),
            '403': oauthJson('unauthorized_client or query_params_forbidden', ref('OAuthError')),
            '413': oauthJson('Body larger than 64 KiB', ref('OAuthError')),
          },
        },
      },
      '/v2/fulfillment/users/{user_id}/link': {
        parameters: [{ name: 'user_id', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          summary: 'Get account information (link and Instacart+ status)',
          security: bearer,
          responses: {
            '200': json('Linked', ref('LinkStatus')),
            '400': json('User Not Found or User Not Linked', ref('ConnectError')),
            '401': connectErrors['401'],
            '403': json('User Not Active', ref('ConnectError')),
          },
        },
        post: {
          summary: 'Link user accounts',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['linking_token'],
                  properties: { linking_token: { type: 'string' } },
                },
              },
            },
          },
          responses: {
            '200': json('Linked', ref('LinkSuccess')),
            ...connectErrors,
            '403': json('User Not Active', ref('ConnectError')),
          },
        },
      },
      '/v2/fulfillment/users': {
        post: {
          summary: 'Create a Connect user',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['user_id', 'first_name'],
                  properties: {
                    user_id: { type: 'string', minLength: 1 },
                    first_name: { type: 'string', pattern: '^[^/:<>$%?]+$' },
                    last_name: { type: ['string', 'null'], pattern: '^[^/:<>$%?]*$' },
                    phone_number: { type: ['string', 'null'], pattern: '^\\+[1-9]\\d{1,14}$' },
                    locale: { type: ['string', 'null'], examples: ['en-US', 'en-CA', 'fr-CA'] },
                  },
                },
              },
            },
          },
          responses: { '200': json('Created', ref('ConnectUser')), ...connectErrors },
        },
      },
      '/v2/fulfillment_sandbox/instacart_users': {
        post: {
          summary: 'Sandbox: create an Instacart account',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['email', 'password'],
                  properties: {
                    email: { type: 'string', format: 'email' },
                    phone: { type: ['string', 'null'] },
                    password: { type: 'string', minLength: 1 },
                    instacartplus_member: { type: 'boolean' },
                    express_member: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: {
            '200': json('Created', {
              type: 'object',
              required: ['id'],
              additionalProperties: false,
              properties: { id: { type: 'integer', minimum: 1 } },
            }),
            ...connectErrors,
          },
        },
      },
      '/v2/fulfillment_sandbox/instacart_users/{id}/authorize': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          summary: 'Sandbox: an authorization code for this account, without the browser',
          security: bearer,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['redirect_uri', 'scope'],
                  properties: {
                    redirect_uri: { type: 'string' },
                    scope: { const: 'account_linking' },
                    code_challenge_method: { const: 'S256' },
                    code_challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
                  },
                },
              },
            },
          },
          responses: {
            '200': json('A code', {
              type: 'object',
              required: ['code'],
              additionalProperties: false,
              properties: { code: { type: 'string', minLength: 22 } },
            }),
            ...connectErrors,
          },
        },
      },
    },
  };
}
