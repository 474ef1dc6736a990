import { ScrollArea, Table, Text, UnstyledButton } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconArrowsSort } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { decimalSign, formatMoney, formatPercentOfOne, parseDecimal } from './money';
import type { BreakdownRow } from './types';

type SortKey = 'key' | 'trade_count' | 'win_rate' | 'gross_pnl' | 'fees' | 'net_pnl' | 'premium_kept';

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'key', label: '', numeric: false },
  { key: 'trade_count', label: 'Trades', numeric: true },
  { key: 'net_pnl', label: 'Net', numeric: true }, // second: still visible on a phone before scrolling
  { key: 'win_rate', label: 'Win rate', numeric: true },
  { key: 'gross_pnl', label: 'Gross', numeric: true },
  { key: 'fees', label: 'Fees', numeric: true },
  { key: 'premium_kept', label: 'Premium kept', numeric: true },
];

/** Compare two decimal strings exactly (no floats). */
export function compareDecimal(a: string | null | undefined, b: string | null | undefined): number {
  const pa = parseDecimal(a);
  const pb = parseDecimal(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  const sa = pa.negative ? -1 : 1;
  const sb = pb.negative ? -1 : 1;
  const za = pa.int === '0' && pa.frac === '';
  const zb = pb.int === '0' && pb.frac === '';
  if (za && zb) return 0;
  if (za) return -sb;
  if (zb) return sa;
  if (sa !== sb) return sa;
  let mag: number;
  if (pa.int.length !== pb.int.length) mag = pa.int.length - pb.int.length;
  else {
    const len = Math.max(pa.frac.length, pb.frac.length);
    const da = pa.int + pa.frac.padEnd(len, '0');
    const db = pb.int + pb.frac.padEnd(len, '0');
    mag = da < db ? -1 : da > db ? 1 : 0;
  }
  return sa * Math.sign(mag);
}

function compareRows(a: BreakdownRow, b: BreakdownRow, key: SortKey): number {
  switch (key) {
    case 'key':
      return a.key.localeCompare(b.key);
    case 'trade_count':
      return a.trade_count - b.trade_count;
    case 'win_rate':
      return (a.win_rate ?? -1) - (b.win_rate ?? -1);
    default:
      return compareDecimal(a[key], b[key]);
  }
}

const pnlColor = (v: string) => (decimalSign(v) > 0 ? 'teal' : decimalSign(v) < 0 ? 'red' : undefined);

/**
 * Per-key breakdown (exit reason / underlying / strategy). Column headers are buttons
 * (Tab + Enter/Space sorts) and carry aria-sort; the scroll area is focusable for keyboard scrolling.
 */
export function BreakdownTable({
  title,
  keyLabel,
  rows,
  labelFor,
  testId,
}: {
  title: string;
  keyLabel: string;
  rows: readonly BreakdownRow[];
  labelFor?: (key: string) => string;
  testId: string;
}) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean } | null>(null);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const out = [...rows].sort((a, b) => compareRows(a, b, sort.key));
    return sort.desc ? out.reverse() : out;
  }, [rows, sort]);
  if (rows.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No trades to break down.
      </Text>
    );
  }
  const toggle = (key: SortKey) =>
    setSort((s) => (s?.key === key ? (s.desc ? { key, desc: false } : null) : { key, desc: key !== 'key' }));
  return (
    <ScrollArea type="auto" offsetScrollbars tabIndex={0} aria-label={`${title} (scrollable)`} role="region">
      <Table striped highlightOnHover withTableBorder={false} verticalSpacing={6} fz="sm" data-testid={testId} miw={560}>
        <caption style={{ captionSide: 'top', textAlign: 'left', position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>
          {title}
        </caption>
        <Table.Thead>
          <Table.Tr>
            {COLUMNS.map((c) => {
              const active = sort?.key === c.key;
              const Icon = !active ? IconArrowsSort : sort.desc ? IconArrowDown : IconArrowUp;
              return (
                <Table.Th
                  key={c.key}
                  scope="col"
                  aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                  style={{ textAlign: c.numeric ? 'right' : 'left', whiteSpace: 'nowrap' }}
                >
                  <UnstyledButton
                    onClick={() => toggle(c.key)}
                    fz="xs"
                    fw={600}
                    style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}
                    aria-label={`Sort by ${c.label || keyLabel}`}
                  >
                    {c.label || keyLabel}
                    <Icon size={12} stroke={1.6} aria-hidden />
                  </UnstyledButton>
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((r) => (
            <Table.Tr key={r.key}>
              <Table.Th scope="row" fw={500} style={{ whiteSpace: 'nowrap' }}>
                {labelFor ? labelFor(r.key) : r.key || '—'}
              </Table.Th>
              <Table.Td ta="right" ff="monospace">
                {r.trade_count}
                <Text span size="xs" c="dimmed">
                  {' '}
                  ({r.wins}/{r.losses})
                </Text>
              </Table.Td>
              <Table.Td ta="right" ff="monospace" fw={600} c={pnlColor(r.net_pnl)} data-value={r.net_pnl}>
                {formatMoney(r.net_pnl, { signed: true })}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {formatPercentOfOne(r.win_rate)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace" c={pnlColor(r.gross_pnl)}>
                {formatMoney(r.gross_pnl, { signed: true })}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {formatMoney(r.fees)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace" c={pnlColor(r.premium_kept)}>
                {formatMoney(r.premium_kept, { signed: true })}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}

/** "take_profit" -> "Take profit". */
export function humanizeKey(key: string): string {
  if (!key) return '(none)';
  const s = key.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
