import { Autocomplete, Button, Chip, Collapse, Group, SegmentedControl, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAdjustmentsHorizontal, IconSearch, IconX } from '@tabler/icons-react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { customWindow, EMPTY_FILTERS, ID_FIELDS, LEVELS, QUICK_RANGES, rangeError, sameFilters, syncDraft, type IdField, type Level, type LogFilters, type QuickRange } from './filters';
import { LEVEL_COLORS } from './LogRow';

const ID_PLACEHOLDERS: Record<IdField, string> = {
  correlation_id: 'Correlation ID',
  request_id: 'Request ID',
  strategy_id: 'Strategy ID',
  session_id: 'Session ID',
};

/** ISO (UTC) -> value of a datetime-local input (local time, minutes). */
export function isoToLocalInput(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** datetime-local value (local time) -> ISO UTC; '' when empty/invalid. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export interface FilterBarProps {
  applied: LogFilters;
  onApply: (f: LogFilters) => void;
  loggers: string[];
  events: string[];
}

/**
 * Text filters are edited as a draft and applied with Enter (or Apply); level chips and quick
 * ranges apply at once. The bar stays mounted (focus and unapplied input survive an apply): when
 * the applied filters change, what changed is copied into the draft.
 *
 * A custom range is only a draft until applied: a chip or a text Apply keeps the range that is
 * active, and an Apply while Custom is open applies From/To.
 */
export function FilterBar({ applied, onApply, loggers, events }: FilterBarProps) {
  const [draft, setDraft] = useState<LogFilters>(applied);
  const [custom, setCustom] = useState(!applied.range && Boolean(applied.start || applied.end));
  const [prevApplied, setPrevApplied] = useState(applied);
  if (!sameFilters(prevApplied, applied)) {
    // adjust state while rendering (React's pattern for syncing from props)
    setPrevApplied(applied);
    setDraft((d) => syncDraft(d, prevApplied, applied));
    const rangeChanged = prevApplied.range !== applied.range || prevApplied.start !== applied.start || prevApplied.end !== applied.end;
    if (rangeChanged) setCustom(!applied.range && Boolean(applied.start || applied.end));
  }
  const set = <K extends keyof LogFilters>(key: K, value: LogFilters[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const customError = custom ? rangeError(draft.start, draft.end) : null;
  /** The time range an apply sends: the custom draft when Custom is open, else the active one. */
  const rangeFields = (withCustom: boolean): Pick<LogFilters, 'range' | 'start' | 'end'> =>
    withCustom && custom ? { range: null, start: draft.start, end: draft.end } : { range: applied.range, start: applied.start, end: applied.end };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (customError) return;
    onApply({ ...draft, ...rangeFields(true) });
  };
  const rangeValue = custom ? 'custom' : (applied.range ?? 'all');
  const phone = useMediaQuery('(max-width: 48em)') ?? false;
  const activeMore = (['logger', 'event', 'correlation_id', 'request_id', 'strategy_id', 'session_id', 'start', 'end'] as const).filter((k) => applied[k]).length;
  const [moreOpen, setMoreOpen] = useState(activeMore > 0);

  const searchInput = (
    <TextInput
      size="xs"
      aria-label="Search text"
      placeholder="Whole words in message or payload"
      leftSection={<IconSearch size={14} />}
      value={draft.q}
      onChange={(e) => set('q', e.currentTarget.value)}
      data-testid="filter-q"
    />
  );
  const moreInputs: ReactNode = (
    <>
      <Autocomplete
        size="xs"
        aria-label="Logger"
        placeholder="Logger (contains)"
        data={loggers}
        value={draft.logger}
        onChange={(v) => set('logger', v)}
        comboboxProps={{ withinPortal: true }}
        data-testid="filter-logger"
      />
      <Autocomplete
        size="xs"
        aria-label="Event"
        placeholder="Event"
        data={events}
        value={draft.event}
        onChange={(v) => set('event', v)}
        data-testid="filter-event"
      />
      {ID_FIELDS.map((f) => (
        <TextInput
          key={f}
          size="xs"
          aria-label={ID_PLACEHOLDERS[f]}
          placeholder={ID_PLACEHOLDERS[f]}
          value={draft[f]}
          onChange={(e) => set(f, e.currentTarget.value)}
          data-testid={`filter-${f}`}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
      ))}
      {custom && (
        <>
          <TextInput
            size="xs"
            type="datetime-local"
            aria-label="From (local time)"
            value={isoToLocalInput(draft.start)}
            onChange={(e) => set('start', localInputToIso(e.currentTarget.value))}
            data-testid="filter-start"
          />
          <TextInput
            size="xs"
            type="datetime-local"
            aria-label="To (local time, empty = now)"
            title="Empty: up to now (open-ended)"
            value={isoToLocalInput(draft.end)}
            onChange={(e) => set('end', localInputToIso(e.currentTarget.value))}
            error={customError}
            data-testid="filter-end"
          />
        </>
      )}
    </>
  );
  const actionButtons = (
          <Group gap="xs" wrap="nowrap">
            <Button size="xs" type="submit" data-testid="filters-apply" flex={1} disabled={Boolean(customError)}>
              Apply
            </Button>
            <Button
              size="xs"
              variant="default"
              leftSection={<IconX size={14} />}
              onClick={() => {
                setCustom(false);
                setDraft(EMPTY_FILTERS);
                onApply(EMPTY_FILTERS);
              }}
              data-testid="filters-clear"
            >
              Clear
            </Button>
          </Group>
  );

  return (
    <form onSubmit={submit} data-testid="logs-filter-form" aria-label="Log filters">
      <Stack gap="xs">
        <Group gap="xs" wrap="wrap" justify="space-between">
          <Chip.Group
            multiple
            value={draft.levels}
            onChange={(v) => onApply({ ...draft, ...rangeFields(false), levels: LEVELS.filter((l) => v.includes(l)) })}
          >
            <Group gap={6} wrap="wrap" role="group" aria-label="Levels">
              {LEVELS.map((l: Level) => (
                <Chip key={l} value={l} size="xs" color={LEVEL_COLORS[l]} variant="light" data-testid={`level-${l}`}>
                  {l}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          <SegmentedControl
            size="xs"
            value={rangeValue}
            aria-label="Time range"
            data={[...Object.keys(QUICK_RANGES), 'all', 'custom'].map((v) => ({ value: v, label: v === 'all' ? 'All' : v === 'custom' ? 'Custom' : v }))}
            onChange={(v) => {
              if (v === 'custom') {
                // open the From/To fields on the window on screen; nothing changes until Apply
                setCustom(true);
                setMoreOpen(true);
                setDraft((d) => ({ ...d, ...customWindow(applied) }));
                return;
              }
              setCustom(false);
              onApply({ ...draft, range: v === 'all' ? null : (v as QuickRange), start: '', end: '' });
            }}
            data-testid="range-control"
          />
        </Group>
        {phone ? (
          <>
            <Group gap="xs" wrap="nowrap" align="flex-start">
              <div style={{ flex: 1 }}>{searchInput}</div>
              <Button
                size="xs"
                variant={moreOpen ? 'light' : 'default'}
                leftSection={<IconAdjustmentsHorizontal size={14} />}
                onClick={() => setMoreOpen((o) => !o)}
                aria-expanded={moreOpen}
                data-testid="filters-more"
              >
                Filters{activeMore ? ` (${activeMore})` : ''}
              </Button>
            </Group>
            <Collapse expanded={moreOpen}>
              <SimpleGrid cols={2} spacing="xs" verticalSpacing="xs">
                {moreInputs}
              </SimpleGrid>
            </Collapse>
            {actionButtons}
          </>
        ) : (
          <SimpleGrid cols={{ base: 1, xs: 2, md: 3, lg: 4 }} spacing="xs" verticalSpacing="xs">
            {searchInput}
            {moreInputs}
            {actionButtons}
          </SimpleGrid>
        )}
      </Stack>
    </form>
  );
}
