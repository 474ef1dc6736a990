import { describe, expect, it, vi } from 'vitest';
import { session } from '../api';
import { tokenBody } from '../test/utils';
import { flushClientErrors, reportClientError } from './errorReporter';

describe('reportClientError', () => {
  it('batches errors into one POST /api/logs/batch with the bearer token, and ignores a 404', async () => {
    session.applyTokens(tokenBody('tok-9'));
    const fetch = vi.fn(async () => new Response('{"error":"not_found"}', { status: 404 }));
    reportClientError(new Error('boom'));
    reportClientError('plain message', 'unhandled_rejection');
    await expect(flushClientErrors(fetch as unknown as typeof globalThis.fetch)).resolves.toBeUndefined();
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/logs/batch');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok-9');
    const body = JSON.parse(init.body as string) as { entries: { message: string; event: string; level: string }[] };
    expect(body.entries.map((e) => [e.event, e.message])).toEqual([
      ['client_error', 'Error: boom'],
      ['unhandled_rejection', 'plain message'],
    ]);
    // nothing left to send
    await flushClientErrors(fetch as unknown as typeof globalThis.fetch);
    expect(fetch).toHaveBeenCalledTimes(1);
    session.end(null, false);
  });

  it('never throws when offline', async () => {
    reportClientError(new Error('x'));
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(flushClientErrors(fetch as unknown as typeof globalThis.fetch)).resolves.toBeUndefined();
  });
});

describe('fitEntry', () => {
  it('keeps entries under the server per-entry limit (UTF-8 bytes), trimming the stack first', async () => {
    const { fitEntry, MAX_ENTRY_BYTES } = await import('./errorReporter');
    const entry = {
      timestamp: new Date().toISOString(),
      level: 'ERROR' as const,
      logger: 'browser',
      event: 'client_error',
      message: 'Error: ' + 'é'.repeat(1500),
      stack: '→ at frame\n'.repeat(2000),
      url: '/logs',
      user_agent: 'test',
    };
    fitEntry(entry);
    expect(new TextEncoder().encode(JSON.stringify(entry)).length).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(entry.message).toBe('Error: ' + 'é'.repeat(1500)); // message kept whole
    expect(entry.level).toBe('ERROR');
  });
});
