/**
 * @module The reconciliation report page: the billing period form, totals, a chart of waived delivery
 * fees by day (inline SVG drawn on the server, with a title, a description and a data table for those
 * who cannot see it), and the list of discounts with the evidence behind each.
 * @see README.md, Glossary ("delivery discount", "ledger", "grace")
 */
import type { DeliveryDiscount, DiscountTotals } from '@cartlink/linking';
import { CURRENCY } from '../catalogue.js';
import { listDays, type ReportPeriod } from '../reconciliation.js';
import { html, type SafeHtml } from './html.js';
import { formatDateTime } from './shop-views.js';

/** Formats cents in any ISO 4217 currency the ledger holds. */
export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
  } catch {
    // An unknown currency code still shows its amount rather than breaking the report.
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** What the report page shows. */
export interface ReportModel {
  period: ReportPeriod;
  totals: DiscountTotals;
  discounts: readonly DeliveryDiscount[];
  /** Shop email by user id, for the discount list. */
  emails: ReadonlyMap<string, string>;
}

/** Rounds a maximum up to 1, 2 or 5 times a power of ten, so the axis has round numbers. */
function niceCeiling(value: number): number {
  if (value <= 0) return 100;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

const CHART = { width: 760, height: 260, left: 64, right: 16, top: 16, bottom: 44 } as const;

/** The bar chart of one currency's waived fees per day of the period. */
function chartView(period: ReportPeriod, totals: DiscountTotals, currency: string, index: number): SafeHtml {
  const days = listDays(period);
  const byDay = new Map(
    totals.byDay.filter((entry) => entry.currency === currency).map((entry) => [entry.day, entry]),
  );
  const max = niceCeiling(Math.max(0, ...[...byDay.values()].map((entry) => entry.waivedCents)));
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const slot = plotWidth / days.length;
  const barWidth = Math.max(1, slot * 0.7);
  const labelEvery = days.length <= 16 ? 1 : days.length <= 62 ? 7 : 30;
  const y = (cents: number) => CHART.top + plotHeight - (cents / max) * plotHeight;

  const grid = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const value = max * fraction;
    const lineY = y(value).toFixed(1);
    return html`<line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${lineY}" y2="${lineY}"></line>
      <text class="axis" x="${CHART.left - 8}" y="${lineY}" text-anchor="end" dominant-baseline="middle">${formatMoney(value, currency)}</text>`;
  });
  const bars = days.map((day, dayIndex) => {
    const entry = byDay.get(day);
    const x = CHART.left + dayIndex * slot + (slot - barWidth) / 2;
    const label =
      dayIndex % labelEvery === 0
        ? html`<text class="axis" x="${(x + barWidth / 2).toFixed(1)}" y="${CHART.height - CHART.bottom + 18}" text-anchor="middle">${day.slice(5)}</text>`
        : null;
    if (!entry || entry.waivedCents === 0) return label;
    const top = y(entry.waivedCents);
    return html`<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(CHART.top + plotHeight - top).toFixed(1)}"></rect>${label}`;
  });

  const sum = [...byDay.values()].reduce((total, entry) => total + entry.waivedCents, 0);
  const activeDays = [...byDay.values()].filter((entry) => entry.waivedCents > 0).length;
  const titleId = `chart-title-${index}`;
  const descId = `chart-desc-${index}`;
  const rows = [...byDay.values()].map(
    (entry) =>
      html`<tr><th scope="row">${entry.day}</th><td class="num">${entry.orders}</td><td class="num">${formatMoney(entry.waivedCents, currency)}</td></tr>`,
  );
  return html`<figure class="chart">
    <svg viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-labelledby="${titleId} ${descId}" class="chart-svg">
      <title id="${titleId}">Waived delivery fees by day (${currency})</title>
      <desc id="${descId}">Bar chart from ${period.fromDay} to ${period.toDay}: ${formatMoney(sum, currency)} waived on ${activeDays} ${activeDays === 1 ? 'day' : 'days'}. The table below lists each day.</desc>
      ${grid}
      <line class="baseline" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y(0)}" y2="${y(0)}"></line>
      ${bars}
    </svg>
    <figcaption>
      <details>
        <summary>Chart data (${currency})</summary>
        ${
          rows.length === 0
            ? html`<p>No delivery fees were waived in this period.</p>`
            : html`<table class="lines">
                <caption class="visually-hidden">Waived delivery fees by day, ${currency}</caption>
                <thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="num">Orders</th><th scope="col" class="num">Waived</th></tr></thead>
                <tbody>${rows}</tbody>
              </table>`
        }
      </details>
    </figcaption>
  </figure>`;
}

/** The report page. */
export function reportView(model: ReportModel): SafeHtml {
  const { period, totals, discounts } = model;
  const currencies = Object.keys(totals.waivedCentsByCurrency).sort();
  const waived =
    currencies.length === 0
      ? formatMoney(0, CURRENCY)
      : currencies
          .map((currency) => formatMoney(totals.waivedCentsByCurrency[currency] ?? 0, currency))
          .join(' + ');
  const csvHref = `/admin/reconciliation.csv?from=${period.fromDay}&to=${period.toDay}`;
  const charts = (currencies.length === 0 ? [CURRENCY] : currencies).map((currency, index) =>
    chartView(period, totals, currency, index),
  );
  const rows = discounts.map(
    (discount) => html`<tr>
      <th scope="row" class="nowrap">${discount.orderId}</th>
      <td>${formatDateTime(discount.placedAt)}</td>
      <td>${model.emails.get(discount.userId) ?? discount.userId}</td>
      <td class="num">${formatMoney(discount.waivedCents, discount.currency)}</td>
      <td>${discount.instacartplusMember ? 'Yes' : 'No'}</td>
      <td>${discount.expiredAt ? discount.expiredAt.toISOString().slice(0, 10) : '—'}</td>
      <td>${formatDateTime(discount.verifiedAt)}</td>
      <td><span class="tag${discount.verification === 'grace' ? ' tag-warning' : ''}">${discount.verification}</span></td>
    </tr>`,
  );
  return html`<h1>Delivery discount reconciliation</h1>
    <p class="lead">Every order whose delivery fee Instacart+ waived, with the membership evidence behind it, for billing reconciliation with Instacart. Days are UTC.</p>
    <form method="get" action="/admin/reconciliation" class="card period">
      <div class="field"><label for="from">From</label><input id="from" name="from" type="date" required value="${period.fromDay}"></div>
      <div class="field"><label for="to">To</label><input id="to" name="to" type="date" required value="${period.toDay}"></div>
      <button type="submit" class="button">Show period</button>
      <a class="button button-primary" href="${csvHref}" download>Download CSV</a>
    </form>
    <section aria-labelledby="totals-title">
      <h2 id="totals-title">Totals, ${period.fromDay} to ${period.toDay}</h2>
      <dl class="stats">
        <div class="card"><dt>Discounted orders</dt><dd>${totals.orders}</dd></div>
        <div class="card"><dt>Delivery fees waived</dt><dd>${waived}</dd></div>
      </dl>
    </section>
    <section aria-labelledby="chart-heading" class="card">
      <h2 id="chart-heading">Waived fees by day</h2>
      ${charts}
    </section>
    <section aria-labelledby="list-title" class="card">
      <h2 id="list-title">Discounts</h2>
      ${
        rows.length === 0
          ? html`<p>No delivery fees were waived in this period.</p>`
          : html`<div class="table-scroll" role="region" aria-label="Discount list (scrolls sideways)" tabindex="0"><table class="lines">
              <caption class="visually-hidden">Discounted orders in the period, oldest first</caption>
              <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Shopper</th><th scope="col" class="num">Waived</th><th scope="col">Instacart+</th><th scope="col">Membership ends</th><th scope="col">Verified</th><th scope="col">Verification</th></tr></thead>
              <tbody>${rows}</tbody>
            </table></div>`
      }
    </section>`;
}
