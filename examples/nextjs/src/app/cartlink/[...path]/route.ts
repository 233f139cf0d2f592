/**
 * @module The linking endpoints, `GET /cartlink/status` and `POST /cartlink/authorize`,
 * `/cartlink/link` and `/cartlink/verify`: the web-standard `(Request) => Promise<Response>` handler
 * of `@cartlink/linking`, mounted as it is (its base path, `/cartlink`, is this folder). It acts for
 * the session's shopper only and sends its own headers.
 */
import { getShopServer } from '../../../shop-server';

/** Answered for each request. */
export const dynamic = 'force-dynamic';

/** `GET /cartlink/status` (and `HEAD`, which Next.js answers from it). */
export async function GET(request: Request): Promise<Response> {
  return (await getShopServer()).handleLinking(request);
}

/** `POST /cartlink/authorize`, `/cartlink/link` and `/cartlink/verify`. */
export async function POST(request: Request): Promise<Response> {
  return (await getShopServer()).handleLinking(request);
}
