import { Button, Loader } from '@mantine/core';
import { IconArrowUp } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import type { LogEntry } from './api';
import type { IdField } from './filters';
import { newLinesLabel, TOP_THRESHOLD_PX } from './liveTail';
import { LogRow } from './LogRow';
import classes from './logs.module.css';

export interface LogListHandle {
  scrollToTop: () => void;
}

export interface LogListProps {
  rows: LogEntry[];
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
  onPivot: (field: IdField, value: string) => void;
  onAtTopChange: (atTop: boolean) => void;
  pendingCount: number;
  onJumpToTop: () => void;
  handle?: Ref<LogListHandle>;
}

const ESTIMATE = 33;
const LOAD_AHEAD = 40;

/**
 * Virtualized (only visible rows are in the DOM, so 100k loaded rows stay smooth), infinite
 * (the next page loads as the end nears), keyboard driven (↑/↓/PgUp/PgDn/Home/End move, Enter
 * or Space expands).
 */
export function LogList({ rows, hasNextPage, isFetchingNextPage, fetchNextPage, onPivot, onAtTopChange, pendingCount, onJumpToTop, handle }: LogListProps) {
  const parentRef = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const [activeId, setActiveId] = useState<number | null>(null);
  const count = rows.length + (hasNextPage ? 1 : 0);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns fresh functions by design
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ESTIMATE,
    overscan: 10,
    getItemKey: (i) => rows[i]?.id ?? 'more',
  });
  const items = virtualizer.getVirtualItems();

  useImperativeHandle(handle, () => ({
    scrollToTop: () => {
      if (parentRef.current) parentRef.current.scrollTop = 0;
      virtualizer.scrollToOffset(0);
    },
  }));

  // infinite scroll: fetch the next page when the last rendered row nears the end
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - LOAD_AHEAD) fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const atTopRef = useRef(true);
  const onScroll = () => {
    const el = parentRef.current;
    if (!el) return;
    const atTop = el.scrollTop <= TOP_THRESHOLD_PX;
    if (atTop !== atTopRef.current) {
      atTopRef.current = atTop;
      onAtTopChange(atTop);
    }
  };

  const toggle = useCallback((id: number) => {
    setActiveId(id);
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const activeIndex = activeId === null ? -1 : rows.findIndex((r) => r.id === activeId);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0 || e.target !== e.currentTarget) return;
    const page = Math.max(1, Math.floor((parentRef.current?.clientHeight ?? 300) / ESTIMATE) - 1);
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
        next = activeIndex < 0 ? 0 : Math.min(rows.length - 1, activeIndex + 1);
        break;
      case 'ArrowUp':
        next = activeIndex < 0 ? 0 : Math.max(0, activeIndex - 1);
        break;
      case 'PageDown':
        next = Math.min(rows.length - 1, Math.max(0, activeIndex) + page);
        break;
      case 'PageUp':
        next = Math.max(0, activeIndex - page);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = rows.length - 1;
        break;
      case 'Enter':
      case ' ':
        if (activeIndex >= 0) {
          e.preventDefault();
          toggle(rows[activeIndex]!.id);
        }
        return;
      case 'Escape':
        if (activeIndex >= 0 && expanded.has(rows[activeIndex]!.id)) toggle(rows[activeIndex]!.id);
        return;
      default:
        return;
    }
    e.preventDefault();
    setActiveId(rows[next]!.id);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const activeRow = activeIndex >= 0 ? rows[activeIndex] : undefined;
  return (
    <div className={classes.listWrap}>
      {pendingCount > 0 && (
        <Button
          className={classes.newLines}
          size="xs"
          radius="xl"
          leftSection={<IconArrowUp size={14} />}
          onClick={() => {
            onJumpToTop();
            atTopRef.current = true;
            if (parentRef.current) parentRef.current.scrollTop = 0;
          }}
          data-testid="new-lines"
          aria-live="polite"
        >
          {newLinesLabel(pendingCount)}
        </Button>
      )}
      <div
        ref={parentRef}
        className={classes.viewport}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        tabIndex={0}
        role="list"
        aria-label="Log lines (arrow keys move, Enter expands)"
        aria-activedescendant={activeRow ? `log-row-${activeRow.id}` : undefined}
        data-testid="log-list"
      >
        <div style={{ height: virtualizer.getTotalSize(), width: '100%', position: 'relative' }}>
          {items.map((vi) => {
            const row = rows[vi.index];
            return (
              <div
                key={vi.key}
                data-index={vi.index}
                ref={virtualizer.measureElement}
                role="listitem"
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${vi.start}px)` }}
              >
                {row ? (
                  <LogRow row={row} index={vi.index} expanded={expanded.has(row.id)} active={row.id === activeId} onToggle={toggle} onPivot={onPivot} />
                ) : (
                  <div className={classes.loaderRow}>
                    <Loader size="xs" /> Loading older lines…
                  </div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
