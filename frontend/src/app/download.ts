/**
 * CSV downloads shared by every export (analytics, logs, sessions): read a streamed response
 * with a byte count, name it as the server said (Content-Disposition), hand it to the browser.
 */
import { toApiError } from '../api/errors';

/** The filename of a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function filenameFromDisposition(header: string | null | undefined, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1]) {
    try {
      return sanitize(decodeURIComponent(star[1].trim())) || fallback;
    } catch {
      /* fall through */
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(header);
  if (quoted?.[1]) return sanitize(quoted[1].replace(/\\(.)/g, '$1')) || fallback;
  const bare = /filename\s*=\s*([^;]+)/.exec(header);
  if (bare?.[1]) return sanitize(bare[1].trim()) || fallback;
  return fallback;
}

function sanitize(name: string): string {
  // never let a header pick a directory
  return name.replace(/[/\\]/g, '_').trim();
}

/** Read a body stream to the end, reporting the total bytes after each chunk. */
export async function readWithProgress(
  body: ReadableStream<Uint8Array>,
  onProgress: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      if (signal?.aborted) {
        await reader.cancel();
        throw new DOMException('export cancelled', 'AbortError');
      }
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      onProgress(bytes);
    }
  } finally {
    reader.releaseLock();
  }
  return chunks;
}

export interface CsvFile {
  blob: Blob;
  filename: string;
}

/** Turn an openapi-fetch `parseAs: 'stream'` result into the CSV file (throws ApiError on a 4xx/5xx). */
export async function csvFromStreamResult(
  result: { response: Response; error?: unknown },
  fallbackName: string,
  onProgress: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<CsvFile> {
  const { response } = result;
  if (!response.ok || result.error !== undefined) throw toApiError(result.error, response);
  const filename = filenameFromDisposition(response.headers.get('Content-Disposition'), fallbackName);
  const chunks = response.body ? await readWithProgress(response.body, onProgress, signal) : [];
  return { blob: new Blob(chunks as BlobPart[], { type: 'text/csv;charset=utf-8' }), filename };
}

/** Trigger a browser download of `blob` as `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // give the browser time to start the download before revoking
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** "12.3 kB" style byte count. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
