import { Avatar, Badge, Group, Menu, Modal, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconKey, IconLogout, IconSettings } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { session } from '../api';
import { ChangePasswordForm } from '../features/settings/ChangePasswordForm';
import { useCurrentUser } from '../features/auth/useSession';

export function UserMenu({ compact }: { compact: boolean }) {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const [pwOpen, setPwOpen] = useState(false);
  return (
    <>
      <Menu position="bottom-end" shadow="md" width={220}>
        <Menu.Target>
          <UnstyledButton aria-label={`Account menu for ${user.username}`} data-testid="user-menu" px={6} py={4} style={{ borderRadius: 6 }}>
            <Group gap={8} wrap="nowrap">
              <Avatar size={28} radius="xl" color="signal">
                {user.username.slice(0, 2).toUpperCase()}
              </Avatar>
              {!compact && (
                <Text size="sm" fw={600} maw={140} truncate>
                  {user.username}
                </Text>
              )}
              <Badge size="sm" variant="light" color={user.role === 'admin' ? 'signal' : 'gray'} data-testid="role-badge" visibleFrom="sm" style={{ flexShrink: 0 }}>
                {user.role}
              </Badge>
              <IconChevronDown size={14} style={{ flexShrink: 0 }} />
            </Group>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>
            <Group gap={6} wrap="nowrap">
              <Text size="xs" truncate>
                Signed in as <b>{user.username}</b>
              </Text>
              <Badge size="xs" variant="light" color={user.role === 'admin' ? 'signal' : 'gray'} data-testid="menu-role-badge">
                {user.role}
              </Badge>
            </Group>
          </Menu.Label>
          <Menu.Item leftSection={<IconSettings size={16} />} onClick={() => navigate('/settings')}>
            Settings
          </Menu.Item>
          <Menu.Item leftSection={<IconKey size={16} />} onClick={() => setPwOpen(true)}>
            Change password…
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item leftSection={<IconLogout size={16} />} color="red" onClick={() => void session.logout()} data-testid="logout">
            Sign out
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={pwOpen} onClose={() => setPwOpen(false)} title={<Text fw={650}>Change password</Text>} centered>
        <ChangePasswordForm onCancel={() => setPwOpen(false)} />
      </Modal>
    </>
  );
}
