import { Alert, Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, session } from '../../api';
import { ApiError, asApiError, unwrap } from '../../api/errors';
import { PASSWORD_CHANGED } from '../../api/session';
import { useSession } from '../auth/useSession';

/** POST /api/auth/password; on success every session is revoked, so we sign in again. */
export function ChangePasswordForm({ onCancel }: { onCancel?: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const state = useSession();
  const username = state.status === 'authenticated' ? state.user.username : '';
  const mutation = useMutation({
    mutationFn: () => unwrap(api.POST('/api/auth/password', { body: { current_password: current, new_password: next } })),
    onSuccess: () => session.end(PASSWORD_CHANGED),
    meta: { inlineErrors: true },
  });
  const err: ApiError | null = mutation.error ? asApiError(mutation.error) : null;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (next !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    mutation.mutate();
  }

  const fieldErr = (f: string) => err?.fieldMessage(f);
  return (
    <form onSubmit={onSubmit} noValidate aria-label="Change password">
      <Stack gap="sm" maw={420}>
        {/* lets password managers file the new password under the right account */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        {err && !fieldErr('current_password') && !fieldErr('new_password') && (
          <Alert color="red" role="alert">
            <Text size="sm">{err.detail}</Text>
            {err.correlationId && (
              <Text size="xs" c="dimmed" ff="monospace">
                ref {err.correlationId}
              </Text>
            )}
          </Alert>
        )}
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          error={fieldErr('current_password') && `Current password ${fieldErr('current_password')}`}
        />
        <PasswordInput
          label="New password"
          description="At least 10 characters."
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={fieldErr('new_password') && `New password ${fieldErr('new_password')}`}
        />
        <PasswordInput
          label="Confirm new password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.currentTarget.value)}
          error={mismatch ? 'Does not match the new password' : undefined}
        />
        <Text size="xs" c="dimmed">
          Changing your password signs you out everywhere, including this browser, closes your live connections and revokes
          your API keys (scripts using them need a new key).
        </Text>
        <Group gap="sm">
          <Button type="submit" loading={mutation.isPending} disabled={!current || !next || !confirm}>
            Change password
          </Button>
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
        </Group>
      </Stack>
    </form>
  );
}
