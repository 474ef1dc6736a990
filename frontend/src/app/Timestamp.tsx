import { Text } from '@mantine/core';
import { formatTimestamp, utcTitle } from './format';

export function Timestamp({ value, fallback = '—', size = 'sm' }: { value: string | null | undefined; fallback?: string; size?: 'xs' | 'sm' }) {
  return (
    <Text component="span" size={size} ff="monospace" title={utcTitle(value)} c={value ? undefined : 'dimmed'} style={{ whiteSpace: 'nowrap' }}>
      {value ? <time dateTime={value}>{formatTimestamp(value)}</time> : fallback}
    </Text>
  );
}
