import { Alert, Button, Group, Modal, PasswordInput, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { asApiError, unwrap } from '../../api/errors';
import type { Role } from '../../api/types';
import { notifySuccess } from '../../app/notify';
import { USERS } from './keys';
import { MIN_PASSWORD_LENGTH, newUserProblems } from './validation';

export function CreateUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [local, setLocal] = useState<{ username?: string; password?: string }>({});
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/users', { body: { username: username.trim(), password, role } })),
    onSuccess: (user) => {
      notifySuccess(`User ${user.username} created (${user.role})`);
      void qc.invalidateQueries({ queryKey: USERS });
      close();
    },
    meta: { inlineErrors: true },
  });
  const err = create.error ? asApiError(create.error) : null;

  function close() {
    setUsername('');
    setPassword('');
    setRole('viewer');
    setLocal({});
    create.reset();
    onClose();
  }
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problems = newUserProblems(username, password);
    setLocal(problems);
    if (!problems.username && !problems.password) create.mutate();
  }
  const fieldErr = (f: 'username' | 'password') => local[f] ?? err?.fieldMessage(f);

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={650}>New user</Text>} centered>
      <form onSubmit={onSubmit} noValidate aria-label="Create user">
        <Stack gap="sm">
          {err && !fieldErr('username') && !fieldErr('password') && (
            <Alert color="red" role="alert">
              <Text size="sm">{err.detail}</Text>
              {err.correlationId && (
                <Text size="xs" c="dimmed" ff="monospace">
                  ref {err.correlationId}
                </Text>
              )}
            </Alert>
          )}
          <TextInput
            label="Username"
            description="3–64 characters: letters, digits, _ . @ -"
            required
            data-autofocus
            autoComplete="off"
            value={username}
            onChange={(e) => {
              setUsername(e.currentTarget.value);
              setLocal(({ username: _, ...rest }) => rest);
            }}
            error={fieldErr('username')}
            data-testid="new-user-username"
          />
          <PasswordInput
            label="Initial password"
            description={`At least ${MIN_PASSWORD_LENGTH} characters. Share it securely; the user can change it in Settings.`}
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.currentTarget.value);
              setLocal(({ password: _, ...rest }) => rest);
            }}
            error={fieldErr('password')}
            data-testid="new-user-password"
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="new-user-role-label">
              Role
            </Text>
            <SegmentedControl
              aria-labelledby="new-user-role-label"
              value={role}
              onChange={(v) => setRole(v as Role)}
              data={[
                { value: 'viewer', label: 'Viewer (read-only)' },
                { value: 'admin', label: 'Admin (can trade)' },
              ]}
              data-testid="new-user-role"
            />
          </Stack>
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!username.trim() || !password}>
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
