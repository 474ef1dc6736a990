import { ActionIcon, Badge, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconFilter } from '@tabler/icons-react';
import { memo, useEffect, useState, type MouseEvent } from 'react';
import type { LogEntry } from './api';
import { copyText } from './clipboard';
import { displayLevel, ID_FIELDS, type IdField, type Level } from './filters';
import classes from './logs.module.css';
import { formatLogTime, formatLogTimeShort, logTimeTitle } from './time';

export const LEVEL_COLORS: Record<Level, string> = {
  DEBUG: 'gray',
  INFO: 'blue',
  WARNING: 'yellow',
  ERROR: 'red',
  CRITICAL: 'grape',
  RAW: 'orange',
};

export const ID_LABELS: Record<IdField, string> = {
  correlation_id: 'corr',
  request_id: 'req',
  strategy_id: 'strategy',
  session_id: 'session',
};

const ID_TITLES: Record<IdField, string> = {
  correlation_id: 'correlation ID',
  request_id: 'request ID',
  strategy_id: 'strategy ID',
  session_id: 'session ID',
};

/** A click that pivots to every line with this id, without also toggling the row it sits in. */
function pivotOnClick(onPivot: (f: IdField, v: string) => void, field: IdField, value: string) {
  return (e: MouseEvent) => {
    e.stopPropagation();
    onPivot(field, value);
  };
}

export function LevelBadge({ level }: { level: string }) {
  const lv = displayLevel(level);
  return (
    <Badge size="xs" radius="xs" variant="light" color={LEVEL_COLORS[lv]} w={68} styles={{ label: { overflow: 'visible' } }}>
      {level === lv ? lv : level.slice(0, 10)}
    </Badge>
  );
}

/** A clickable ID: pivots the view to that ID (rendered as text, never HTML). */
export function IdLink({ field, value, onPivot, full = false }: { field: IdField; value: string; onPivot: (f: IdField, v: string) => void; full?: boolean }) {
  const short = full || value.length <= 14 ? value : `${value.slice(0, 12)}…`;
  return (
    <button
      type="button"
      className={full ? `${classes.idLink} ${classes.idFull}` : classes.idLink}
      title={`Show only lines with ${ID_TITLES[field]} ${value}`}
      aria-label={`Filter by ${ID_TITLES[field]} ${value}`}
      data-testid={`pivot-${field}`}
      data-value={value}
      onClick={pivotOnClick(onPivot, field, value)}
    >
      {full ? value : `${ID_LABELS[field]} ${short}`}
    </button>
  );
}

/** A small "copy" icon button that says "Copied" for a moment (or "Copy failed"). */
export function CopyValue({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const t = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(t);
  }, [state]);
  const tip = state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text instead' : `Copy ${label}`;
  return (
    <Tooltip label={tip} opened={state !== 'idle' ? true : undefined} withinPortal>
      <ActionIcon
        size="xs"
        variant="subtle"
        color={state === 'copied' ? 'teal' : state === 'failed' ? 'red' : 'gray'}
        aria-label={state === 'copied' ? `Copied ${label}` : `Copy ${label}`}
        data-testid={testId}
        onClick={(e: MouseEvent) => {
          e.stopPropagation();
          void copyText(value).then((ok) => setState(ok ? 'copied' : 'failed'));
        }}
      >
        {state === 'copied' ? <IconCheck size={12} /> : <IconCopy size={12} />}
      </ActionIcon>
    </Tooltip>
  );
}

/** Whether an expanded row has a payload worth showing (an empty `{}` is not). */
export function hasPayload(payload: unknown): boolean {
  if (payload === null || payload === undefined || payload === '') return false;
  if (typeof payload === 'object' && !Array.isArray(payload) && Object.keys(payload as object).length === 0) return false;
  return true;
}

function prettyPayload(payload: unknown): string {
  if (payload === null || payload === undefined) return '—';
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, null, 2);
  } catch {
    return String(payload);
  }
}

export interface LogRowProps {
  row: LogEntry;
  expanded: boolean;
  active: boolean;
  onToggle: (id: number, index: number) => void;
  onPivot: (field: IdField, value: string) => void;
  index: number;
}

/** One log line. Every value is rendered as React text: markup in a message shows literally. */
export const LogRow = memo(function LogRow({ row, expanded, active, onToggle, onPivot, index }: LogRowProps) {
  const level = displayLevel(row.level);
  const ids = ID_FIELDS.filter((f) => row[f]);
  return (
    <div
      id={`log-row-${row.id}`}
      className={classes.row}
      data-testid="log-row"
      data-id={row.id}
      data-level={level}
      data-active={active}
      data-expanded={expanded}
      aria-expanded={expanded}
      onClick={() => {
        // selecting text to copy must not toggle the row
        if (window.getSelection?.()?.toString()) return;
        onToggle(row.id, index);
      }}
    >
      <div className={classes.line}>
        <LevelBadge level={row.level} />
        <time className={classes.time} dateTime={row.timestamp} title={logTimeTitle(row.timestamp)}>
          {formatLogTimeShort(row.timestamp)}
        </time>
        <span className={classes.logger} title={row.logger}>
          {row.logger}
        </span>
        <span className={classes.event} title={row.event}>
          {row.event}
        </span>
        <span className={classes.messageCell}>
          <span className={classes.message} data-testid="log-message">
            {row.message}
          </span>
          {ids.length > 0 && (
            <span className={classes.ids}>
              {ids.map((f) => (
                <IdLink key={f} field={f} value={String(row[f])} onPivot={onPivot} />
              ))}
            </span>
          )}
        </span>
      </div>
      {expanded && (
        <div className={classes.details} data-testid="log-details" onClick={(e) => e.stopPropagation()}>
          <dl className={classes.fields}>
            <dt>time (UTC)</dt>
            <dd>{row.timestamp}</dd>
            <dt>time (local)</dt>
            <dd>{formatLogTime(row.timestamp)}</dd>
            <dt>level</dt>
            <dd>{row.level}</dd>
            <dt>logger</dt>
            <dd>{row.logger}</dd>
            <dt>event</dt>
            <dd>{row.event}</dd>
            <dt>source</dt>
            <dd>{row.source}</dd>
            {ids.map((f) => (
              <FieldLink key={f} field={f} value={String(row[f])} onPivot={onPivot} />
            ))}
            <dt>message</dt>
            <dd>
              {row.message} <CopyValue value={row.message} label="message" testId="copy-message" />
            </dd>
          </dl>
          {hasPayload(row.payload) && (
            <div className={classes.payloadWrap}>
              <pre className={classes.json} data-testid="log-payload">
                {prettyPayload(row.payload)}
              </pre>
              <span className={classes.payloadCopy}>
                <CopyValue value={prettyPayload(row.payload)} label="payload" testId="copy-payload" />
              </span>
            </div>
          )}
        </div>
      )}
    </div>
  );
});

/** An ID in the expanded row: selectable text, a copy button, and the pivot as its own control. */
function FieldLink({ field, value, onPivot }: { field: IdField; value: string; onPivot: (f: IdField, v: string) => void }) {
  return (
    <>
      <dt>{field}</dt>
      <dd className={classes.idField}>
        <span className={classes.idValue} data-testid={`id-value-${field}`}>
          {value}
        </span>
        <CopyValue value={value} label={ID_TITLES[field]} testId={`copy-${field}`} />
        <Tooltip label={`Show only lines with this ${ID_TITLES[field]}`} withinPortal>
          <ActionIcon
            size="xs"
            variant="subtle"
            aria-label={`Filter by ${ID_TITLES[field]} ${value}`}
            data-testid={`pivot-${field}`}
            data-value={value}
            onClick={pivotOnClick(onPivot, field, value)}
          >
            <IconFilter size={12} />
          </ActionIcon>
        </Tooltip>
      </dd>
    </>
  );
}
