/**
 * One shared WebSocket to `/api/ws` (see backend realtime/controllers.py + hub.py).
 *
 * - Auth: a short-lived single-use ticket from `POST /api/auth/ws-ticket`, passed as `?ticket=`.
 *   Close code 4001 (bad/used/expired ticket) → fetch a fresh ticket and reconnect at once.
 * - Topics: `subscribe(topic, listener, filter?)`; every live topic is (re)subscribed after each
 *   `welcome`. After a reconnect a topic is resubscribed with `resume_after = last seq seen`, so
 *   the hub replays what was missed (or says `resync`, and listeners refetch over HTTP).
 * - Heartbeat: the server's `{type:"ping"}` is answered with `{type:"pong"}`.
 * - Reconnect: exponential backoff with jitter (0.5 s → 15 s), reset after a healthy connection.
 */

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface TopicMessage {
  type: 'subscribed' | 'snapshot' | 'event' | 'resync';
  topic: string;
  seq?: number;
  data?: unknown;
}

export type TopicListener = (message: TopicMessage) => void;

/** The subset of the browser WebSocket the client uses (a fake implements it in tests). */
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RealtimeOptions {
  /** Returns a fresh single-use ticket (POST /api/auth/ws-ticket). */
  getTicket: () => Promise<string>;
  /** Full ws(s):// URL for a ticket. */
  url: (ticket: string) => string;
  createSocket?: (url: string) => SocketLike;
  /** Backoff base and cap in ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** 0..1 random source for jitter (tests pass () => 0). */
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

interface TopicEntry {
  listeners: Set<TopicListener>;
  filter?: Record<string, unknown>;
  /** Highest seq seen (subscribed/snapshot/event); null = never subscribed on a live socket. */
  lastSeq: number | null;
}

const OPEN = 1;
export const CLOSE_BAD_TICKET = 4001;

export class RealtimeClient {
  private readonly opts: Required<Omit<RealtimeOptions, 'createSocket'>> & { createSocket: (url: string) => SocketLike };
  private socket: SocketLike | null = null;
  private state: ConnectionState = 'idle';
  private readonly stateListeners = new Set<() => void>();
  private readonly topics = new Map<string, TopicEntry>();
  private attempt = 0;
  private timer: unknown = null;
  private wanted = false;
  /** Bumped on every connect/disconnect so stale async work (ticket fetch, old socket) is ignored. */
  private generation = 0;
  private welcomed = false;

  constructor(options: RealtimeOptions) {
    this.opts = {
      backoffBaseMs: 500,
      backoffMaxMs: 15_000,
      random: Math.random,
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      ...options,
    };
  }

  // --- connection state ----------------------------------------------------------------------
  getState = (): ConnectionState => this.state;

  onStateChange = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  private setState(next: ConnectionState): void {
    if (next === this.state) return;
    this.state = next;
    for (const l of [...this.stateListeners]) l();
  }

  /** Start (or keep) a connection. Idempotent. */
  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    void this.open();
  }

  /** Close and stop reconnecting (sign-out). Topic listeners stay registered; seqs are forgotten. */
  disconnect(): void {
    this.wanted = false;
    this.generation += 1;
    this.clearTimer();
    const s = this.socket;
    this.socket = null;
    this.welcomed = false;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.onerror = null;
      s.onopen = null;
      try {
        s.close(1000, 'client disconnect');
      } catch {
        /* already closed */
      }
    }
    for (const entry of this.topics.values()) entry.lastSeq = null;
    this.setState(this.wanted ? 'reconnecting' : 'closed');
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.opts.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimer();
    this.setState(this.attempt === 0 && this.state !== 'reconnecting' ? 'connecting' : 'reconnecting');
    let ticket: string;
    try {
      ticket = await this.opts.getTicket();
    } catch {
      if (gen === this.generation && this.wanted) this.scheduleReconnect();
      return;
    }
    if (gen !== this.generation || !this.wanted) return;
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url(ticket));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.welcomed = false;
    socket.onmessage = (ev) => {
      if (gen === this.generation) this.handle(ev.data);
    };
    socket.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.socket = null;
      this.welcomed = false;
      if (!this.wanted) {
        this.setState('closed');
        return;
      }
      if (ev.code === CLOSE_BAD_TICKET) {
        // The ticket was missing, used or expired: a new one, right away (once; then back off).
        if (this.attempt === 0) {
          this.attempt = 1;
          void this.open();
          return;
        }
      }
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      /* onclose follows and decides */
    };
  }

  private scheduleReconnect(): void {
    if (!this.wanted) return;
    this.clearTimer();
    this.setState('reconnecting');
    const n = this.attempt;
    this.attempt += 1;
    const exp = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** n);
    const delay = Math.round(exp * (0.5 + 0.5 * this.opts.random()));
    this.timer = this.opts.setTimeout(() => {
      this.timer = null;
      void this.open();
    }, delay);
  }

  /** Delay the next reconnect would wait (for tests and the status tooltip). */
  backoffFor(attempt: number): number {
    return Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** attempt);
  }

  private send(message: Record<string, unknown>): void {
    const s = this.socket;
    if (s && s.readyState === OPEN && this.welcomed) s.send(JSON.stringify(message));
  }

  private sendSubscribe(topic: string, entry: TopicEntry): void {
    const msg: Record<string, unknown> = { type: 'subscribe', topic };
    if (entry.filter) msg.filter = entry.filter;
    if (entry.lastSeq !== null) msg.resume_after = entry.lastSeq;
    this.send(msg);
  }

  private handle(raw: unknown): void {
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      if (typeof parsed !== 'object' || parsed === null) return;
      msg = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        this.attempt = 0;
        this.setState('open');
        for (const [topic, entry] of this.topics) this.sendSubscribe(topic, entry);
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'subscribed':
      case 'snapshot':
      case 'event':
      case 'resync':
        this.dispatch(msg as unknown as TopicMessage);
        return;
      default:
        return; // pong, error, unsubscribed: nothing to do
    }
  }

  private dispatch(msg: TopicMessage): void {
    const entry = this.topics.get(msg.topic);
    if (!entry) return;
    const seq = typeof msg.seq === 'number' ? msg.seq : null;
    let out: TopicMessage = msg;
    if (msg.type === 'subscribed' && seq !== null && entry.lastSeq !== null && seq < entry.lastSeq) {
      // The server restarted (its sequence went back): what we hold is stale → refetch.
      out = { type: 'resync', topic: msg.topic, seq };
    }
    if (seq !== null) {
      if (msg.type === 'event') entry.lastSeq = Math.max(entry.lastSeq ?? 0, seq);
      else entry.lastSeq = seq;
    }
    for (const l of [...entry.listeners]) {
      try {
        l(out);
      } catch (err) {
        console.error('realtime listener failed', err);
      }
    }
  }

  /** Listen to a topic; returns the unsubscribe function. */
  subscribe(topic: string, listener: TopicListener, filter?: Record<string, unknown>): () => void {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { listeners: new Set(), filter, lastSeq: null };
      this.topics.set(topic, entry);
      entry.listeners.add(listener);
      this.sendSubscribe(topic, entry);
    } else {
      entry.listeners.add(listener);
    }
    const e = entry;
    return () => {
      e.listeners.delete(listener);
      if (e.listeners.size === 0 && this.topics.get(topic) === e) {
        this.topics.delete(topic);
        this.send({ type: 'unsubscribe', topic });
      }
    };
  }

  /** Last seq seen on a topic (tests, diagnostics). */
  lastSeq(topic: string): number | null {
    return this.topics.get(topic)?.lastSeq ?? null;
  }
}
