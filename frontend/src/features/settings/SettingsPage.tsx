import { Badge, Paper, SimpleGrid, Stack, Table, Title } from '@mantine/core';
import { useCurrentUser } from '../auth/useSession';
import { PageTitle } from '../../app/PageTitle';
import { Timestamp } from '../../app/Timestamp';
import { ApiKeysPanel } from './ApiKeysPanel';
import { ChangePasswordForm } from './ChangePasswordForm';
import { ExchangePanel } from './ExchangePanel';

export default function SettingsPage() {
  const user = useCurrentUser();
  return (
    <Stack gap="lg">
      <PageTitle title="Settings" />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="profile-heading">
          <Title order={2} size="h4" id="profile-heading" mb="sm">
            Profile
          </Title>
          <Table variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={6} aria-labelledby="profile-heading" styles={{ th: { background: 'transparent', paddingLeft: 0 } }}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={130} c="dimmed" fw={400}>
                  Username
                </Table.Th>
                <Table.Td fw={600} data-testid="profile-username">
                  {user.username}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th c="dimmed" fw={400}>
                  Role
                </Table.Th>
                <Table.Td>
                  <Badge variant="light" color={user.role === 'admin' ? 'signal' : 'gray'}>
                    {user.role === 'admin' ? 'admin · can trade' : 'viewer · read-only'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th c="dimmed" fw={400}>
                  Member since
                </Table.Th>
                <Table.Td>
                  <Timestamp value={user.created_at} />
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th c="dimmed" fw={400}>
                  Last sign-in
                </Table.Th>
                <Table.Td>
                  <Timestamp value={user.last_login_at} fallback="first sign-in" />
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Paper>
        <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="password-heading">
          <Title order={2} size="h4" mb="sm" id="password-heading">
            Change password
          </Title>
          <ChangePasswordForm />
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="keys-heading">
        <Title order={2} size="h4" id="keys-heading" mb="sm">
          API keys
        </Title>
        <ApiKeysPanel />
      </Paper>
      <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="exchange-heading">
        <Title order={2} size="h4" id="exchange-heading" mb="sm">
          Exchange
        </Title>
        <ExchangePanel />
      </Paper>
    </Stack>
  );
}
