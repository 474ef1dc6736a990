import { useSyncExternalStore } from 'react';
import { session } from '../../api';
import type { SessionState } from '../../api/session';
import type { UserRead } from '../../api/types';

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getState, session.getState);
}

/** The signed-in user (only call below <RequireAuth>). */
export function useCurrentUser(): UserRead {
  const state = useSession();
  if (state.status !== 'authenticated') throw new Error('useCurrentUser outside an authenticated area');
  return state.user;
}
