import { Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { asApiError, unwrap } from '../../api/errors';
import type { UserRead } from '../../api/types';
import { notifySuccess } from '../../app/notify';

export function ResetPasswordModal({ user, onClose }: { user: UserRead | null; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: (target: UserRead) => unwrap(api.PATCH('/api/users/{user_id}', { params: { path: { user_id: target.id } }, body: { password } })),
    onSuccess: (u) => {
      notifySuccess(`Password reset for ${u.username}`);
      close();
    },
    meta: { inlineErrors: true },
  });
  const err = reset.error ? asApiError(reset.error) : null;
  function close() {
    setPassword('');
    reset.reset();
    onClose();
  }
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (user && password) reset.mutate(user);
  }
  return (
    <Modal opened={user !== null} onClose={close} title={<Text fw={650}>Reset password for {user?.username}</Text>} centered>
      <form onSubmit={onSubmit} noValidate aria-label="Reset password">
        <Stack gap="sm">
          <PasswordInput
            label="New password"
            description="At least 10 characters."
            required
            data-autofocus
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={err ? (err.fieldMessage('password') ?? err.detail) : undefined}
          />
          <Text size="xs" c="dimmed">
            Signs {user?.username} out everywhere, closes their live connections and revokes their API keys.
          </Text>
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={reset.isPending} disabled={!password}>
              Set password
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
