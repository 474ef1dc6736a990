import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useInFlight } from './useInFlight';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('useInFlight', () => {
  it('ignores a second start while the first request is in flight, even in the same tick', async () => {
    const { result } = renderHook(() => useInFlight<'pause' | 'stop'>());
    const first = deferred();
    const request = vi.fn(() => first.promise);
    let started: boolean[] = [];
    act(() => {
      // both before any re-render: only the ref can tell
      started = [result.current.run('pause', request), result.current.run('stop', request)];
    });
    expect(started).toEqual([true, false]);
    expect(request).toHaveBeenCalledTimes(1);
    expect(result.current.active).toBe('pause');
    expect(result.current.busy).toBe(true);

    await act(async () => first.resolve());
    await waitFor(() => expect(result.current.busy).toBe(false));
    expect(result.current.active).toBeNull();
    act(() => void result.current.run('stop', () => Promise.resolve()));
    await waitFor(() => expect(result.current.busy).toBe(false));
  });

  it('clears the guard when the request fails (the rejection is left to the mutation to report)', async () => {
    const { result } = renderHook(() => useInFlight());
    const first = deferred();
    act(() => void result.current.run('clone', () => first.promise));
    expect(result.current.busy).toBe(true);
    await act(async () => first.reject(new Error('409')));
    await waitFor(() => expect(result.current.busy).toBe(false));
    const again = vi.fn(() => Promise.resolve());
    act(() => void result.current.run('clone', again));
    expect(again).toHaveBeenCalledTimes(1);
  });

  it('clears the guard when starting the request throws', () => {
    const { result } = renderHook(() => useInFlight());
    expect(() =>
      act(() => {
        result.current.run('x', () => {
          throw new Error('boom');
        });
      }),
    ).toThrow('boom');
    expect(result.current.busy).toBe(false);
    const again = vi.fn(() => Promise.resolve());
    act(() => void result.current.run('x', again));
    expect(again).toHaveBeenCalledTimes(1);
  });
});
