/**
 * Typed API client (openapi-fetch over the GENERATED src/api/schema.d.ts).
 *
 * `createApi()` wires three things: a `raw` client for the auth endpoints, the `SessionStore`,
 * and the `api` client whose middleware adds the bearer token and, on a 401, awaits the shared
 * (single-flight) refresh and retries the request exactly once.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { unwrap } from './errors';
import type { paths } from './schema';
import { SessionStore, type SessionOptions } from './session';

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** Endpoints that must never carry a bearer token or trigger a refresh-and-retry. */
const AUTH_FLOW = new Set(['/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);

export function authMiddleware(session: SessionStore, fetchImpl: (req: Request) => Promise<Response>): Middleware {
  const replay = new Map<string, Request>();
  return {
    onRequest({ request, id, schemaPath }) {
      if (AUTH_FLOW.has(schemaPath)) return undefined;
      const token = session.accessToken;
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      // Keep an unread copy: the body of `request` is consumed by the first attempt.
      replay.set(id, request.clone());
      return request;
    },
    async onResponse({ response, id, schemaPath }) {
      const copy = replay.get(id);
      replay.delete(id);
      if (response.status !== 401 || !copy || AUTH_FLOW.has(schemaPath)) return undefined;
      const sentWith = copy.headers.get('Authorization');
      const current = session.accessToken;
      // Another request already refreshed while this one was in flight: just retry.
      const token = current && `Bearer ${current}` !== sentWith ? current : await session.refresh();
      if (!token) return undefined; // refresh failed: the original 401 stands
      copy.headers.set('Authorization', `Bearer ${token}`);
      return fetchImpl(copy);
    },
    onError({ id }) {
      replay.delete(id);
      return undefined;
    },
  };
}

export interface CreateApiOptions extends SessionOptions {
  baseUrl?: string;
  fetch?: (req: Request) => Promise<Response>;
}

export function createApi(options: CreateApiOptions = {}) {
  const baseUrl = options.baseUrl ?? (typeof window !== 'undefined' ? window.location.origin : '');
  const fetchImpl = options.fetch ?? ((req: Request) => globalThis.fetch(req));
  const raw = createClient<paths>({ baseUrl, fetch: fetchImpl, credentials: 'same-origin' });
  const session = new SessionStore(
    {
      refresh: () => unwrap(raw.POST('/api/auth/refresh')),
      logout: async () => {
        await raw.POST('/api/auth/logout');
      },
    },
    options,
  );
  const api = createClient<paths>({ baseUrl, fetch: fetchImpl, credentials: 'same-origin' });
  api.use(authMiddleware(session, fetchImpl));
  return { api, raw, session, baseUrl };
}
