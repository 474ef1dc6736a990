import { cleanup, render, screen } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from './client';
import { RealtimeStaleBanner } from './StaleBanner';

const state = vi.hoisted(() => ({ current: 'open' as ConnectionState }));
vi.mock('./hooks', () => ({ useConnectionState: () => state.current }));

afterEach(cleanup);

function show(s: ConnectionState) {
  state.current = s;
  render(
    <MantineProvider>
      <RealtimeStaleBanner />
    </MantineProvider>,
  );
}

describe('RealtimeStaleBanner', () => {
  it.each(['open', 'connecting', 'idle'] as const)('says nothing while the data is current (%s)', (s) => {
    show(s);
    expect(screen.queryByTestId('realtime-stale')).toBeNull();
  });

  it('warns that figures may be stale while reconnecting', () => {
    show('reconnecting');
    expect(screen.getByTestId('realtime-stale')).toHaveTextContent(/may be stale until it is back/);
  });

  it('tells the user to reload once the connection is closed for good', () => {
    show('closed');
    expect(screen.getByTestId('realtime-stale')).toHaveTextContent(/reload the page/);
  });
});
