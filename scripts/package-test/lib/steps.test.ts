import { describe, expect, it } from 'vitest';
import { formatDuration, formatReport, SkipStep, StepRunner } from './steps.js';

describe('StepRunner', () => {
  it('records passes, failures with their first line, skips, and steps whose needs failed', async () => {
    const printed: string[] = [];
    const runner = new StepRunner((text) => printed.push(text));
    await runner.run('pack', [], async () => '5 tarballs');
    await runner.run('install', ['pack'], async () => {
      throw new Error('npm install exited with 1\nthe log');
    });
    await runner.run('run-shop', ['install'], async () => 'never');
    await runner.run('postgres', [], async () => {
      throw new SkipStep('no server');
    });
    expect(runner.results.map(({ name, status, detail }) => ({ name, status, detail }))).toEqual([
      { name: 'pack', status: 'passed', detail: '5 tarballs' },
      { name: 'install', status: 'failed', detail: 'npm install exited with 1' },
      { name: 'run-shop', status: 'skipped', detail: 'needs install, which did not pass' },
      { name: 'postgres', status: 'skipped', detail: 'no server' },
    ]);
    expect(runner.failures()).toEqual(['install']);
    expect(printed.join('\n')).toContain('the log');
  });
});

describe('the report', () => {
  it('is a table of step, result, time and detail', () => {
    const table = formatReport([
      { name: 'pack', status: 'passed', detail: '5 tarballs', ms: 4200 },
      { name: 'link express', status: 'skipped', detail: 'needs run-shop express', ms: 0 },
      { name: 'attw', status: 'failed', detail: 'x'.repeat(200), ms: 61_000 },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('step          result  time        detail');
    expect(lines[2]).toBe('pack          pass    4.2 s       5 tarballs');
    expect(lines[3]).toBe('link express  skip                needs run-shop express');
    expect(lines[4]).toMatch(/^attw {10}FAIL {4}1 min 01 s {2}x{99}…$/);
  });

  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
  });
});
