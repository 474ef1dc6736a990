import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { ConnectionState, TopicListener } from './client';
import { realtime } from './index';

/**
 * Subscribe to a realtime topic for the component's lifetime. `onMessage` may change between
 * renders without resubscribing; pass `null` as topic to subscribe to nothing.
 */
export function useTopic(topic: string | null, onMessage: TopicListener, filter?: Record<string, unknown>): void {
  const handler = useRef(onMessage);
  useEffect(() => {
    handler.current = onMessage;
  });
  const filterKey = filter ? JSON.stringify(filter) : '';
  useEffect(() => {
    if (!topic) return undefined;
    const parsed = filterKey ? (JSON.parse(filterKey) as Record<string, unknown>) : undefined;
    return realtime().subscribe(topic, (m) => handler.current(m), parsed);
  }, [topic, filterKey]);
}

/** The shared connection's state ('open', 'reconnecting', …) for status indicators. */
export function useConnectionState(): ConnectionState {
  const client = realtime();
  return useSyncExternalStore(client.onStateChange, client.getState, client.getState);
}
