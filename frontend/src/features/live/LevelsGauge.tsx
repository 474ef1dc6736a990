import { Box, Group, Stack, Text, Tooltip } from '@mantine/core';
import { fmtNum, fmtPct, toNum } from '../strategy/format';
import type { ExitLevels } from './runtime';

interface Marker {
  key: string;
  label: string;
  pct: number;
  color: string;
  distance: number | null;
  premium: string | null;
}

/** What a level's figures mean, for its tooltip: the distance is in percentage points of credit. */
export function levelHelp(m: Pick<Marker, 'label' | 'pct' | 'distance' | 'premium'>): string {
  const away = m.distance === null ? '' : ` ${fmtNum(Math.abs(m.distance), 1)} percentage points of credit from the profit now.`;
  const at = m.premium ? ` Triggers when the call and put marks add up to ${fmtNum(m.premium)}.` : '';
  return `${m.label} at ${fmtPct(m.pct, 1, true)} of credit.${away}${at}`;
}

/**
 * Where the current profit (% of credit) sits between the max-loss stop and the take-profit,
 * with the trailing lock and the next trailing trigger marked, and the distance to each.
 */
export function LevelsGauge({ levels }: { levels: ExitLevels | null }) {
  if (!levels) {
    return (
      <Text size="sm" c="dimmed">
        Levels appear once a session is open.
      </Text>
    );
  }
  const profit = toNum(levels.profit_pct) ?? 0;
  const markers: Marker[] = [];
  const add = (key: string, label: string, color: string, l: ExitLevels['max_loss']) => {
    if (!l) return;
    const pct = toNum(l.profit_pct);
    if (pct === null) return;
    markers.push({ key, label, pct, color, distance: toNum(l.distance_pct), premium: l.combined_premium });
  };
  add('max_loss', 'Stop (max loss)', 'red', levels.max_loss);
  add('trailing_stop', 'Trailing lock', 'orange', levels.trailing_stop);
  add('next_trailing_trigger', 'Next trailing trigger', 'blue', levels.next_trailing_trigger);
  add('take_profit', 'Take profit', 'teal', levels.take_profit);
  const lo = Math.min(profit, ...markers.map((m) => m.pct)) - 5;
  const hi = Math.max(profit, ...markers.map((m) => m.pct)) + 5;
  const pos = (v: number) => `${(((v - lo) / (hi - lo)) * 100).toFixed(2)}%`;
  const profitColor = profit >= 0 ? 'teal' : 'red';
  return (
    <Stack gap="xs" data-testid="levels">
      <Box pos="relative" h={34} mt={4} aria-hidden>
        <Box pos="absolute" top={14} left={0} right={0} h={6} style={{ borderRadius: 3, background: 'var(--mantine-color-default-border)' }} />
        <Box
          pos="absolute"
          top={14}
          h={6}
          style={{
            left: pos(Math.min(0, profit)),
            width: `calc(${pos(Math.max(0, profit))} - ${pos(Math.min(0, profit))})`,
            background: `var(--mantine-color-${profitColor}-6)`,
            borderRadius: 3,
          }}
        />
        <Box pos="absolute" top={8} h={18} w={1} style={{ left: pos(0), background: 'var(--mantine-color-dimmed)' }} />
        {markers.map((m) => (
          <Tooltip key={m.key} label={`${m.label}: ${fmtPct(m.pct, 1, true)} of credit`}>
            <Box pos="absolute" top={4} h={26} w={3} style={{ left: pos(m.pct), marginLeft: -1, background: `var(--mantine-color-${m.color}-6)`, borderRadius: 2 }} />
          </Tooltip>
        ))}
        <Box
          pos="absolute"
          top={0}
          style={{ left: pos(profit), transform: 'translateX(-50%)', width: 0, height: 0, borderLeft: '6px solid transparent', borderRight: '6px solid transparent', borderTop: `8px solid var(--mantine-color-${profitColor}-6)` }}
        />
      </Box>
      <Group gap="lg" wrap="wrap">
        <div>
          <Text size="xs" c="dimmed">
            Profit now
          </Text>
          <Text size="sm" ff="monospace" fw={700} c={profitColor} data-testid="profit-pct">
            {fmtPct(profit, 1, true)}
          </Text>
        </div>
        {markers.map((m) => (
          <div key={m.key} data-testid={`level-${m.key}`}>
            <Text size="xs" c="dimmed">
              <Box component="span" display="inline-block" w={8} h={8} mr={4} style={{ borderRadius: 2, background: `var(--mantine-color-${m.color}-6)` }} />
              {m.label}
            </Text>
            <Tooltip label={levelHelp(m)} multiline w={280} withArrow>
              <Text size="sm" ff="monospace">
                {fmtPct(m.pct, 1, true)}
                <Text span size="xs" c="dimmed">
                  {' '}
                  · {m.distance === null ? '—' : `${fmtNum(Math.abs(m.distance), 1)} pts away`}
                  {m.premium ? ` · call+put ${fmtNum(m.premium)}` : ''}
                </Text>
              </Text>
            </Tooltip>
          </div>
        ))}
        {levels.leg_stops.map((s) => (
          <div key={s.leg}>
            <Text size="xs" c="dimmed">
              {s.leg} leg stop
            </Text>
            <Text size="sm" ff="monospace">
              {fmtNum(s.stop_price)}
              <Text span size="xs" c="dimmed">
                {' '}
                · mark {fmtNum(s.mark)} · {fmtPct(s.distance_pct)} away
              </Text>
            </Text>
          </div>
        ))}
      </Group>
    </Stack>
  );
}
