import { useCallback, useRef, useState } from 'react';

export interface InFlight<K> {
  /**
   * Start `request` unless one is already in flight; returns whether it started. The guard is a ref
   * set before the request starts (so a second click in the same tick is ignored, before any
   * re-render) and cleared when the request settles. Rejections are swallowed here: the caller's
   * mutation reports errors (onError / the global toast).
   */
  run: (key: K, request: () => Promise<unknown>) => boolean;
  /** The key of the request in flight (for the loading state of its button), or null. */
  active: K | null;
  busy: boolean;
}

/**
 * Synchronous in-flight guard for buttons that fire one request per click. A mutation's `isPending`
 * only updates after a re-render, so a double-click used to send two requests (duplicates, 409s).
 */
export function useInFlight<K = string>(): InFlight<K> {
  const inFlight = useRef(false);
  const [active, setActive] = useState<K | null>(null);
  const run = useCallback((key: K, request: () => Promise<unknown>) => {
    if (inFlight.current) return false;
    inFlight.current = true;
    setActive(() => key);
    const settle = () => {
      inFlight.current = false;
      setActive(null);
    };
    let pending: Promise<unknown>;
    try {
      pending = request();
    } catch (err) {
      settle();
      throw err;
    }
    void pending.then(settle, settle);
    return true;
  }, []);
  return { run, active, busy: active !== null };
}
