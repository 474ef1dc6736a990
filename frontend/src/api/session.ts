/**
 * The browser session: the access token lives in memory only (never localStorage); the refresh
 * token is an httpOnly cookie the backend rotates on POST /api/auth/refresh.
 *
 * - `refresh()` is SINGLE-FLIGHT: concurrent callers (e.g. several requests that all got 401)
 *   share one in-flight refresh promise, so the server sees exactly one rotation.
 * - A refresh answered 401/403 ends the session (back to the login page with `reason`).
 *   Transient failures (network, 5xx) keep the session and retry the proactive refresh later.
 * - A timer refreshes proactively shortly before `expires_in` runs out.
 * - Across tabs: refreshes are serialized with the Web Locks API when available, and a sign-out
 *   in one tab signs out the others (BroadcastChannel).
 */
import { ApiError, asApiError } from './errors';
import type { TokenResponse, UserRead } from './types';

export type SessionState =
  | { status: 'unknown' }
  | { status: 'anonymous'; reason: string | null }
  | { status: 'authenticated'; user: UserRead; expiresAt: number };

export interface AuthEndpoints {
  /** POST /api/auth/refresh; throws ApiError on failure. */
  refresh(): Promise<TokenResponse>;
  /** POST /api/auth/logout; best effort. */
  logout(): Promise<void>;
}

export interface SessionOptions {
  now?: () => number;
  /** Use the Web Locks API / BroadcastChannel when present (default true). */
  crossTab?: boolean;
}

export const SESSION_EXPIRED = 'Your session has expired. Please sign in again.';
export const PASSWORD_CHANGED = 'Password changed. Sign in again with your new password.';
const SIGNED_OUT_ELSEWHERE = 'You signed out in another tab.';
const RETRY_TRANSIENT_MS = 15_000;

type Listener = () => void;

export class SessionStore {
  private state: SessionState = { status: 'unknown' };
  private token: string | null = null;
  private inflight: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<Listener>();
  private readonly now: () => number;
  private readonly channel: BroadcastChannel | null;
  private readonly useLocks: boolean;

  constructor(
    private readonly endpoints: AuthEndpoints,
    options: SessionOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    const crossTab = options.crossTab ?? true;
    this.useLocks = crossTab && typeof navigator !== 'undefined' && 'locks' in navigator && !!navigator.locks;
    this.channel = crossTab && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('deltaplane-auth') : null;
    this.channel?.addEventListener('message', (ev: MessageEvent) => {
      if (ev.data === 'logout' && this.state.status === 'authenticated') this.end(SIGNED_OUT_ELSEWHERE, false);
    });
  }

  // ---- observable state (for useSyncExternalStore) ----
  getState = (): SessionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get accessToken(): string | null {
    return this.token;
  }

  private set(next: SessionState): void {
    this.state = next;
    for (const l of [...this.listeners]) l();
  }

  // ---- transitions ----
  /** Store the tokens from a login or refresh answer and schedule the proactive refresh. */
  applyTokens(body: TokenResponse): void {
    this.token = body.access_token;
    const expiresAt = this.now() + body.expires_in * 1000;
    this.set({ status: 'authenticated', user: body.user, expiresAt });
    this.schedule(body.expires_in);
  }

  updateUser(user: UserRead): void {
    if (this.state.status === 'authenticated') this.set({ ...this.state, user });
  }

  /** Refresh the access token. Single-flight: concurrent callers share one request. */
  refresh(): Promise<string | null> {
    if (!this.inflight) {
      this.inflight = this.doRefresh().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** Page load: restore the session from the refresh cookie, if any. */
  async restore(): Promise<void> {
    if (this.state.status === 'authenticated') return;
    try {
      const body = await this.withLock(() => this.endpoints.refresh());
      this.applyTokens(body);
    } catch (err) {
      const e = asApiError(err);
      // 401 = simply not signed in; anything else deserves a word on the login page.
      this.end(e.status === 401 || e.status === 403 ? null : `Cannot restore your session: ${e.detail}`, false);
    }
  }

  /** Sign out on the server (best effort) and locally. */
  async logout(reason: string | null = null): Promise<void> {
    try {
      await this.endpoints.logout();
    } catch {
      /* the local sign-out happens regardless */
    }
    this.end(reason, true);
  }

  /** End the session locally (no server call): e.g. after a password change revoked all sessions. */
  end(reason: string | null, broadcast = true): void {
    this.token = null;
    this.clearTimer();
    this.set({ status: 'anonymous', reason });
    if (broadcast) this.channel?.postMessage('logout');
  }

  dispose(): void {
    this.clearTimer();
    this.channel?.close();
    this.listeners.clear();
  }

  // ---- internals ----
  private async doRefresh(): Promise<string | null> {
    try {
      const body = await this.withLock(() => this.endpoints.refresh());
      this.applyTokens(body);
      return body.access_token;
    } catch (err) {
      const e = asApiError(err);
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        this.end(this.state.status === 'authenticated' ? SESSION_EXPIRED : null, false);
      } else if (this.state.status === 'authenticated') {
        // Transient: keep the session, try again soon (the token may still be valid).
        this.clearTimer();
        this.timer = setTimeout(() => void this.refresh(), RETRY_TRANSIENT_MS);
      }
      return null;
    }
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.useLocks) return fn();
    return navigator.locks.request('deltaplane-auth-refresh', fn) as Promise<T>;
  }

  private schedule(expiresIn: number): void {
    this.clearTimer();
    // Refresh a little before expiry: 60 s early, or 20% early for short-lived tokens.
    const lead = Math.min(60, expiresIn * 0.2);
    const delayMs = Math.max(1, expiresIn - lead) * 1000;
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
