import { describe, expect, it } from 'vitest';
import { formatCheckReport, formatCheckReportJson } from './format.js';
import { runChecks } from './run-checks.js';
import type { Check, CheckOutcome } from './types.js';

function check(id: string, outcome: CheckOutcome | Error, needs?: string[]): Check & { runs: number } {
  const made = {
    id,
    runs: 0,
    ...(needs ? { needs } : {}),
    async run() {
      made.runs++;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return made;
}

describe('runChecks', () => {
  it('reports every line in order, ok only when all pass', async () => {
    const passing = await runChecks([
      check('a', { status: 'pass', summary: 'fine' }),
      check('b', { status: 'pass', summary: 'also fine' }),
    ]);
    expect(passing).toEqual({
      ok: true,
      checks: [
        { id: 'a', ok: true, summary: 'fine' },
        { id: 'b', ok: true, summary: 'also fine' },
      ],
    });
    const failing = await runChecks([
      check('a', { status: 'pass', summary: 'fine' }),
      check('b', { status: 'fail', summary: 'broken', fix: 'mend it' }),
    ]);
    expect(failing.ok).toBe(false);
    expect(failing.checks[1]).toEqual({ id: 'b', ok: false, summary: 'broken', fix: 'mend it' });
  });

  it('skips, without running it, a check whose prerequisite did not pass, and says which', async () => {
    const dependent = check('c', { status: 'pass', summary: 'would pass' }, ['a', 'b']);
    const transitively = check('d', { status: 'pass', summary: 'would pass' }, ['c']);
    const report = await runChecks([
      check('a', { status: 'pass', summary: 'fine' }),
      check('b', { status: 'fail', summary: 'broken', fix: 'mend it' }),
      dependent,
      transitively,
    ]);
    expect(dependent.runs).toBe(0);
    expect(transitively.runs).toBe(0);
    expect(report.checks.slice(2)).toEqual([
      { id: 'c', ok: false, summary: 'not checked: needs b, which did not pass', skipped: true },
      { id: 'd', ok: false, summary: 'not checked: needs c, which did not pass', skipped: true },
    ]);
  });

  it('turns a check that throws into a failed line and runs the rest', async () => {
    const after = check('after', { status: 'pass', summary: 'ran' });
    const report = await runChecks([check('boom', new Error('kaput')), after]);
    expect(report.checks[0]).toMatchObject({ id: 'boom', ok: false });
    expect(report.checks[0]?.summary).toContain('kaput');
    expect(report.checks[0]?.fix).toBeTruthy();
    expect(after.runs).toBe(1);
  });

  it('refuses a list with a repeated id or a need that does not run first', async () => {
    await expect(
      runChecks([check('a', { status: 'pass', summary: '' }), check('a', { status: 'pass', summary: '' })]),
    ).rejects.toThrow(/Two checks have the id "a"/);
    await expect(
      runChecks([
        check('b', { status: 'pass', summary: '' }, ['a']),
        check('a', { status: 'pass', summary: '' }),
      ]),
    ).rejects.toThrow(/needs "a"/);
  });
});

describe('formatting a report', () => {
  const report = {
    ok: false,
    checks: [
      { id: 'config', ok: true, summary: 'fine' },
      { id: 'redirect-uri', ok: false, summary: 'broken', fix: 'mend it' },
      { id: 'pkce', ok: false, summary: 'not checked: needs redirect-uri', skipped: true as const },
    ],
  };

  it('as text: a line each, the fix beneath its line, aligned, and a count', () => {
    expect(formatCheckReport(report)).toBe(
      [
        'PASS  config        fine',
        'FAIL  redirect-uri  broken',
        '                    fix: mend it',
        'SKIP  pkce          not checked: needs redirect-uri',
        '',
        '1 failed, 1 not checked, 1 passed',
        '',
      ].join('\n'),
    );
  });

  it('as JSON: { ok, checks: [{ id, ok, summary, fix?, skipped? }] }', () => {
    const parsed = JSON.parse(formatCheckReportJson(report)) as unknown;
    expect(parsed).toEqual(report);
    expect(Object.keys((parsed as typeof report).checks[1] ?? {})).toEqual(['id', 'ok', 'summary', 'fix']);
  });
});
