import { describe, expect, it } from 'vitest';
import { filenameFromDisposition, formatBytes, readWithProgress } from './download';

const FALLBACK = 'analytics-export.csv';

describe('export helpers', () => {
  it('reads the filename from Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="analytics-export-20250106-120000.csv"', FALLBACK)).toBe('analytics-export-20250106-120000.csv');
    expect(filenameFromDisposition('attachment; filename=plain.csv', FALLBACK)).toBe('plain.csv');
    expect(filenameFromDisposition("attachment; filename=\"a.csv\"; filename*=UTF-8''b%20c.csv", FALLBACK)).toBe('b c.csv');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', FALLBACK)).toBe('.._.._etc_passwd');
    expect(filenameFromDisposition(null, FALLBACK)).toBe('analytics-export.csv');
    expect(filenameFromDisposition('attachment', FALLBACK)).toBe('analytics-export.csv');
  });

  it('reports bytes as the stream arrives', async () => {
    const enc = new TextEncoder();
    const parts = ['section,field,value\r\n', 'metrics,net_pnl,67.25\r\n', 'x'.repeat(2000)];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p));
        c.close();
      },
    });
    const seen: number[] = [];
    const chunks = await readWithProgress(body, (b) => seen.push(b));
    expect(chunks).toHaveLength(3);
    expect(seen).toEqual([21, 44, 2044]);
  });

  it('formats byte counts', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 kB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});
