import { api, session, unwrap } from '../api';
import { RealtimeClient } from './client';

export type { ConnectionState, TopicMessage, TopicListener } from './client';
export { RealtimeClient } from './client';

export function wsUrl(ticket: string, loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/ws?ticket=${encodeURIComponent(ticket)}`;
}

let shared: RealtimeClient | null = null;

/**
 * The app's one realtime connection, created on first use. It connects while a user is signed
 * in and disconnects on sign-out (following the session store).
 */
export function realtime(): RealtimeClient {
  if (shared) return shared;
  const client = new RealtimeClient({
    getTicket: async () => {
      const body = (await unwrap(api.POST('/api/auth/ws-ticket'))) as unknown as { ticket?: unknown };
      if (typeof body?.ticket !== 'string') throw new Error('no ticket in the ws-ticket answer');
      return body.ticket;
    },
    url: (ticket) => wsUrl(ticket),
  });
  const follow = () => {
    if (session.getState().status === 'authenticated') client.connect();
    else if (session.getState().status === 'anonymous') client.disconnect();
  };
  session.subscribe(follow);
  follow();
  shared = client;
  return client;
}
