/**
 * @module Express adapter: the web-standard handler as Express middleware. Node-specific, since
 * Express is.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';
import { resolveBasePath } from '../base-path.js';
import { createLinkingHandler, type LinkingHandlerOptions } from '../handler.js';

/** Builds a web `Request` from an Express request (whose body must not have been consumed yet). */
export function toWebRequest(req: ExpressRequest): Request {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(url, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
}

/** Writes a web `Response` to an Express response. */
export async function sendWebResponse(response: Response, res: ExpressResponse): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  if (response.body === null) {
    res.end();
    return;
  }
  Readable.fromWeb(response.body as NodeReadableStream).pipe(res);
}

/** Wraps any `(Request) => Promise<Response>` handler as Express middleware. */
export function toExpressHandler(handler: (request: Request) => Promise<Response>): RequestHandler {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    handler(toWebRequest(req))
      .then((response) => sendWebResponse(response, res))
      .catch(next);
  };
}

/**
 * An Express middleware serving `{basePath}/status`, `{basePath}/authorize`, `{basePath}/link` and
 * `{basePath}/verify`; other paths pass through to `next()`. Mount it before any body parser for
 * those paths (the handler reads the bodies itself).
 * @example
 * app.use(createLinkingExpressMiddleware({ linking, getSubject, allowedOrigins: [publicUrl] }));
 */
export function createLinkingExpressMiddleware(options: LinkingHandlerOptions): RequestHandler {
  const basePath = resolveBasePath(options.basePath);
  const handle = toExpressHandler(createLinkingHandler(options));
  return (req, res, next) => {
    if (!req.path.startsWith(`${basePath}/`)) {
      next();
      return;
    }
    handle(req, res, next);
  };
}
