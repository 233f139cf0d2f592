/**
 * @module The delivery-discount reconciliation report for the shop's staff (admin@example.com): a
 * page with totals, a chart and the discount list, and the CSV export (`from`/`to` as `YYYY-MM-DD`,
 * the ledger's columns).
 * @see README.md, Glossary ("delivery discount", "ledger")
 */
import { formatReconciliationCsv } from '@cartlink/linking';
import type { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http.js';
import { PeriodError, parsePeriod, type ReportPeriod } from '../reconciliation.js';
import { renderHtml, type StorefrontServices } from '../services.js';
import { findEmails } from '../users.js';
import { errorView } from '../views/account-views.js';
import { reportView } from '../views/admin-views.js';
import { requireUser } from './shop-routes.js';

/** Registers `/admin/reconciliation` and `/admin/reconciliation.csv`. */
export function registerAdminRoutes(app: Hono<AppEnv>, services: StorefrontServices): void {
  const { storage } = services;

  /** The admin, a redirect to sign-in, or a 403 page for anyone else. */
  async function requireAdmin(c: AppContext): Promise<Response | null> {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    if (user.role === 'admin') return null;
    return renderHtml(
      c,
      services,
      { title: 'Not allowed', current: null, status: 403 },
      errorView('Not allowed', "The reconciliation report is for Corner Market's staff only."),
    );
  }

  function readPeriod(c: AppContext): ReportPeriod {
    return parsePeriod({ from: c.req.query('from'), to: c.req.query('to') }, services.now());
  }

  app.get('/admin/reconciliation', async (c) => {
    const refusal = await requireAdmin(c);
    if (refusal) return refusal;
    let period: ReportPeriod;
    try {
      period = readPeriod(c);
    } catch (error) {
      if (!(error instanceof PeriodError)) throw error;
      return renderHtml(
        c,
        services,
        { title: 'Bad period', current: 'report', status: 400 },
        errorView('That period cannot be shown', error.message, {
          href: '/admin/reconciliation',
          label: 'This month',
        }),
      );
    }
    const [totals, discounts] = await Promise.all([
      storage.discounts.totals(period),
      storage.discounts.list(period),
    ]);
    const emails = await findEmails(
      services.db,
      discounts.map((discount) => discount.userId),
    );
    return renderHtml(
      c,
      services,
      { title: 'Reconciliation', current: 'report' },
      reportView({ period, totals, discounts, emails }),
    );
  });

  app.get('/admin/reconciliation.csv', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    c.header('Cache-Control', 'no-store');
    if (user.role !== 'admin')
      return c.text('The reconciliation report is for Corner Market staff only.\n', 403);
    let period: ReportPeriod;
    try {
      period = readPeriod(c);
    } catch (error) {
      if (!(error instanceof PeriodError)) throw error;
      return c.text(`Bad period: ${error.message}.\n`, 400);
    }
    const csv = formatReconciliationCsv(await storage.discounts.list(period));
    return c.body(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="corner-market-delivery-discounts-${period.fromDay}-to-${period.toDay}.csv"`,
    });
  });
}
