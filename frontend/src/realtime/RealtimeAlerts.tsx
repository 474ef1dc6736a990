import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { alertToast, parseAlert } from './alerts';
import { useTopic } from './hooks';

/**
 * App-wide: subscribes to `alerts` and shows one toast per alert (entry, exit with reason,
 * trailing stop moves, errors, kill switch). Also marks strategy lists and sessions stale.
 * Renders nothing.
 */
export function RealtimeAlerts() {
  const queryClient = useQueryClient();
  useTopic('alerts', (m) => {
    if (m.type !== 'event') return;
    const a = parseAlert(m.data);
    if (!a) return;
    const t = alertToast(a);
    // Exchange health changes share one toast: the newest replaces the last (the Live Control banner has the detail).
    const id = a.kind === 'exchange' ? 'exchange-health' : undefined;
    if (id) notifications.hide(id);
    notifications.show({ id, title: t.title, message: a.message, color: t.color, autoClose: t.autoClose, withBorder: true });
    void queryClient.invalidateQueries({ queryKey: ['strategies'] });
    void queryClient.invalidateQueries({ queryKey: ['sessions'] });
    void queryClient.invalidateQueries({ queryKey: ['engine-risk'] });
  });
  return null;
}
