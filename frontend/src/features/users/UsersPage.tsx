import { ActionIcon, Badge, Button, Menu, Paper, Stack, Table, Text } from '@mantine/core';
import { IconDots, IconKey, IconLock, IconLockOpen, IconShield, IconTrash, IconUserPlus, IconEye } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, session } from '../../api';
import { unwrap } from '../../api/errors';
import type { UserRead, UserUpdate } from '../../api/types';
import { ConfirmModal } from '../../app/ConfirmModal';
import { notifySuccess } from '../../app/notify';
import { PageTitle } from '../../app/PageTitle';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { useCurrentUser } from '../auth/useSession';
import { CreateUserModal } from './CreateUserModal';
import { USERS } from './keys';
import { ResetPasswordModal } from './ResetPasswordModal';

type Pending = { kind: 'delete' | 'disable' | 'demote-self'; user: UserRead } | null;

export default function UsersPage() {
  const me = useCurrentUser();
  const qc = useQueryClient();
  const users = useQuery({ queryKey: USERS, queryFn: () => unwrap(api.GET('/api/users')) });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserRead | null>(null);
  const [pending, setPending] = useState<Pending>(null);

  const update = useMutation({
    mutationFn: ({ user, body }: { user: UserRead; body: UserUpdate }) =>
      unwrap(api.PATCH('/api/users/{user_id}', { params: { path: { user_id: user.id } }, body })),
    onSuccess: (u) => {
      notifySuccess(`${u.username}: ${u.role}, ${u.is_active ? 'active' : 'disabled'}`);
      if (u.id === me.id) session.updateUser(u);
      setPending(null);
      void qc.invalidateQueries({ queryKey: USERS });
    },
  });
  const remove = useMutation({
    mutationFn: (user: UserRead) => unwrap(api.DELETE('/api/users/{user_id}', { params: { path: { user_id: user.id } } })),
    onSuccess: (_, user) => {
      notifySuccess(`User ${user.username} deleted`);
      setPending(null);
      void qc.invalidateQueries({ queryKey: USERS });
    },
  });

  return (
    <Stack gap="lg">
      <PageTitle
        title="Users"
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setCreating(true)} data-testid="new-user">
            New user
          </Button>
        }
      />
      <Text size="sm" c="dimmed" mt={-8}>
        Admins configure and trade; viewers watch runtime, analytics and logs.
      </Text>
      <Paper withBorder radius="md" p={0}>
        <QueryState query={users} label="users">
          {(rows) => (
            <Table.ScrollContainer minWidth={340}>
              <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="sm" aria-label="Users" style={{ whiteSpace: 'nowrap' }}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Username</Table.Th>
                    <Table.Th scope="col">Role</Table.Th>
                    <Table.Th scope="col">Status</Table.Th>
                    <Table.Th scope="col" visibleFrom="md">Created</Table.Th>
                    <Table.Th scope="col" visibleFrom="sm">Last sign-in</Table.Th>
                    <Table.Th scope="col" ta="right">
                      <span className="visually-hidden">Actions</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((u) => {
                    const self = u.id === me.id;
                    return (
                      <Table.Tr key={u.id} data-testid={`user-row-${u.username}`}>
                        <Table.Td>
                          <Text size="sm" fw={600} component="span">
                            {u.username}
                          </Text>
                          {self && (
                            <Text size="xs" c="dimmed">
                              you
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="light" color={u.role === 'admin' ? 'signal' : 'gray'} miw="max-content">
                            {u.role}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="dot" color={u.is_active ? 'teal' : 'red'} miw="max-content">
                            {u.is_active ? 'active' : 'disabled'}
                          </Badge>
                        </Table.Td>
                        <Table.Td visibleFrom="md">
                          <Timestamp value={u.created_at} />
                        </Table.Td>
                        <Table.Td visibleFrom="sm">
                          <Timestamp value={u.last_login_at} fallback="never" />
                        </Table.Td>
                        <Table.Td ta="right">
                          <Menu position="bottom-end" withinPortal shadow="md">
                            <Menu.Target>
                              <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${u.username}`} data-testid={`user-actions-${u.username}`}>
                                <IconDots size={18} />
                              </ActionIcon>
                            </Menu.Target>
                            <Menu.Dropdown>
                              <Menu.Label>{u.username}</Menu.Label>
                              {u.role === 'viewer' ? (
                                <Menu.Item leftSection={<IconShield size={16} />} onClick={() => update.mutate({ user: u, body: { role: 'admin' } })}>
                                  Make admin
                                </Menu.Item>
                              ) : (
                                <Menu.Item
                                  leftSection={<IconEye size={16} />}
                                  onClick={() => (self ? setPending({ kind: 'demote-self', user: u }) : update.mutate({ user: u, body: { role: 'viewer' } }))}
                                >
                                  {self ? 'Make viewer…' : 'Make viewer'}
                                </Menu.Item>
                              )}
                              {u.is_active ? (
                                <Menu.Item leftSection={<IconLock size={16} />} disabled={self} onClick={() => setPending({ kind: 'disable', user: u })}>
                                  Disable…
                                </Menu.Item>
                              ) : (
                                <Menu.Item leftSection={<IconLockOpen size={16} />} onClick={() => update.mutate({ user: u, body: { is_active: true } })}>
                                  Enable
                                </Menu.Item>
                              )}
                              <Menu.Item leftSection={<IconKey size={16} />} onClick={() => setResetting(u)}>
                                Reset password…
                              </Menu.Item>
                              <Menu.Divider />
                              <Menu.Item color="red" leftSection={<IconTrash size={16} />} disabled={self} onClick={() => setPending({ kind: 'delete', user: u })}>
                                Delete…
                              </Menu.Item>
                            </Menu.Dropdown>
                          </Menu>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </Paper>

      <CreateUserModal opened={creating} onClose={() => setCreating(false)} />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
      <ConfirmModal
        opened={pending?.kind === 'delete'}
        title={`Delete ${pending?.user.username ?? ''}?`}
        confirmLabel="Delete user"
        loading={remove.isPending}
        onClose={() => setPending(null)}
        onConfirm={() => pending && remove.mutate(pending.user)}
      >
        <Text size="sm">
          The account <b>{pending?.user.username}</b>, its sessions and API keys are removed permanently. This cannot be undone.
        </Text>
      </ConfirmModal>
      <ConfirmModal
        opened={pending?.kind === 'demote-self'}
        title="Make yourself a viewer?"
        confirmLabel="Give up admin"
        loading={update.isPending}
        onClose={() => setPending(null)}
        onConfirm={() => pending && update.mutate({ user: pending.user, body: { role: 'viewer' } })}
      >
        <Text size="sm">You lose access to trading controls and user management at once. Only another admin can make you admin again.</Text>
      </ConfirmModal>
      <ConfirmModal
        opened={pending?.kind === 'disable'}
        title={`Disable ${pending?.user.username ?? ''}?`}
        confirmLabel="Disable user"
        loading={update.isPending}
        onClose={() => setPending(null)}
        onConfirm={() => pending && update.mutate({ user: pending.user, body: { is_active: false } })}
      >
        <Text size="sm">
          <b>{pending?.user.username}</b> is signed out everywhere and cannot sign in until re-enabled.
        </Text>
      </ConfirmModal>
    </Stack>
  );
}
