import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Modal, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconKey } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { asApiError, unwrap } from '../../api/errors';
import type { ApiKeyCreated, ApiKeyRead } from '../../api/types';
import { ConfirmModal } from '../../app/ConfirmModal';
import { notifySuccess } from '../../app/notify';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';

const KEYS = ['api-keys'] as const;

export function ApiKeysPanel() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: KEYS, queryFn: () => unwrap(api.GET('/api/auth/api-keys')) });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyRead | null>(null);

  const create = useMutation({
    mutationFn: (keyName: string) => unwrap(api.POST('/api/auth/api-keys', { body: { name: keyName } })),
    onSuccess: (body) => {
      setCreated(body);
      setName('');
      void qc.invalidateQueries({ queryKey: KEYS });
    },
    meta: { inlineErrors: true },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/auth/api-keys/{key_id}', { params: { path: { key_id: id } } })),
    onSuccess: () => {
      notifySuccess(`API key “${revoking?.name ?? ''}” revoked`);
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: KEYS });
    },
  });

  function onCreate(e: FormEvent) {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  }
  const createErr = create.error ? asApiError(create.error) : null;

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        API keys authenticate scripts and integrations with the <Code>X-API-Key</Code> header. A key acts with your role.
      </Text>
      <form onSubmit={onCreate} aria-label="Create API key">
        <Group align="flex-start" gap="sm" wrap="wrap">
          <TextInput
            label="New key name"
            placeholder="e.g. grafana-export"
            value={name}
            maxLength={64}
            onChange={(e) => setName(e.currentTarget.value)}
            error={createErr ? (createErr.fieldMessage('name') ?? createErr.detail) : undefined}
            style={{ flex: '1 1 220px' }}
            data-testid="api-key-name"
          />
          <Button type="submit" mt={25} leftSection={<IconKey size={16} />} loading={create.isPending} disabled={!name.trim()}>
            Create key
          </Button>
        </Group>
      </form>

      <QueryState query={keys} label="API keys">
        {(rows) =>
          rows.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="api-keys-empty">
              No API keys yet.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={340}>
              <Table highlightOnHover verticalSpacing="xs" aria-label="API keys" style={{ whiteSpace: 'nowrap' }}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Name</Table.Th>
                    <Table.Th scope="col" visibleFrom="sm">Prefix</Table.Th>
                    <Table.Th scope="col" visibleFrom="md">Created</Table.Th>
                    <Table.Th scope="col" visibleFrom="sm">Last used</Table.Th>
                    <Table.Th scope="col">Status</Table.Th>
                    <Table.Th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((k) => (
                    <Table.Tr key={k.id} data-testid={`api-key-row-${k.id}`}>
                      <Table.Td style={{ whiteSpace: 'normal', wordBreak: 'break-word' }}>
                        {k.name}
                        <Text size="xs" c="dimmed" hiddenFrom="sm">
                          last used <Timestamp value={k.last_used_at} fallback="never" size="xs" />
                        </Text>
                      </Table.Td>
                      <Table.Td visibleFrom="sm">
                        <Code>{k.prefix}…</Code>
                      </Table.Td>
                      <Table.Td visibleFrom="md">
                        <Timestamp value={k.created_at} />
                      </Table.Td>
                      <Table.Td visibleFrom="sm">
                        <Timestamp value={k.last_used_at} fallback="never" />
                      </Table.Td>
                      <Table.Td>
                        {k.revoked_at ? (
                          <Tooltip label={`Revoked ${k.revoked_at}`}>
                            <Badge color="gray" variant="light" miw="max-content">
                              revoked
                            </Badge>
                          </Tooltip>
                        ) : (
                          <Badge color="teal" variant="light" miw="max-content">
                            active
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td ta="right">
                        {!k.revoked_at && (
                          <Button size="compact-sm" variant="light" color="red" onClick={() => setRevoking(k)} aria-label={`Revoke API key ${k.name}`}>
                            Revoke
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>

      <Modal
        opened={created !== null}
        onClose={() => setCreated(null)}
        title={<Text fw={650}>API key created</Text>}
        centered
        size="lg"
        closeOnClickOutside={false}
      >
        {created && (
          <Stack gap="md">
            <Alert color="orange" variant="light">
              Copy this key now. It is shown only once and cannot be recovered.
            </Alert>
            <Group gap="xs" wrap="nowrap" align="center">
              <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="api-key-secret">
                {created.key}
              </Code>
              <CopyButton value={created.key} timeout={2000}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy key'} withArrow>
                    <ActionIcon variant="light" color={copied ? 'teal' : undefined} size="lg" onClick={copy} aria-label="Copy API key" data-autofocus>
                      {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>I have copied it</Button>
            </Group>
          </Stack>
        )}
      </Modal>

      <ConfirmModal
        opened={revoking !== null}
        title="Revoke API key?"
        confirmLabel="Revoke key"
        loading={revoke.isPending}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        <Text size="sm">
          Scripts using <b>{revoking?.name}</b> (<Code>{revoking?.prefix}…</Code>) will be rejected immediately. This cannot be undone.
        </Text>
      </ConfirmModal>
    </Stack>
  );
}
