/**
 * The backend's one error envelope: {error, detail, status_code, correlation_id, fields?}.
 * (The OpenAPI document does not describe it as a component, so the client owns this reader.)
 */
export interface FieldMessage {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly correlationId: string | null;
  readonly fields: FieldMessage[];
  /** Seconds from a 429's Retry-After header. */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    code?: string;
    detail: string;
    correlationId?: string | null;
    fields?: FieldMessage[];
    retryAfter?: number | null;
  }) {
    super(init.detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code ?? 'error';
    this.detail = init.detail;
    this.correlationId = init.correlationId ?? null;
    this.fields = init.fields ?? [];
    this.retryAfter = init.retryAfter ?? null;
  }

  /** The message for one form field, when the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseFields(v: unknown): FieldMessage[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((f) =>
    isRecord(f) && typeof f.field === 'string' && typeof f.message === 'string' ? [{ field: f.field, message: f.message }] : [],
  );
}

function parseRetryAfter(response: Response | undefined): number | null {
  const raw = response?.headers.get('Retry-After');
  if (!raw) return null;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return Math.max(0, Math.ceil(secs));
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Build an ApiError from whatever openapi-fetch handed back as `error` plus the raw Response. */
export function toApiError(body: unknown, response: Response | undefined): ApiError {
  const status = response?.status ?? 0;
  const correlationHeader = response?.headers.get('X-Correlation-ID') ?? null;
  if (isRecord(body)) {
    const detail = typeof body.detail === 'string' && body.detail ? body.detail : `request failed (${status})`;
    return new ApiError({
      status,
      code: typeof body.error === 'string' ? body.error : 'error',
      detail,
      correlationId: typeof body.correlation_id === 'string' ? body.correlation_id : correlationHeader,
      fields: parseFields(body.fields),
      retryAfter: parseRetryAfter(response),
    });
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 300) : '';
  return new ApiError({
    status,
    detail: text || (status ? `request failed (${status} ${response?.statusText ?? ''})`.trim() : 'network error: the server did not answer'),
    correlationId: correlationHeader,
    retryAfter: parseRetryAfter(response),
  });
}

/** Any thrown value as an ApiError (network failures become status 0). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({ status: 0, code: 'network_error', detail: `network error: ${message}` });
}

/**
 * Unwrap an openapi-fetch result: return `data`, or throw an ApiError.
 * Usage: `queryFn: () => unwrap(api.GET('/api/users'))`.
 */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (err) {
    throw asApiError(err);
  }
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.error, result.response);
  return result.data as T;
}
