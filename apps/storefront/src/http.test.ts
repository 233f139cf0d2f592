import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FORM_BYTES, readBodyText } from './http.js';
import { createTestShop, TEST_ORIGIN, type TestShop } from './test-support.js';

/** A body of `chunks` pieces of 16 KiB, with no length declared (chunked), counting what is pulled. */
function endlessForm(chunks: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const piece = new TextEncoder().encode(`a=${'x'.repeat(16 * 1024 - 2)}`);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) {
        controller.close();
        return;
      }
      pulled++;
      controller.enqueue(piece);
    },
  });
  return { body, pulled: () => pulled };
}

describe('readBodyText', () => {
  it('stops reading a body without Content-Length once it passes the limit', async () => {
    const { body, pulled } = endlessForm(1024);
    const request = new Request(`${TEST_ORIGIN}/`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await readBodyText(request, MAX_FORM_BYTES)).toBeUndefined();
    // Two pieces make 32 KiB > 16 KiB: it stopped there, not after 16 MiB. The stream's own
    // read-ahead may pull one more.
    expect(pulled()).toBeLessThanOrEqual(3);
    // Unlocked, not cancelled: the server can still read and discard the rest before answering.
    expect(request.body?.locked).toBe(false);
  });

  it('reads a body within the limit, declared or not', async () => {
    const { body } = endlessForm(0);
    const empty = new Request(`${TEST_ORIGIN}/`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await readBodyText(empty, MAX_FORM_BYTES)).toBe('');
    const small = new Request(`${TEST_ORIGIN}/`, { method: 'POST', body: 'a=1&b=%C3%A9' });
    expect(await readBodyText(small, MAX_FORM_BYTES)).toBe('a=1&b=%C3%A9');
  });

  it('refuses a declared Content-Length above the limit without reading', async () => {
    const { body, pulled } = endlessForm(4);
    const request = new Request(`${TEST_ORIGIN}/`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-length': String(MAX_FORM_BYTES + 1) },
    } as RequestInit);
    expect(await readBodyText(request, MAX_FORM_BYTES)).toBeUndefined();
    // At most the piece the stream pulls by itself when it is made; nothing read.
    expect(pulled()).toBeLessThanOrEqual(1);
  });
});

describe('a form post of unbounded length', () => {
  let testShop: TestShop;
  beforeAll(async () => {
    testShop = await createTestShop();
  });
  afterAll(async () => {
    await testShop.close();
  });

  it('gets 413 after reading no more than the limit, not the whole body', async () => {
    const { body, pulled } = endlessForm(1024);
    const response = await testShop.shop.app.request(`${TEST_ORIGIN}/signin`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: TEST_ORIGIN },
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(pulled()).toBeLessThanOrEqual(3);
  });
});
