import { Alert, Box, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertTriangle, IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import { raw, session } from '../../api';
import { ApiError, unwrap } from '../../api/errors';
import { BrandMark } from '../../app/BrandMark';
import { ThemeToggle } from '../../app/ThemeToggle';
import { useSession } from './useSession';

function useCountdown(): [number, (secs: number) => void] {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (left <= 0) return undefined;
    const t = setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => clearTimeout(t);
  }, [left]);
  return [left, setLeft];
}

export function LoginPage() {
  const state = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [retryLeft, startRetry] = useCountdown();
  const passwordRef = useRef<HTMLInputElement>(null);
  const usernameRef = useRef<HTMLInputElement>(null);

  if (state.status === 'authenticated') return <Navigate to={from === '/login' ? '/' : from} replace />;
  const reason = state.status === 'anonymous' ? state.reason : null;

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (submitting || retryLeft > 0) return;
    setSubmitting(true);
    setError(null);
    try {
      const body = await unwrap(raw.POST('/api/auth/login', { body: { username: username.trim(), password } }));
      session.applyTokens(body);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError({ status: 0, detail: String(err) });
      setError(apiErr);
      if (apiErr.status === 429 && apiErr.retryAfter) startRetry(apiErr.retryAfter);
      setPassword('');
      (apiErr.fieldMessage('username') ? usernameRef : passwordRef).current?.focus();
    } finally {
      setSubmitting(false);
    }
  }

  const throttled = error?.status === 429;
  return (
    <Box mih="100dvh" bg="var(--mantine-color-body)">
      <Box pos="absolute" top={12} right={12}>
        <ThemeToggle />
      </Box>
      <Center mih="100dvh" p="md">
        <Paper withBorder shadow="sm" p="xl" w="100%" maw={380} radius="md">
          <form onSubmit={onSubmit} noValidate aria-labelledby="login-title">
            <Stack gap="md">
              <Stack gap={4} align="center">
                <BrandMark size={36} />
                <Title order={1} id="login-title" size="h3">
                  Sign in to Deltaplane
                </Title>
                <Text size="sm" c="dimmed">
                  Short-strangle control plane
                </Text>
              </Stack>
              {reason && !error && (
                <Alert color="blue" icon={<IconInfoCircle size={18} />} role="status" data-testid="login-reason">
                  {reason}
                </Alert>
              )}
              {error && (
                <Alert color={throttled ? 'orange' : 'red'} icon={<IconAlertTriangle size={18} />} role="alert" data-testid="login-error">
                  <Text size="sm">{error.detail}</Text>
                  {throttled && retryLeft > 0 && (
                    <Text size="sm" fw={600} mt={4} data-testid="login-retry">
                      You can try again in {retryLeft} s.
                    </Text>
                  )}
                  {error.correlationId && (
                    <Text size="xs" c="dimmed" ff="monospace" mt={4}>
                      ref {error.correlationId}
                    </Text>
                  )}
                </Alert>
              )}
              <TextInput
                ref={usernameRef}
                label="Username"
                name="username"
                autoComplete="username"
                autoFocus
                required
                value={username}
                onChange={(e) => setUsername(e.currentTarget.value)}
                error={error?.fieldMessage('username')}
              />
              <PasswordInput
                ref={passwordRef}
                label="Password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                error={error?.fieldMessage('password')}
              />
              <Button type="submit" loading={submitting} disabled={retryLeft > 0 || !username || !password} fullWidth>
                {retryLeft > 0 ? `Locked (${retryLeft} s)` : 'Sign in'}
              </Button>
              <Text size="xs" c="dimmed" ta="center">
                Accounts are created by an administrator.
              </Text>
            </Stack>
          </form>
        </Paper>
      </Center>
    </Box>
  );
}
