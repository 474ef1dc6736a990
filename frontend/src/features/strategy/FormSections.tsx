import { ActionIcon, Button, Chip, Group, Paper, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { RISK, getRisk } from '../live/api';
import { SelectField, TextField, TimezoneField, useForm } from './fields';
import { WEEKDAYS, nextRowKey, quantityLimitWarning } from './formModel';

function Section({ title, hint, children, id }: { title: string; hint?: string; children: ReactNode; id: string }) {
  return (
    <Paper withBorder p={{ base: 'sm', sm: 'md' }} component="fieldset" style={{ margin: 0, minWidth: 0 }} aria-labelledby={`sec-${id}`}>
      <Stack gap="sm">
        <div>
          <Title order={2} size="h5" id={`sec-${id}`}>
            {title}
          </Title>
          {hint && (
            <Text size="xs" c="dimmed">
              {hint}
            </Text>
          )}
        </div>
        {children}
      </Stack>
    </Paper>
  );
}

export function BasicsSection({ liveEnabled }: { liveEnabled: boolean }) {
  const { values } = useForm();
  const risk = useQuery({ queryKey: RISK, queryFn: getRisk, meta: { silent: true } });
  const overLimit = quantityLimitWarning(values.quantity, risk.data?.max_contracts_per_leg);
  return (
    <Section id="basics" title="Basics">
      <TextField name="name" label="Name" required placeholder="e.g. BTC daily strangle" />
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        <SelectField name="underlying" label="Underlying" data={['BTC', 'ETH']} />
        <SelectField
          name="mode"
          label="Mode"
          data={[
            { value: 'paper', label: 'Paper (simulated)' },
            { value: 'live', label: liveEnabled ? 'LIVE (real orders)' : 'LIVE (disabled on this deployment)', disabled: !liveEnabled },
          ]}
        />
        <TextField name="quantity" label="Quantity" numeric unit="contracts" description="per leg" />
      </SimpleGrid>
      {overLimit && (
        <Text size="sm" c="orange" role="status" data-testid="quantity-over-limit">
          {overLimit}
        </Text>
      )}
    </Section>
  );
}

export function ExpirySection() {
  const { values } = useForm();
  return (
    <Section id="expiry" title="Expiry" hint="Expiries are dated in UTC.">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <SelectField
          name="expiry_rule"
          label="Expiry rule"
          data={[
            { value: 'next', label: 'Next listed expiry' },
            { value: 'date', label: 'Explicit date' },
            { value: 'offset_days', label: 'Offset in days' },
          ]}
        />
        {values.expiry_rule === 'date' && <TextField name="expiry_date" label="Expiry date (UTC)" type="date" />}
        {values.expiry_rule === 'offset_days' && (
          <TextField name="expiry_offset_days" label="Offset" numeric unit="days" description="0 = today's expiry" />
        )}
        <TextField
          name="expiry_approach_minutes"
          label="Exit before expiry"
          numeric
          unit="min"
          description="close the legs this long before the options expire"
        />
      </SimpleGrid>
    </Section>
  );
}

export function StrikesSection() {
  const { values } = useForm();
  return (
    <Section id="strikes" title="Strikes" hint="Sell one call and one put. Premiums are USD per 1 unit of the underlying.">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <SelectField
          name="strike_mode"
          label="Pick strikes by"
          data={[
            { value: 'delta', label: '|Delta| band' },
            { value: 'premium', label: 'Premium range' },
            { value: 'distance', label: 'Distance from spot' },
          ]}
        />
        <SelectField
          name="delta_pick"
          label="Within the delta band"
          data={[
            { value: 'band_centre', label: 'Closest to the band centre' },
            { value: 'highest_in_band', label: 'Highest |delta| in band' },
          ]}
        />
        <TextField name="delta_low" label="|Delta| low" numeric placeholder="0.10" />
        <TextField name="delta_high" label="|Delta| high" numeric placeholder="0.15" />
        {(values.strike_mode === 'premium' || values.premium_low || values.premium_high) && (
          <>
            <TextField name="premium_low" label="Premium low" numeric unit="USD" />
            <TextField name="premium_high" label="Premium high" numeric unit="USD" />
          </>
        )}
        {(values.strike_mode === 'distance' || values.distance_pct) && (
          <TextField name="distance_pct" label="Distance from spot" numeric unit="%" />
        )}
      </SimpleGrid>
    </Section>
  );
}

export function TimingSection() {
  return (
    <Section id="timing" title="Timing" hint="Wall-clock times in the strategy's timezone. The exit time is enforced.">
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        <TextField name="entry_time" label="Entry time" placeholder="HH:MM" description="24-hour" />
        <TextField name="entry_window_minutes" label="Entry window" numeric unit="min" description="how late an entry may still happen" />
        <TextField name="exit_time" label="Exit time" placeholder="HH:MM" description="24-hour" />
      </SimpleGrid>
      <TimezoneField />
    </Section>
  );
}

export function ExitsSection() {
  const { values, errors, set, readOnly } = useForm();
  const rules = values.trailing_rules;
  const update = (i: number, key: 'trigger_pct' | 'lock_pct', v: string) =>
    set(
      'trailing_rules',
      rules.map((r, j) => (j === i ? { ...r, [key]: v } : r)),
    );
  return (
    <Section id="exits" title="Exits & trailing rules" hint="Percentages of the credit received at entry (leg stop: of the leg's entry price).">
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
        <TextField name="max_loss_pct" label="Max loss" numeric unit="%" />
        <TextField name="take_profit_pct" label="Take profit" numeric unit="%" />
        <TextField name="leg_stop_loss_pct" label="Leg stop loss" numeric unit="%" description="optional" />
        <TextField name="daily_loss_limit_usd" label="Daily loss limit" numeric unit="USD" description="optional" />
      </SimpleGrid>
      <div>
        <Text size="sm" fw={500}>
          Trailing rules
        </Text>
        <Text size="xs" c="dimmed" mb={4}>
          Once profit reaches the trigger, exit if it falls back to the lock. Triggers and locks strictly increase.
        </Text>
        {errors.trailing_rules && (
          <Text size="xs" c="red" role="alert" data-path="trailing_rules">
            {errors.trailing_rules}
          </Text>
        )}
        <Table withRowBorders={false} verticalSpacing={4} aria-label="Trailing rules" data-testid="trailing-rules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>#</Table.Th>
              <Table.Th>Trigger (% of credit)</Table.Th>
              <Table.Th>Lock (% of credit)</Table.Th>
              {!readOnly && <Table.Th w={40} />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.map((r, i) => (
              <Table.Tr key={r.key}>
                <Table.Td>
                  <Text size="sm" c="dimmed">
                    {i + 1}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={`Rule ${i + 1} trigger %`}
                    value={r.trigger_pct}
                    inputMode="decimal"
                    readOnly={readOnly}
                    onChange={(e) => update(i, 'trigger_pct', e.currentTarget.value)}
                    error={errors[`trailing_rules[${i}].trigger_pct`]}
                    data-path={`trailing_rules[${i}].trigger_pct`}
                  />
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={`Rule ${i + 1} lock %`}
                    value={r.lock_pct}
                    inputMode="decimal"
                    readOnly={readOnly}
                    onChange={(e) => update(i, 'lock_pct', e.currentTarget.value)}
                    error={errors[`trailing_rules[${i}].lock_pct`]}
                    data-path={`trailing_rules[${i}].lock_pct`}
                  />
                </Table.Td>
                {!readOnly && (
                  <Table.Td>
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={`Remove rule ${i + 1}`}
                      onClick={() => set('trailing_rules', rules.filter((_, j) => j !== i))}
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
            {rules.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    No trailing rules.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
        {!readOnly && (
          <Button
            variant="light"
            size="xs"
            mt={4}
            leftSection={<IconPlus size={14} />}
            onClick={() => {
              const last = rules.at(-1);
              const t = last ? Number(last.trigger_pct) + 10 : 20;
              const l = last ? Number(last.lock_pct) + 10 : 0;
              set('trailing_rules', [
                ...rules,
                { key: nextRowKey(), trigger_pct: Number.isFinite(t) ? String(t) : '', lock_pct: Number.isFinite(l) ? String(l) : '' },
              ]);
            }}
          >
            Add rule
          </Button>
        )}
      </div>
    </Section>
  );
}

export function ExecutionSection() {
  const { values, errors, set, readOnly } = useForm();
  return (
    <Section id="execution" title="Execution" hint="Marketable limit orders walk toward the market, then an optional IOC market fallback.">
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        <TextField name="limit_attempts" label="Limit attempts" numeric />
        <TextField name="attempt_timeout_s" label="Attempt timeout" numeric unit="s" />
        <TextField name="max_slippage_pct" label="Max slippage" numeric unit="%" description="from the initial touch" />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <Switch
          label="Market fallback after the last limit attempt"
          checked={values.market_fallback}
          onChange={(e) => !readOnly && set('market_fallback', e.currentTarget.checked)}
          readOnly={readOnly}
          error={errors['execution.market_fallback']}
          mt="xs"
          data-path="execution.market_fallback"
        />
        <SelectField
          name="on_leg_failure"
          label="If one leg fails"
          data={[
            { value: 'unwind', label: 'Unwind the filled leg at once' },
            { value: 'retry_then_unwind', label: 'Retry once, then unwind' },
          ]}
        />
      </SimpleGrid>
    </Section>
  );
}

const DAY_LABEL: Record<string, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

export function ScheduleSection() {
  const { values, errors, set, readOnly } = useForm();
  return (
    <Section id="schedule" title="Schedule">
      <div>
        <Text size="sm" fw={500} id="days-label">
          Trading days
        </Text>
        <Chip.Group
          multiple
          value={values.schedule_days}
          onChange={(v) => !readOnly && set('schedule_days', WEEKDAYS.filter((d) => v.includes(d)))}
        >
          <Group gap={6} mt={4} role="group" aria-labelledby="days-label">
            {WEEKDAYS.map((d) => (
              <Chip key={d} value={d} size="sm" disabled={readOnly && !values.schedule_days.includes(d)}>
                {DAY_LABEL[d]}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        {errors.schedule_days && (
          <Text size="xs" c="red" mt={4} role="alert" data-path="schedule_days">
            {errors.schedule_days}
          </Text>
        )}
      </div>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <TextField name="reentries" label="Re-entries per day" numeric description="extra entries after a stop-out" />
      </SimpleGrid>
    </Section>
  );
}
