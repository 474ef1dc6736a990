import { Alert, Anchor, Text } from '@mantine/core';
import { IconMapQuestion } from '@tabler/icons-react';
import { Link } from 'react-router';

/** A path (or a record) that does not exist: say so and offer the way back, no retry. */
export function NotFound({ what, back, backLabel }: { what: string; back: string; backLabel: string }) {
  return (
    <Alert color="yellow" icon={<IconMapQuestion size={18} />} title="Not found" role="alert" data-testid="not-found" maw={640}>
      <Text size="sm">{what}</Text>
      <Anchor component={Link} to={back} size="sm" mt="xs" display="inline-block" data-testid="not-found-back">
        {backLabel}
      </Anchor>
    </Alert>
  );
}
