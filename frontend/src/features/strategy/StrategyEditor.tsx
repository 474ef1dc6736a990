import { Alert, Anchor, Badge, Box, Button, Grid, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconCopy, IconDeviceFloppy, IconInfoCircle, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useBlocker, useNavigate, useParams, type Blocker, type BlockerFunction } from 'react-router';
import { api, unwrap } from '../../api';
import { asApiError } from '../../api/errors';
import { ConfirmModal } from '../../app/ConfirmModal';
import { NotFound } from '../../app/NotFound';
import { notifySuccess } from '../../app/notify';
import { PageTitle } from '../../app/PageTitle';
import { QueryState } from '../../app/QueryState';
import { useInFlight } from '../../app/useInFlight';
import { useCurrentUser } from '../auth/useSession';
import { STRATEGIES, cloneStrategy, createStrategy, deleteStrategy, getStrategy, previewConfig, strategyKey, updateStrategy, versionsKey } from './api';
import { FormContext, type FormCtx } from './fields';
import { RUNNING_STATES } from './format';
import { BasicsSection, ExecutionSection, ExitsSection, ExpirySection, ScheduleSection, StrikesSection, TimingSection } from './FormSections';
import { KNOWN_PATHS, clientHints, defaultValues, fromConfig, mapServerErrors, pathOf, toConfig, type FieldErrors, type FormValues } from './formModel';
import { PreviewPanel } from './PreviewPanel';
import { ModeBadge, StateBadge } from './StrategyBadges';
import type { PreviewResult, StrategyRead } from './types';
import { VersionsPanel } from './VersionsPanel';

export function StrategyEditor() {
  const { id } = useParams();
  const numericId = id === undefined ? null : /^[1-9]\d{0,15}$/.test(id) ? Number(id) : NaN;
  const query = useQuery({
    queryKey: strategyKey(numericId ?? 0),
    queryFn: () => getStrategy(numericId!),
    enabled: numericId !== null && Number.isInteger(numericId),
  });
  if (numericId === null) return <EditorForm key="new" strategy={null} />;
  const missing = Number.isNaN(numericId) || (query.isError && asApiError(query.error).status === 404);
  if (missing) {
    return <NotFound what={`There is no strategy with ID ${id}. It may have been deleted.`} back="/strategies" backLabel="Back to strategies" />;
  }
  return (
    <QueryState query={query} label="strategy">
      {(s) => <EditorForm key={`${s.id}`} strategy={s} />}
    </QueryState>
  );
}

function focusFirstError(errors: FieldErrors) {
  const first = Object.keys(errors).find((k) => k !== '$');
  if (!first) return;
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>(`[data-path="${CSS.escape(first)}"]`);
    const input = el?.matches('input,textarea,select') ? el : el?.querySelector<HTMLElement>('input,textarea,select');
    (input ?? el)?.focus();
    (input ?? el)?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  });
}

/**
 * While `active` (unsaved edits), leaving the page asks first: an in-app navigation is held by the
 * router's blocker (the caller shows <UnsavedChangesDialog>), a reload / tab close by `beforeunload`.
 * `allowLeave()` lets the editor's own navigation through (after a save or a delete), before the
 * re-render that clears `active` reaches the router.
 */
function useUnsavedChangesPrompt(active: boolean): { blocker: Blocker; allowLeave: () => void } {
  const leaving = useRef(false);
  const shouldBlock = useCallback<BlockerFunction>(
    ({ currentLocation, nextLocation }) => active && !leaving.current && currentLocation.pathname !== nextLocation.pathname,
    [active],
  );
  const blocker = useBlocker(shouldBlock);
  useEffect(() => {
    // the edits went away (e.g. a save finished) while the dialog was up: nothing left to ask about
    if (blocker.state === 'blocked' && !active) blocker.reset();
  }, [blocker, active]);
  useEffect(() => {
    if (!active) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (leaving.current) return;
      e.preventDefault();
      e.returnValue = ''; // older browsers need it set to show their prompt
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [active]);
  const allowLeave = useCallback(() => {
    leaving.current = true;
  }, []);
  return { blocker, allowLeave };
}

function UnsavedChangesDialog({ blocker }: { blocker: Blocker }) {
  const blocked = blocker.state === 'blocked';
  return (
    <Modal opened={blocked} onClose={() => blocker.reset?.()} title={<Text fw={650}>Discard unsaved changes?</Text>} centered>
      <Stack gap="lg">
        <Text size="sm">This strategy has changes that are not saved. Leaving the page discards them.</Text>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={() => blocker.reset?.()} data-autofocus data-testid="unsaved-stay">
            Stay
          </Button>
          <Button color="red" onClick={() => blocker.proceed?.()} data-testid="unsaved-discard">
            Discard
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function EditorForm({ strategy }: { strategy: StrategyRead | null }) {
  const user = useCurrentUser();
  const readOnly = user.role !== 'admin';
  const navigate = useNavigate();
  const qc = useQueryClient();
  const initial = useMemo(() => (strategy ? fromConfig(strategy.config) : defaultValues()), [strategy]);
  const [values, setValues] = useState<FormValues>(initial);
  const [baseline, setBaseline] = useState(() => JSON.stringify(toConfig(initial)));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [preview, setPreview] = useState<{ result: PreviewResult; key: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const status = useQuery({ queryKey: ['exchange-status'], queryFn: () => unwrap(api.GET('/api/exchange/status')), meta: { silent: true } });
  const liveEnabled = status.data?.live_trading_enabled ?? false;
  const running = strategy !== null && RUNNING_STATES.has(strategy.state);
  const currentKey = JSON.stringify(toConfig(values));
  const dirty = currentKey !== baseline;
  // viewers cannot edit: never ask them
  const { blocker, allowLeave } = useUnsavedChangesPrompt(dirty && !readOnly);
  // one request per click: a double-click must not clone (or save, or delete) twice
  const saving = useInFlight();
  const cloning = useInFlight();
  const removing = useInFlight();

  const set = useCallback<FormCtx['set']>((key, value) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => {
      const path = pathOf(key);
      const prefix = key === 'trailing_rules' ? 'trailing_rules' : null;
      if (!(path in e) && !prefix && !e.$) return e;
      const next = { ...e };
      delete next[path];
      delete next.$;
      if (prefix) for (const k of Object.keys(next)) if (k.startsWith(prefix)) delete next[k];
      return next;
    });
  }, []);

  const ctx: FormCtx = { values, errors, readOnly, set };

  const check = (): boolean => {
    const hints = clientHints(values);
    if (Object.keys(hints).length) {
      setErrors(hints);
      focusFirstError(hints);
      return false;
    }
    return true;
  };
  const onServerError = (err: unknown) => {
    const mapped = mapServerErrors(err, KNOWN_PATHS);
    setErrors(mapped);
    focusFirstError(mapped);
  };

  const save = useMutation({
    meta: { inlineErrors: true },
    mutationFn: async () => {
      const body = toConfig(values);
      if (strategy) return { kind: 'update' as const, saved: await updateStrategy(strategy.id, body) };
      return { kind: 'create' as const, created: await createStrategy(body) };
    },
    onSuccess: (r) => {
      setErrors({});
      void qc.invalidateQueries({ queryKey: STRATEGIES });
      if (r.kind === 'create') {
        notifySuccess(`Created "${r.created.name}" (v1)`);
        allowLeave();
        void navigate(`/strategies/${r.created.id}`, { replace: true });
      } else {
        setBaseline(JSON.stringify(toConfig(values)));
        qc.setQueryData(strategyKey(r.saved.strategy.id), r.saved.strategy);
        void qc.invalidateQueries({ queryKey: versionsKey(r.saved.strategy.id) });
        notifySuccess(
          r.saved.applies_from === 'next_entry'
            ? `Saved v${r.saved.strategy.version}: applies from the next entry (the open session keeps its settings)`
            : `Saved v${r.saved.strategy.version}`,
        );
      }
    },
    onError: onServerError,
  });

  const runPreview = useMutation({
    meta: { inlineErrors: true },
    mutationFn: () => previewConfig(toConfig(values)),
    onSuccess: (result) => {
      setPreview({ result, key: JSON.stringify(toConfig(values)) });
    },
    onError: (err) => {
      setPreview(null);
      onServerError(err);
    },
  });

  const clone = useMutation({
    mutationFn: () => cloneStrategy(strategy!.id),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: STRATEGIES });
      notifySuccess(`Cloned as "${c.name}"`);
      void navigate(`/strategies/${c.id}`);
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteStrategy(strategy!.id),
    onSuccess: () => {
      setConfirmDelete(false);
      void qc.invalidateQueries({ queryKey: STRATEGIES });
      notifySuccess(`Deleted "${strategy!.name}" (its sessions stay in History)`);
      allowLeave();
      void navigate('/strategies');
    },
    onError: () => setConfirmDelete(false),
  });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (readOnly || saving.busy || !check()) return;
    saving.run('save', () => save.mutateAsync());
  };

  // the form's one submit, shown in the actions column and, on a phone, in a sticky bar too
  const saveButton = (testId: string, fullWidth = false) => (
    <Button type="submit" fullWidth={fullWidth} leftSection={<IconDeviceFloppy size={16} />} loading={saving.busy} disabled={strategy !== null && !dirty} data-testid={testId}>
      {strategy ? 'Save new version' : 'Create strategy'}
    </Button>
  );
  return (
    <Stack gap="md">
      <Anchor component={Link} to="/strategies" size="sm">
        <Group gap={4}>
          <IconArrowLeft size={14} /> All strategies
        </Group>
      </Anchor>
      <PageTitle
        title={strategy ? strategy.name : 'New strategy'}
        actions={
          strategy && (
            <Group gap="xs">
              <StateBadge state={strategy.state} />
              <ModeBadge mode={strategy.mode} />
              <Badge variant="default" ff="monospace">
                v{strategy.version}
              </Badge>
            </Group>
          )
        }
      />
      {running && (
        <Alert color="blue" icon={<IconInfoCircle size={18} />} data-testid="applies-next-entry">
          This strategy is running ({strategy.state}). Saved changes apply from the next entry; an open session keeps the settings
          it started with. Mode and underlying cannot change while it runs.
        </Alert>
      )}
      {readOnly && (
        <Text size="sm" c="dimmed">
          Read-only: only admins can change strategies.
        </Text>
      )}
      {errors.$ && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} role="alert" data-testid="form-error">
          {errors.$}
        </Alert>
      )}
      <FormContext.Provider value={ctx}>
        <form onSubmit={submit} noValidate aria-label="Strategy configuration">
          <Grid gap="md">
            <Grid.Col span={{ base: 12, md: 8 }}>
              <Stack gap="md">
                <BasicsSection liveEnabled={liveEnabled} />
                <ExpirySection />
                <StrikesSection />
                <TimingSection />
                <ExitsSection />
                <ExecutionSection />
                <ScheduleSection />
              </Stack>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 4 }}>
              <Stack gap="md" style={{ position: 'sticky', top: 72 }}>
                {!readOnly && (
                  <Stack gap="xs">
                    {saveButton('save-strategy')}
                    {dirty && strategy && (
                      <Text size="xs" c="orange" ta="center">
                        Unsaved changes
                      </Text>
                    )}
                    {strategy && (
                      <Group grow gap="xs">
                        <Button variant="default" leftSection={<IconCopy size={16} />} onClick={() => cloning.run('clone', () => clone.mutateAsync())} loading={cloning.busy} data-testid="clone-strategy">
                          Clone
                        </Button>
                        <Button
                          variant="light"
                          color="red"
                          leftSection={<IconTrash size={16} />}
                          onClick={() => setConfirmDelete(true)}
                          disabled={running}
                          title={running ? 'Stop the strategy before deleting it' : undefined}
                        >
                          Delete
                        </Button>
                      </Group>
                    )}
                  </Stack>
                )}
                <PreviewPanel
                  result={preview?.result ?? null}
                  loading={runPreview.isPending}
                  stale={preview !== null && preview.key !== currentKey}
                  onPreview={() => {
                    if (check()) runPreview.mutate();
                  }}
                />
                {strategy && (
                  <VersionsPanel
                    id={strategy.id}
                    current={strategy.version}
                    onLoad={readOnly ? undefined : (config) => setValues(fromConfig({ ...config, name: values.name }))}
                  />
                )}
              </Stack>
            </Grid.Col>
          </Grid>
          {!readOnly && (
            // On a phone the actions column sits below a long form: keep Save within reach.
            <Box hiddenFrom="md" pos="sticky" bottom={0} py="xs" mt="md" bg="var(--mantine-color-body)" style={{ zIndex: 5, borderTop: '1px solid var(--mantine-color-default-border)' }}>
              {saveButton('save-strategy-phone', true)}
            </Box>
          )}
        </form>
      </FormContext.Provider>
      {strategy && (
        <ConfirmModal
          opened={confirmDelete}
          title="Delete strategy"
          confirmLabel="Delete"
          loading={removing.busy}
          onConfirm={() => removing.run('delete', () => remove.mutateAsync())}
          onClose={() => setConfirmDelete(false)}
        >
          <Text size="sm">
            Delete <b>{strategy.name}</b>? It is archived and disappears from this list; its sessions stay in History.
          </Text>
        </ConfirmModal>
      )}
      <UnsavedChangesDialog blocker={blocker} />
    </Stack>
  );
}
