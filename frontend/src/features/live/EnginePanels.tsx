import { Alert, Button, Group, Modal, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertOctagon, IconRefresh } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmModal } from '../../app/ConfirmModal';
import { notifySuccess } from '../../app/notify';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { STRATEGIES } from '../strategy/api';
import { fmtNum, fmtSigned } from '../strategy/format';
import { mapRiskErrors, validateRisk } from './riskForm';
import type { RiskRead } from '../strategy/types';
import { RISK, dayPastLimit, engineEngaged, getRisk, kill, putRisk, rearm } from './api';

const KILL_WORD = 'KILL';

export function useRisk() {
  return useQuery({ queryKey: RISK, queryFn: getRisk });
}

/** Global kill switch (typed confirmation) and re-arm. Admins only. */
export function KillSwitch({ risk }: { risk: RiskRead | undefined }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [confirmRearm, setConfirmRearm] = useState(false);
  const after = () => {
    void qc.invalidateQueries({ queryKey: RISK });
    void qc.invalidateQueries({ queryKey: STRATEGIES });
    void qc.invalidateQueries({ queryKey: ['runtime'] });
  };
  // the typed word never outlives the dialog: reopened, it must be typed again
  const close = () => {
    setOpen(false);
    setTyped('');
  };
  const doKill = useMutation({
    mutationFn: kill,
    onSuccess: () => {
      close();
      notifySuccess('Kill switch engaged: flattening everything; new starts refused until re-armed');
      after();
    },
  });
  const doRearm = useMutation({
    mutationFn: rearm,
    onSuccess: () => {
      setConfirmRearm(false);
      notifySuccess('Engine re-armed');
      after();
    },
    onError: () => setConfirmRearm(false),
  });
  const engaged = engineEngaged(risk);
  return (
    <Group gap="xs">
      {engaged && (
        <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => setConfirmRearm(true)} data-testid="rearm">
          Re-arm
        </Button>
      )}
      <Button color="red" leftSection={<IconAlertOctagon size={16} />} onClick={() => setOpen(true)} data-testid="kill-switch">
        Kill switch
      </Button>
      <Modal opened={open} onClose={() => !doKill.isPending && close()} title={<Text fw={650}>Engage the kill switch</Text>} centered>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed === KILL_WORD) doKill.mutate();
          }}
        >
          <Stack>
            <Text size="sm">
              Flattens <b>every running strategy</b> with market orders now and refuses new starts until someone re-arms the engine.
            </Text>
            <TextInput
              label={`Type ${KILL_WORD} to confirm`}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              autoComplete="off"
              data-autofocus
              data-testid="kill-confirm-input"
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close} disabled={doKill.isPending} data-testid="kill-cancel">
                Cancel
              </Button>
              <Button type="submit" color="red" disabled={typed !== KILL_WORD} loading={doKill.isPending} data-testid="kill-confirm">
                Flatten everything
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <ConfirmModal
        opened={confirmRearm}
        title="Re-arm the engine"
        confirmLabel="Re-arm"
        danger={false}
        loading={doRearm.isPending}
        onConfirm={() => doRearm.mutate()}
        onClose={() => setConfirmRearm(false)}
      >
        <Text size="sm">Clear the kill switch / circuit breaker so strategies can be started again. Nothing starts by itself.</Text>
        {risk && dayPastLimit(risk.day_pnl_usd, risk.daily_loss_limit_usd) && (
          <Text size="sm" c="red" mt="xs" data-testid="rearm-day-past-limit">
            Today&apos;s PnL ({fmtSigned(risk.day_pnl_usd, 4)} USD) is still past the daily loss limit ({fmtNum(risk.daily_loss_limit_usd, 4)} USD): starts stay refused until the
            limit is raised or the day (UTC) ends.
          </Text>
        )}
      </ConfirmModal>
    </Group>
  );
}

export function EngagedBanner({ risk }: { risk: RiskRead | undefined }) {
  if (!risk || !engineEngaged(risk)) return null;
  return (
    <Alert color="red" icon={<IconAlertOctagon size={18} />} title={risk.kill_switch_at ? 'Kill switch engaged' : 'Circuit breaker tripped'} data-testid="engaged-banner">
      <Text size="sm">
        {risk.kill_switch_at ? (
          <>
            Since <Timestamp value={risk.kill_switch_at} />. New starts are refused until re-armed.
          </>
        ) : (
          <>
            Since <Timestamp value={risk.breaker_tripped_at} />: {risk.breaker_reason ?? 'daily loss limit'}. New starts are refused until re-armed.
          </>
        )}
      </Text>
    </Alert>
  );
}

/** Risk limits: view for everyone, edit for admins (422 field messages next to the inputs). */
export function RiskPanel({ admin }: { admin: boolean }) {
  const query = useRisk();
  const [editing, setEditing] = useState(false);
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h5">
            Risk limits
          </Title>
          {admin && !editing && query.data && (
            <Button size="xs" variant="light" onClick={() => setEditing(true)} data-testid="edit-risk">
              Edit
            </Button>
          )}
        </Group>
        <QueryState query={query} label="risk limits">
          {(risk) => (editing ? <RiskForm risk={risk} onDone={() => setEditing(false)} /> : <RiskView risk={risk} />)}
        </QueryState>
      </Stack>
    </Paper>
  );
}

function RiskView({ risk }: { risk: RiskRead }) {
  const item = (label: string, value: string) => (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" ff="monospace" fw={600}>
        {value}
      </Text>
    </div>
  );
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" data-testid="risk-view">
      {item('Max running strategies', String(risk.max_running_strategies))}
      {item('Max contracts per leg', String(risk.max_contracts_per_leg))}
      {item('Max open legs', String(risk.max_open_legs))}
      {item('Daily loss limit', risk.daily_loss_limit_usd === null ? 'none' : `${fmtNum(risk.daily_loss_limit_usd)} USD`)}
      {item("Today's PnL (UTC day)", `${fmtSigned(risk.day_pnl_usd, 4)} USD`)}
    </SimpleGrid>
  );
}

function RiskForm({ risk, onDone }: { risk: RiskRead; onDone: () => void }) {
  const qc = useQueryClient();
  const [v, setV] = useState({
    max_running_strategies: String(risk.max_running_strategies),
    max_contracts_per_leg: String(risk.max_contracts_per_leg),
    max_open_legs: String(risk.max_open_legs),
    daily_loss_limit_usd: risk.daily_loss_limit_usd ?? '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [confirmTrip, setConfirmTrip] = useState(false);
  const save = useMutation({
    meta: { inlineErrors: true },
    mutationFn: () => {
      const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : (s as unknown as number));
      const limit = v.daily_loss_limit_usd.trim();
      return putRisk({
        max_running_strategies: int(v.max_running_strategies),
        max_contracts_per_leg: int(v.max_contracts_per_leg),
        max_open_legs: int(v.max_open_legs),
        daily_loss_limit_usd: limit === '' ? null : limit,
        clear_daily_loss_limit: limit === '',
      });
    },
    onSuccess: (r) => {
      qc.setQueryData(RISK, r);
      notifySuccess('Risk limits saved');
      onDone();
    },
    onError: (err) => setErrors(mapRiskErrors(err)),
  });
  const field = (key: keyof typeof v, label: string, description?: string) => (
    <TextInput
      label={label}
      description={description}
      value={v[key]}
      inputMode="decimal"
      onChange={(e) => {
        const value = e.currentTarget.value;
        setV((s) => ({ ...s, [key]: value }));
        setErrors((x) => {
          const n = { ...x };
          delete n[key];
          return n;
        });
      }}
      error={errors[key]}
      data-testid={`risk-${key}`}
    />
  );
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const problems = validateRisk(v);
        setErrors(problems);
        if (Object.keys(problems).length > 0) return;
        // a limit today's loss already exceeds trips the breaker on the next check: say so first
        if (dayPastLimit(risk.day_pnl_usd, v.daily_loss_limit_usd) && !engineEngaged(risk)) setConfirmTrip(true);
        else save.mutate();
      }}
    >
      <ConfirmModal
        opened={confirmTrip}
        title="This limit trips the circuit breaker now"
        confirmLabel="Save and flatten"
        loading={save.isPending}
        onConfirm={() => {
          setConfirmTrip(false);
          save.mutate();
        }}
        onClose={() => setConfirmTrip(false)}
      >
        <Text size="sm" data-testid="risk-trip-warning">
          Today&apos;s PnL is {fmtSigned(risk.day_pnl_usd, 4)} USD (UTC day). A daily loss limit of {fmtNum(v.daily_loss_limit_usd, 4)} USD is already exceeded: the
          circuit breaker trips within seconds, every running strategy is flattened with market orders and new starts are refused until re-armed.
        </Text>
      </ConfirmModal>
      <Stack gap="sm">
        {errors.$ && (
          <Alert color="red" role="alert">
            {errors.$}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm">
          {field('max_running_strategies', 'Max running strategies')}
          {field('max_contracts_per_leg', 'Max contracts per leg')}
          {field('max_open_legs', 'Max open legs')}
          {field('daily_loss_limit_usd', 'Daily loss limit (USD)', 'empty = none')}
        </SimpleGrid>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-risk">
            Save limits
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

