import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redactSecrets('a-SECRET b-SECRET c-OTHER', ['SECRET', 'OTHER'])).toBe(
      'a-[redacted] b-[redacted] c-[redacted]',
    );
  });

  it('removes a secret that contains another one whole', () => {
    expect(redactSecrets('token abc123', ['abc', 'abc123'])).toBe('token [redacted]');
  });

  it('ignores empty secrets', () => {
    expect(redactSecrets('plain', [''])).toBe('plain');
  });

  it('turns control characters into spaces so that a message stays one line', () => {
    expect(redactSecrets('line1\nline2\r\u0000', [])).toBe('line1 line2  ');
  });

  it('cuts long texts to 300 characters', () => {
    const result = redactSecrets('x'.repeat(1_000), []);
    expect(result).toBe(`${'x'.repeat(300)}…`);
  });
});
