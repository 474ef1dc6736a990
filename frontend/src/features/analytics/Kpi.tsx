import { Group, Paper, SimpleGrid, Text, Title, Tooltip } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { decimalSign, formatMoney, isRounded } from './money';

export type Tone = 'pos' | 'neg' | 'neutral';

export function toneOf(value: string | null | undefined): Tone {
  const s = decimalSign(value);
  return s > 0 ? 'pos' : s < 0 ? 'neg' : 'neutral';
}

const toneColor = (tone: Tone) => (tone === 'pos' ? 'teal' : tone === 'neg' ? 'red' : undefined);

export interface KpiProps {
  id: string;
  label: string;
  value: string;
  /** Raw value (exact decimal string / number) for tests and copy. */
  raw?: string | number | null;
  tone?: Tone;
  /** Secondary line under the value (dates, counts). */
  sub?: ReactNode;
  /** Explains the metric; for "—" values, why it is undefined. */
  hint?: string;
  /** Exact value on hover when the display is rounded. */
  exact?: string;
}

/** One figure card. The value is a `<dd>` in a definition list so screen readers pair label and value. */
export function Kpi({ id, label, value, raw, tone = 'neutral', sub, hint, exact }: KpiProps) {
  const valueNode = (
    <Text
      component="dd"
      m={0}
      fz="lg"
      fw={650}
      ff="monospace"
      c={toneColor(tone)}
      data-testid={`kpi-${id}`}
      data-value={raw === null || raw === undefined ? '' : String(raw)}
      style={{ fontVariantNumeric: 'tabular-nums', wordBreak: 'break-word', lineHeight: 1.25 }}
      title={exact}
    >
      {value}
    </Text>
  );
  return (
    <Paper withBorder p="sm" radius="sm" component="div" style={{ minWidth: 0 }}>
      <Group gap={4} wrap="nowrap" align="center">
        <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: 0.3 }} lineClamp={2}>
          {label}
        </Text>
        {hint && (
          <Tooltip label={hint} multiline w={260} withArrow events={{ hover: true, focus: true, touch: true }}>
            <span
              tabIndex={0}
              role="img"
              aria-label={`About ${label}: ${hint}`}
              style={{ display: 'inline-flex', color: 'var(--mantine-color-dimmed)', cursor: 'help' }}
            >
              <IconInfoCircle size={14} stroke={1.6} />
            </span>
          </Tooltip>
        )}
      </Group>
      {valueNode}
      {sub && (
        <Text size="xs" c="dimmed" mt={2} style={{ fontVariantNumeric: 'tabular-nums' }}>
          {sub}
        </Text>
      )}
    </Paper>
  );
}

/** A money KPI: exact formatting, sign colour, exact value on hover when rounded. */
export function MoneyKpi(props: Omit<KpiProps, 'value' | 'raw' | 'tone' | 'exact'> & { amount: string | null | undefined; signed?: boolean; colored?: boolean }) {
  const { amount, signed = false, colored = true, ...rest } = props;
  return (
    <Kpi
      {...rest}
      value={formatMoney(amount, { signed })}
      raw={amount ?? null}
      tone={colored ? toneOf(amount) : 'neutral'}
      exact={amount && isRounded(amount) ? `exact: ${amount}` : undefined}
    />
  );
}

export function KpiGroup({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  const headingId = `kpi-group-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <section aria-labelledby={headingId}>
      <Group gap="xs" align="baseline" mb={6}>
        <Title order={2} size="h5" id={headingId}>
          {title}
        </Title>
        {description && (
          <Text size="xs" c="dimmed">
            {description}
          </Text>
        )}
      </Group>
      <SimpleGrid component="dl" cols={{ base: 2, xs: 3, md: 4, lg: 6 }} spacing="xs" verticalSpacing="xs" m={0}>
        {children}
      </SimpleGrid>
    </section>
  );
}
