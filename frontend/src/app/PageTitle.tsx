import { Group, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';

/** The page's h1; receives focus on navigation so keyboard and screen-reader users land on it. */
export function PageTitle({ title, actions }: { title: string; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Deltaplane`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <Group justify="space-between" align="center" wrap="wrap" gap="sm">
      <Title order={1} size="h2" ref={ref} tabIndex={-1} style={{ outline: 'none' }}>
        {title}
      </Title>
      {actions}
    </Group>
  );
}
