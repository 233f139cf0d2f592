/**
 * @module Test helper: checks Connect responses against the emulator's OpenAPI document with ajv
 * (JSON Schema 2020-12). `createValidatingFetch` wraps a fetch so that every Connect response
 * (paths under `/v2/` and `/oauth/authorize`) is checked for a documented status, its required
 * headers, its media type and its JSON body; a mismatch rejects the fetch, which fails the test.
 * Not exported from the package entry: it needs ajv, a development dependency.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A response that does not match the document. */
export class OpenApiMismatchError extends Error {
  override name = 'OpenApiMismatchError';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces every `#/components/schemas/X` reference by the schema itself (the document has no cycles). */
function inlineRefs(value: Json, components: JsonObject): Json {
  if (Array.isArray(value)) return value.map((item) => inlineRefs(item, components));
  if (!isObject(value)) return value;
  const target = value.$ref;
  if (typeof target === 'string') {
    const name = target.replace('#/components/schemas/', '');
    const schema = components[name];
    if (schema === undefined) throw new Error(`Unresolvable $ref ${target}`);
    return inlineRefs(schema, components);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inlineRefs(item, components)]));
}

interface CompiledResponse {
  headers: { name: string; validate: ValidateFunction }[];
  /** Media type to validator (`undefined` for non-JSON media types: only the type is checked). */
  content: Map<string, ValidateFunction | undefined> | undefined;
}

interface CompiledPath {
  template: string;
  pattern: RegExp;
  operations: Map<string, Map<string, CompiledResponse>>;
}

function isConnectPath(pathname: string): boolean {
  return pathname.startsWith('/v2/') || pathname === '/oauth/authorize';
}

/** A validator over one OpenAPI document. */
export interface OpenApiValidator {
  /**
   * Checks one response (its body is read from a clone). Resolves to `false` when the path is not
   * a Connect path (nothing to check), `true` when checked; rejects with {@link OpenApiMismatchError}.
   */
  check(method: string, url: string, response: Response): Promise<boolean>;
}

/** Compiles every response schema of `document` once. */
export function createOpenApiValidator(document: unknown): OpenApiValidator {
  if (!isObject(document) || !isObject(document.paths)) throw new Error('Not an OpenAPI document');
  const components =
    isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {};
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const compile = (schema: Json) => ajv.compile(inlineRefs(schema, components) as JsonObject);

  const paths: CompiledPath[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    if (!isObject(item)) continue;
    const source = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{[^/]+?\\\}/g, '[^/]+');
    const operations = new Map<string, Map<string, CompiledResponse>>();
    for (const [method, operation] of Object.entries(item)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      const responses = new Map<string, CompiledResponse>();
      for (const [status, spec] of Object.entries(operation.responses)) {
        if (!isObject(spec)) continue;
        const headers = Object.entries(isObject(spec.headers) ? spec.headers : {}).flatMap(
          ([name, header]) =>
            isObject(header) && header.required === true && header.schema !== undefined
              ? [{ name, validate: compile(header.schema) }]
              : [],
        );
        let content: CompiledResponse['content'];
        if (isObject(spec.content)) {
          content = new Map();
          for (const [mediaType, media] of Object.entries(spec.content)) {
            const schema = isObject(media) ? media.schema : undefined;
            content.set(
              mediaType,
              mediaType === 'application/json' && schema !== undefined ? compile(schema) : undefined,
            );
          }
        }
        responses.set(status, { headers, content });
      }
      operations.set(method.toUpperCase(), responses);
    }
    paths.push({ template, pattern: new RegExp(`^${source}$`), operations });
  }
  const notFound = compile({ $ref: '#/components/schemas/ConnectError' });

  const fail = (method: string, pathname: string, status: number, problem: string): never => {
    throw new OpenApiMismatchError(`${method} ${pathname} -> ${status}: ${problem}`);
  };

  return {
    async check(method, url, response) {
      const pathname = new URL(url).pathname;
      if (!isConnectPath(pathname)) return false;
      const upper = method.toUpperCase();
      const text = await response.clone().text();
      const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      const parseJson = (): unknown => {
        try {
          return JSON.parse(text);
        } catch {
          return fail(upper, pathname, response.status, `body is not JSON: ${text.slice(0, 200)}`);
        }
      };
      const path = paths.find((candidate) => candidate.pattern.test(pathname));
      const responses = path?.operations.get(upper);
      if (!path || !responses) {
        // An undocumented path or method may only be Connect's 404.
        if (response.status !== 404) fail(upper, pathname, response.status, 'undocumented path or method');
        if (!notFound(parseJson())) fail(upper, pathname, 404, ajv.errorsText(notFound.errors));
        return true;
      }
      const spec = responses.get(String(response.status));
      if (!spec) return fail(upper, pathname, response.status, `status not documented for ${path.template}`);
      for (const header of spec.headers) {
        const value = response.headers.get(header.name);
        if (value === null) fail(upper, pathname, response.status, `missing header ${header.name}`);
        if (!header.validate(value)) {
          fail(
            upper,
            pathname,
            response.status,
            `header ${header.name}: ${ajv.errorsText(header.validate.errors)}`,
          );
        }
      }
      if (!spec.content) {
        if (text !== '') fail(upper, pathname, response.status, 'a body where none is documented');
        return true;
      }
      if (!spec.content.has(mediaType)) {
        fail(upper, pathname, response.status, `media type ${mediaType || '(none)'} not documented`);
      }
      const validate = spec.content.get(mediaType);
      if (validate && !validate(parseJson())) {
        fail(upper, pathname, response.status, `${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`);
      }
      return true;
    },
  };
}

const validatorCache = new Map<string, OpenApiValidator>();

/** A fetch whose Connect responses are all checked; `checked` counts them. */
export type ValidatingFetch = ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) & {
  readonly checked: number;
};

/**
 * Wraps `fetchImpl` so every Connect response is checked against `document`.
 *
 * @example
 * ```ts
 * const emulator = createEmulator();
 * const fetch = createValidatingFetch(emulator.fetch, createOpenApiDocument(emulator.issuer));
 * ```
 */
export function createValidatingFetch(
  fetchImpl: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
  document: unknown,
): ValidatingFetch {
  // Compiling every schema takes a few hundred milliseconds; tests create many emulators.
  const key = JSON.stringify(document);
  let validator = validatorCache.get(key);
  if (!validator) {
    validator = createOpenApiValidator(document);
    validatorCache.set(key, validator);
  }
  const checker = validator;
  let checked = 0;
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const response = await fetchImpl(request);
    if (await checker.check(request.method, request.url, response)) checked++;
    return response;
  };
  return Object.defineProperty(wrapped, 'checked', { get: () => checked }) as ValidatingFetch;
}
