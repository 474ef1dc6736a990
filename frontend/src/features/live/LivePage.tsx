import { Anchor, Button, Group, Paper, ScrollArea, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { PageTitle } from '../../app/PageTitle';
import { QueryState } from '../../app/QueryState';
import { RealtimeStaleBanner } from '../../realtime/StaleBanner';
import { useCurrentUser } from '../auth/useSession';
import { STRATEGIES, listStrategies } from '../strategy/api';
import { stateColor } from '../strategy/format';
import { ModeBadge } from '../strategy/StrategyBadges';
import type { StrategyRead } from '../strategy/types';
import { EngagedBanner, KillSwitch, RiskPanel, useRisk } from './EnginePanels';
import { ExchangeHealthBadge, ExchangeHealthBanner } from './ExchangeStatus';
import { StrategyPanel } from './StrategyPanel';
import { tabOrder } from './tabOrder';

export default function LivePage() {
  const admin = useCurrentUser().role === 'admin';
  const strategies = useQuery({ queryKey: STRATEGIES, queryFn: listStrategies });
  const risk = useRisk();
  const [params, setParams] = useSearchParams();
  return (
    <Stack gap="md">
      <PageTitle
        title="Live Control"
        actions={
          <Group gap="sm">
            <ExchangeHealthBadge />
            {admin && <KillSwitch risk={risk.data} />}
          </Group>
        }
      />
      <EngagedBanner risk={risk.data} />
      <RealtimeStaleBanner />
      <ExchangeHealthBanner />
      <QueryState query={strategies} label="strategies">
        {(rows) => {
          if (rows.length === 0) {
            return (
              <Paper withBorder p="lg">
                <Text c="dimmed">
                  No strategies yet.{' '}
                  <Anchor component={Link} to="/strategies/new">
                    Create one
                  </Anchor>{' '}
                  in Strategies.
                </Text>
              </Paper>
            );
          }
          return <Picker rows={rows} selected={Number(params.get('id')) || null} onSelect={(id) => setParams({ id: String(id) }, { replace: true })} admin={admin} />;
        }}
      </QueryState>
      <RiskPanel admin={admin} />
    </Stack>
  );
}

function Picker({ rows: unordered, selected, onSelect, admin }: { rows: StrategyRead[]; selected: number | null; onSelect: (id: number) => void; admin: boolean }) {
  // the order first shown stays put while the page is open (derived state, adjusted during render)
  const [shown, setShown] = useState<number[]>([]);
  const rows = useMemo(() => tabOrder(unordered, shown), [unordered, shown]);
  const ids = rows.map((r) => r.id);
  if (ids.length !== shown.length || ids.some((id, i) => id !== shown[i])) setShown(ids);
  const current = useMemo(() => rows.find((r) => r.id === selected) ?? rows[0]!, [rows, selected]);
  return (
    <Stack gap="md">
      <ScrollArea type="auto" offsetScrollbars>
        <Group gap="xs" wrap="nowrap" role="tablist" aria-label="Strategies">
          {rows.map((s) => {
            const on = s.id === current.id;
            return (
              <Button
                key={s.id}
                role="tab"
                aria-selected={on}
                variant={on ? 'light' : 'default'}
                color={on ? stateColor(s.state) : undefined}
                onClick={() => onSelect(s.id)}
                data-testid={`live-pick-${s.id}`}
                // keep each tab at its natural width: the row scrolls sideways on a phone instead
                // of squeezing names and badges to nothing
                style={{ flexShrink: 0 }}
                rightSection={<ModeBadge mode={s.mode} />}
                leftSection={
                  <span
                    aria-hidden
                    style={{ width: 8, height: 8, borderRadius: 8, display: 'inline-block', background: `var(--mantine-color-${stateColor(s.state)}-6)` }}
                  />
                }
              >
                {/* a long name is shortened, never the state after it */}
                <span style={{ maxWidth: 200, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{s.name}</span>
                <span style={{ whiteSpace: 'nowrap' }}>&nbsp;· {s.state}</span>
              </Button>
            );
          })}
        </Group>
      </ScrollArea>
      <StrategyPanel key={current.id} id={current.id} admin={admin} />
    </Stack>
  );
}
