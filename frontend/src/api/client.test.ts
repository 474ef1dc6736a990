import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, tokenBody } from '../test/utils';
import { createApi } from './client';
import { SESSION_EXPIRED } from './session';

const BASE = 'http://deltaplane.test';

/** A fake backend: the access token `valid` is accepted; `/refresh` is scripted per test. */
function fakeBackend(refresh: () => Response | Promise<Response>) {
  const calls: string[] = [];
  const fetch = vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname;
    calls.push(`${req.method} ${path} ${req.headers.get('Authorization') ?? '-'}`);
    if (path === '/api/auth/refresh') return refresh();
    if (path === '/api/auth/logout') return new Response(null, { status: 204 });
    if (req.headers.get('Authorization') !== 'Bearer fresh') {
      return jsonResponse(401, { error: 'unauthorized', detail: 'token expired', status_code: 401, correlation_id: 'c1' });
    }
    if (path === '/api/auth/api-keys' && req.method === 'POST') {
      const body = (await req.json()) as { name: string };
      return jsonResponse(201, { key: 'dp_x', api_key: { id: 1, name: body.name, prefix: 'dp_x', created_at: 'now', last_used_at: null, revoked_at: null } });
    }
    return jsonResponse(200, [{ id: 1, username: 'admin', role: 'admin', is_active: true, created_at: 'now', last_login_at: null }]);
  });
  return { fetch, calls };
}

const refreshCalls = (calls: string[]) => calls.filter((c) => c.startsWith('POST /api/auth/refresh')).length;
const made: { session: { dispose(): void } }[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.session.dispose();
  vi.useRealTimers();
});

function setup(refresh: () => Response | Promise<Response>) {
  const backend = fakeBackend(refresh);
  const api = createApi({ baseUrl: BASE, fetch: backend.fetch, crossTab: false });
  made.push(api);
  api.session.applyTokens(tokenBody('stale'));
  return { ...api, ...backend };
}

describe('401 → single-flight refresh → retry once', () => {
  it('two concurrent 401s trigger exactly one refresh, and both requests succeed after retry', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { api, session, calls } = setup(async () => {
      await gate; // hold the refresh so both 401s arrive while it is in flight
      return jsonResponse(200, tokenBody('fresh'));
    });
    const a = api.GET('/api/users');
    const b = api.POST('/api/auth/api-keys', { body: { name: 'ci' } });
    await vi.waitFor(() => expect(calls.filter((c) => c.includes('Bearer stale'))).toHaveLength(2));
    release();
    const [ra, rb] = await Promise.all([a, b]);

    expect(refreshCalls(calls)).toBe(1);
    expect(ra.response.status).toBe(200);
    expect(rb.response.status).toBe(201);
    expect(rb.data?.api_key.name).toBe('ci'); // the body was replayed intact
    expect(session.accessToken).toBe('fresh');
    expect(calls.filter((c) => c.includes('Bearer fresh'))).toHaveLength(2);
  });

  it('a 401 arriving after another request already refreshed retries without a second refresh', async () => {
    const { api, calls } = setup(() => jsonResponse(200, tokenBody('fresh')));
    await api.GET('/api/users');
    expect(refreshCalls(calls)).toBe(1);
    await api.GET('/api/users');
    expect(refreshCalls(calls)).toBe(1);
  });

  it('retries at most once: a 401 after the retry stands', async () => {
    const { api, calls } = setup(() => jsonResponse(200, tokenBody('still-bad')));
    const res = await api.GET('/api/users');
    expect(res.response.status).toBe(401);
    expect(refreshCalls(calls)).toBe(1);
    expect(calls.filter((c) => c.startsWith('GET /api/users'))).toHaveLength(2);
  });
});

describe('refresh failure', () => {
  it('a 401 from /refresh ends the session with a message (logout), and the request fails', async () => {
    const { api, session, calls } = setup(() =>
      jsonResponse(401, { error: 'unauthorized', detail: 'refresh token revoked', status_code: 401, correlation_id: 'c2' }),
    );
    const listener = vi.fn();
    session.subscribe(listener);
    const [r1, r2] = await Promise.all([api.GET('/api/users'), api.GET('/api/users')]);
    expect(r1.response.status).toBe(401);
    expect(r2.response.status).toBe(401);
    expect(refreshCalls(calls)).toBe(1);
    expect(session.getState()).toEqual({ status: 'anonymous', reason: SESSION_EXPIRED });
    expect(session.accessToken).toBeNull();
    expect(listener).toHaveBeenCalled();
  });

  it('a transient refresh failure (network) keeps the session', async () => {
    const { api, session } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    const res = await api.GET('/api/users');
    expect(res.response.status).toBe(401);
    expect(session.getState().status).toBe('authenticated');
  });

  it('logout() calls the server and clears the token', async () => {
    const { session, calls } = setup(() => jsonResponse(200, tokenBody('fresh')));
    await session.logout();
    expect(calls).toContain('POST /api/auth/logout -');
    expect(session.getState()).toEqual({ status: 'anonymous', reason: null });
  });
});

describe('proactive refresh', () => {
  it('refreshes shortly before expires_in', async () => {
    vi.useFakeTimers();
    const { session, calls } = setup(() => jsonResponse(200, tokenBody('fresh', 900)));
    await vi.advanceTimersByTimeAsync(839_000);
    expect(refreshCalls(calls)).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(refreshCalls(calls)).toBe(1);
    expect(session.accessToken).toBe('fresh');
  });

  it('restore() on page load: 401 means simply signed out (no message)', async () => {
    const backend = fakeBackend(() => jsonResponse(401, { error: 'unauthorized', detail: 'no refresh cookie', status_code: 401 }));
    const made2 = createApi({ baseUrl: BASE, fetch: backend.fetch, crossTab: false });
    made.push(made2);
    await made2.session.restore();
    expect(made2.session.getState()).toEqual({ status: 'anonymous', reason: null });
  });
});
