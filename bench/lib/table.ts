/**
 * @module The printed tables: one row per metric, ours beside its reference (the floor, the peer, the
 * direct Connect call or the bare `node:http` process), their ratio, the goal and whether it is met.
 */

/** One row. Empty strings print as blanks. */
export interface TableRow {
  metric: string;
  ours: string;
  other: string;
  ratio: string;
  goal: string;
  met: string;
}

const HEADER: TableRow = {
  metric: 'metric',
  ours: 'ours',
  other: 'reference',
  ratio: 'ratio',
  goal: 'goal',
  met: 'met?',
};

/** Formats a number for the table: thousands without decimals, small values with two. */
export function fmt(value: number | undefined, digits = 2): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (Math.abs(value) >= 1000) return Math.round(value).toString();
  return Number(value.toFixed(digits)).toString();
}

/** `ours / other`, formatted; blank when either is missing. */
export function ratio(ours: number | undefined, other: number | undefined, digits = 2): string {
  if (ours === undefined || other === undefined || other === 0) return '';
  return fmt(ours / other, digits);
}

/** Renders the rows as a fixed-width text table (also valid Markdown). */
export function renderTable(rows: readonly TableRow[]): string {
  const keys = Object.keys(HEADER) as (keyof TableRow)[];
  const all = [HEADER, ...rows];
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: TableRow) =>
    `| ${keys.map((key, i) => (i === 0 ? row[key].padEnd(widths[i] ?? 0) : row[key].padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (i === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(HEADER), rule, ...rows.map(line)].join('\n');
}
