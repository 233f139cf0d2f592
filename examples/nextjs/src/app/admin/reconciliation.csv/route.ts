/**
 * @module `GET /admin/reconciliation.csv?from=YYYY-MM-DD&to=YYYY-MM-DD` (`to` exclusive): the
 * delivery-discount ledger for finance, one line per waived delivery fee.
 */
import { parseDay } from '../../../shop.js';
import { getShopServer, signedInFrom } from '../../../shop-server';

/** Read for each request. */
export const dynamic = 'force-dynamic';

/** The reconciliation CSV; finance only. */
export async function GET(request: Request): Promise<Response> {
  const { shop } = await getShopServer();
  const current = signedInFrom(shop, request.headers.get('cookie'));
  const text = (status: number, body: string) =>
    new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  if (!current?.shopper.admin) return text(403, 'Finance only\n');
  const params = new URL(request.url).searchParams;
  const from = parseDay(params.get('from'));
  const to = parseDay(params.get('to'));
  if (from === null || to === null) return text(400, 'Give from and to as YYYY-MM-DD\n');
  return new Response(await shop.reconciliationCsv(from, to), {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
