import { Button, Group, Stack, Text } from '@mantine/core';
import { IconBolt, IconPlayerPause, IconPlayerPlay, IconPlayerStop } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ConfirmModal } from '../../app/ConfirmModal';
import { notifySuccess } from '../../app/notify';
import { useInFlight } from '../../app/useInFlight';
import { STRATEGIES } from '../strategy/api';
import { RISK, allowedActions, runAction, startBlockedReason, type ActionName } from './api';
import { useRisk } from './EnginePanels';
import { runtimeKey, type Runtime } from './runtime';

const LABEL: Record<ActionName, string> = { start: 'Start', pause: 'Pause', resume: 'Resume', stop: 'Stop', flatten: 'Flatten' };

export function Controls({ runtime }: { runtime: Runtime }) {
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState<ActionName | null>(null);
  const allowed = allowedActions(runtime.state);
  const startBlocked = startBlockedReason(useRisk().data, runtime.quantity);
  const blockedId = useId();
  const hasLegs = runtime.legs.length > 0;
  const act = useMutation({
    mutationFn: (action: ActionName) => runAction(runtime.strategy_id, action),
    onSuccess: (r) => {
      setConfirm(null);
      notifySuccess(`${LABEL[r.action as ActionName] ?? r.action}: ${runtime.name} is now ${r.state}`);
      void qc.invalidateQueries({ queryKey: runtimeKey(runtime.strategy_id) });
      void qc.invalidateQueries({ queryKey: STRATEGIES });
    },
    onError: () => {
      setConfirm(null);
      // a 409 carries the current state: refresh what we show (the kill switch may have been engaged elsewhere)
      void qc.invalidateQueries({ queryKey: runtimeKey(runtime.strategy_id) });
      void qc.invalidateQueries({ queryKey: RISK });
    },
  });
  // one action at a time: a double-click must not send a second POST (a 409 toast, or a second stop/flatten)
  const inFlight = useInFlight<ActionName>();
  const send = (action: ActionName) => inFlight.run(action, () => act.mutateAsync(action));
  const busy = inFlight.active;
  const showBlocked = startBlocked !== null && allowed.has('start');
  const btn = (action: ActionName, icon: React.ReactNode, color?: string, variant: string = 'default', needsConfirm = false) => (
    <Button
      key={action}
      size="sm"
      variant={variant}
      color={color}
      leftSection={icon}
      disabled={!allowed.has(action) || inFlight.busy || (action === 'start' && startBlocked !== null)}
      aria-describedby={action === 'start' && showBlocked ? blockedId : undefined}
      loading={busy === action}
      onClick={() => (needsConfirm ? setConfirm(action) : send(action))}
      data-testid={`action-${action}`}
    >
      {LABEL[action]}
    </Button>
  );
  return (
    <>
      <Stack gap={4} align="flex-end">
        <Group gap="xs" wrap="wrap">
          {btn('start', <IconPlayerPlay size={16} />, 'teal', 'filled')}
          {btn('pause', <IconPlayerPause size={16} />)}
          {btn('resume', <IconPlayerPlay size={16} />)}
          {btn('stop', <IconPlayerStop size={16} />, 'orange', 'light', true)}
          {btn('flatten', <IconBolt size={16} />, 'red', 'light', true)}
        </Group>
        {showBlocked && (
          <Text size="xs" c="red" fw={600} id={blockedId} data-testid="start-blocked">
            {startBlocked}
          </Text>
        )}
      </Stack>
      <ConfirmModal
        opened={confirm !== null}
        title={confirm === 'flatten' ? `Flatten ${runtime.name}` : `Stop ${runtime.name}`}
        confirmLabel={confirm === 'flatten' ? 'Flatten now' : 'Stop strategy'}
        loading={inFlight.busy}
        onConfirm={() => confirm && send(confirm)}
        onClose={() => setConfirm(null)}
      >
        {confirm === 'flatten' ? (
          <Text size="sm">
            Cancel every open order and close {hasLegs ? `both legs (${runtime.legs.map((l) => l.symbol).join(', ')})` : 'any legs'} with{' '}
            <b>MARKET</b> orders now, then stop. Slippage is not limited.
          </Text>
        ) : (
          <Text size="sm">
            {hasLegs
              ? `Exit the open legs (${runtime.legs.map((l) => l.symbol).join(', ')}) with the normal execution (limit walk, then market fallback if configured), then stop. No new entries.`
              : 'Cancel the schedule and stop. There are no open legs.'}
          </Text>
        )}
        {runtime.mode === 'live' && (
          <Text size="sm" c="red" fw={600} mt="xs">
            LIVE mode: real orders on Delta Exchange.
          </Text>
        )}
      </ConfirmModal>
    </>
  );
}
