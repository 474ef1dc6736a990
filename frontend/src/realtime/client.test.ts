import { describe, expect, it, vi } from 'vitest';
import { alertToast, parseAlert } from './alerts';
import { RealtimeClient, type SocketLike } from './client';
import { wsUrl } from './index';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: Record<string, unknown>[] = [];
  closed = false;
  constructor(public url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.closed = true;
  }
  // server side helpers
  accept() {
    this.readyState = 1;
    this.onopen?.({});
    this.push({ type: 'welcome', user: 'admin', role: 'admin', heartbeat_s: 15 });
  }
  push(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let n = 0;
  const getTicket = vi.fn(async () => `t${++n}`);
  const client = new RealtimeClient({
    getTicket,
    url: (t) => `ws://h/api/ws?ticket=${t}`,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: () => 1,
    setTimeout: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimeout: () => {},
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { client, sockets, timers, getTicket, flush };
}

describe('RealtimeClient', () => {
  it('subscribes after welcome and answers ping with pong', async () => {
    const { client, sockets, flush } = setup();
    const got: unknown[] = [];
    client.subscribe('runtime:1', (m) => got.push(m));
    client.connect();
    await flush();
    expect(client.getState()).toBe('connecting');
    const s = sockets[0]!;
    expect(s.url).toBe('ws://h/api/ws?ticket=t1');
    s.accept();
    expect(client.getState()).toBe('open');
    expect(s.sent).toEqual([{ type: 'subscribe', topic: 'runtime:1' }]);
    s.push({ type: 'ping', ts: 1 });
    expect(s.sent.at(-1)).toEqual({ type: 'pong' });
    s.push({ type: 'snapshot', topic: 'runtime:1', seq: 3, data: { state: 'open' } });
    expect(got).toHaveLength(1);
    expect(client.lastSeq('runtime:1')).toBe(3);
  });

  it('reconnects with backoff and resubscribes with resume_after = last seq', async () => {
    const { client, sockets, timers, getTicket, flush } = setup();
    const events: unknown[] = [];
    client.subscribe('runtime:7', (m) => events.push(m));
    client.subscribe('alerts', () => {});
    client.connect();
    await flush();
    sockets[0]!.accept();
    sockets[0]!.push({ type: 'subscribed', topic: 'runtime:7', seq: 10 });
    sockets[0]!.push({ type: 'event', topic: 'runtime:7', seq: 11, data: { state: 'open' } });
    sockets[0]!.push({ type: 'event', topic: 'runtime:7', seq: 12, data: { tick: true } });
    sockets[0]!.drop(1006);
    expect(client.getState()).toBe('reconnecting');
    expect(timers).toHaveLength(1);
    expect(timers[0]!.ms).toBe(500);
    timers[0]!.fn();
    await flush();
    expect(getTicket).toHaveBeenCalledTimes(2);
    const s2 = sockets[1]!;
    expect(s2.url).toContain('ticket=t2');
    s2.accept();
    expect(s2.sent).toContainEqual({ type: 'subscribe', topic: 'runtime:7', resume_after: 12 });
    // alerts never saw a seq: plain subscribe (the server sends a fresh snapshot if it has one)
    expect(s2.sent).toContainEqual({ type: 'subscribe', topic: 'alerts' });
    // backoff grows while failing, and resets after a healthy connection
    s2.drop(1006);
    timers.at(-1)!.fn();
    await flush();
    sockets[2]!.drop(1006);
    expect(timers.at(-1)!.ms).toBe(1000);
  });

  it('on close 4001 fetches a new ticket and reconnects at once', async () => {
    const { client, sockets, timers, getTicket, flush } = setup();
    client.connect();
    await flush();
    sockets[0]!.drop(4001);
    await flush();
    expect(timers).toHaveLength(0);
    expect(getTicket).toHaveBeenCalledTimes(2);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.url).toContain('ticket=t2');
    // a second 4001 in a row backs off instead of hammering
    sockets[1]!.drop(4001);
    await flush();
    expect(timers).toHaveLength(1);
  });

  it('turns a sequence that went backwards (server restart) into a resync', async () => {
    const { client, sockets, timers, flush } = setup();
    const types: string[] = [];
    client.subscribe('runtime:2', (m) => types.push(m.type));
    client.connect();
    await flush();
    sockets[0]!.accept();
    sockets[0]!.push({ type: 'subscribed', topic: 'runtime:2', seq: 40 });
    sockets[0]!.drop(1012);
    timers[0]!.fn();
    await flush();
    sockets[1]!.accept();
    sockets[1]!.push({ type: 'subscribed', topic: 'runtime:2', seq: 0 });
    expect(types).toEqual(['subscribed', 'resync']);
  });

  it('unsubscribes when the last listener leaves; disconnect stops reconnecting', async () => {
    const { client, sockets, timers, flush } = setup();
    client.connect();
    await flush();
    sockets[0]!.accept();
    const off = client.subscribe('orders', () => {});
    expect(sockets[0]!.sent).toContainEqual({ type: 'subscribe', topic: 'orders' });
    off();
    expect(sockets[0]!.sent).toContainEqual({ type: 'unsubscribe', topic: 'orders' });
    client.disconnect();
    expect(sockets[0]!.closed).toBe(true);
    expect(client.getState()).toBe('closed');
    expect(timers).toHaveLength(0);
  });

  it('retries with backoff when the ticket request fails', async () => {
    const { client, timers, getTicket, flush } = setup();
    getTicket.mockRejectedValueOnce(new Error('network'));
    client.connect();
    await flush();
    expect(client.getState()).toBe('reconnecting');
    expect(timers).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('builds ws and wss URLs', () => {
    expect(wsUrl('a b', { protocol: 'http:', host: 'x:1' })).toBe('ws://x:1/api/ws?ticket=a%20b');
    expect(wsUrl('t', { protocol: 'https:', host: 'x' })).toBe('wss://x/api/ws?ticket=t');
  });
  it('maps alerts to toasts with the exit reason', () => {
    const a = parseAlert({ kind: 'exit', level: 'info', message: 'm', data: { reason: 'take_profit' } });
    expect(a && alertToast(a).title).toBe('Exited · take profit');
    const e = parseAlert({ kind: 'error', level: 'error', message: 'boom' });
    expect(e && alertToast(e)).toMatchObject({ color: 'red', autoClose: false });
    expect(parseAlert({ nope: 1 })).toBeNull();
  });
});
