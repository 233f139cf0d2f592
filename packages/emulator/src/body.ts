/**
 * Strict request-body reading shared by every route: a size cap enforced while streaming, a JSON
 * media type, UTF-8 that must decode cleanly, and a JSON object at the top. Each failure is a
 * value, never an exception, so every route can answer it in its own error shape (never a 5xx).
 */

/** Bodies above 64 KiB are refused with 413; no Connect request comes near that. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Why a body was refused. */
export type BodyFailure = 'too_large' | 'unsupported_media_type' | 'malformed' | 'not_object';

/** A parsed body, or why there is none (with a message fit for an error response). */
export type BodyResult<T> = { ok: true; value: T } | { ok: false; failure: BodyFailure; message: string };

const MESSAGES: Record<BodyFailure, string> = {
  too_large: 'Request body too large',
  unsupported_media_type: 'Content-Type must be application/json',
  malformed: 'Malformed JSON body',
  not_object: 'Request body must be a JSON object',
};

function fail<T>(failure: BodyFailure): BodyResult<T> {
  return { ok: false, failure, message: MESSAGES[failure] };
}

/**
 * Reads at most `limit` bytes; `undefined` when the body is larger. The rest is left unread and the
 * stream unlocked (not cancelled), so that the HTTP server can read and discard it before it sends
 * the 413: closing a connection the client is still writing to resets it, and the client may never
 * see the answer (`server-node.ts`).
 */
export async function readBodyBytes(
  request: Request,
  limit = MAX_BODY_BYTES,
): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJsonObject(bytes: Uint8Array, type: string): BodyResult<Record<string, unknown>> {
  if (type !== 'application/json' && !type.endsWith('+json')) return fail('unsupported_media_type');
  const text = decodeUtf8(bytes);
  if (text === undefined) return fail('malformed');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Includes RangeError from absurd nesting: still the client's malformed body.
    return fail('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not_object');
  return { ok: true, value: value as Record<string, unknown> };
}

/** Reads a JSON object body (`Content-Type: application/json` or `…+json`). */
export async function readJsonObject(request: Request): Promise<BodyResult<Record<string, unknown>>> {
  const bytes = await readBodyBytes(request);
  if (!bytes) return fail('too_large');
  return parseJsonObject(bytes, mediaType(request));
}

/**
 * Like {@link readJsonObject} but an empty body (with or without a content type) is `{}`: admin
 * calls such as `POST reset` have no body.
 */
export async function readOptionalJsonObject(request: Request): Promise<BodyResult<Record<string, unknown>>> {
  const bytes = await readBodyBytes(request);
  if (!bytes) return fail('too_large');
  if (bytes.byteLength === 0) return { ok: true, value: {} };
  return parseJsonObject(bytes, mediaType(request));
}

/** Reads an HTML form post; a field sent twice is refused, so no value can be smuggled in. */
export async function readForm(request: Request): Promise<BodyResult<Map<string, string>>> {
  const bytes = await readBodyBytes(request);
  if (!bytes) return fail('too_large');
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    return { ok: false, failure: 'unsupported_media_type', message: 'Expected a form post' };
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false, failure: 'malformed', message: 'Malformed form body' };
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (fields.has(name)) return { ok: false, failure: 'malformed', message: `Field ${name} sent twice` };
    fields.set(name, value);
  }
  return { ok: true, value: fields };
}
