import { Button, Loader } from '@mantine/core';
import { IconArrowUp } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
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
  /** A row was selected or expanded: the live tail should hold the list still. */
  onHold?: () => void;
  /** The selection was let go (Escape on a collapsed row). */
  onRelease?: () => void;
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
export function LogList({ rows, hasNextPage, isFetchingNextPage, fetchNextPage, onPivot, onAtTopChange, onHold, onRelease, pendingCount, onJumpToTop, handle }: LogListProps) {
  const parentRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  useFillHeight(wrapRef);
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
  const atTopRef = useRef(true);
  // At the top, rows prepended above (live lines, "N new lines") must not push the scroll position
  // down when they are measured (phone rows are ~100px against a 33px estimate): stay at 0.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = atTopRef.current ? () => false : undefined;

  const jumpRequested = useRef(false);
  const goTop = useCallback(() => {
    atTopRef.current = true;
    jumpRequested.current = true;
    if (parentRef.current) parentRef.current.scrollTop = 0;
    virtualizer.scrollToOffset(0);
  }, [virtualizer]);
  // after the flushed rows have rendered (and been measured), make sure we are really at the top
  useLayoutEffect(() => {
    if (!jumpRequested.current) return;
    jumpRequested.current = false;
    if (parentRef.current) parentRef.current.scrollTop = 0;
    virtualizer.scrollToOffset(0);
  });

  useImperativeHandle(handle, () => ({ scrollToTop: goTop }), [goTop]);

  // infinite scroll: fetch the next page when the last rendered row nears the end
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - LOAD_AHEAD) fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

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
    onHold?.();
    setActiveId(id);
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, [onHold]);

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
        if (activeIndex < 0) return;
        if (expanded.has(rows[activeIndex]!.id)) {
          setExpanded((prev) => {
            const next = new Set(prev);
            next.delete(rows[activeIndex]!.id);
            return next;
          });
        } else {
          // a second Escape lets go of the row: the live tail resumes
          setActiveId(null);
          onRelease?.();
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    onHold?.();
    setActiveId(rows[next]!.id);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const activeRow = activeIndex >= 0 ? rows[activeIndex] : undefined;
  return (
    <div className={classes.listWrap} ref={wrapRef}>
      {pendingCount > 0 && (
        <Button
          className={classes.newLines}
          size="xs"
          radius="xl"
          leftSection={<IconArrowUp size={14} />}
          onClick={() => {
            goTop();
            onJumpToTop();
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

/**
 * Size the list to the room left below its top edge, so the page itself does not scroll as well
 * (two nested scrollbars). Follows window resizes and anything above changing height (summary
 * folding, filters wrapping). Sets `--logs-fill` on the wrapper; phones use the CSS height.
 */
function useFillHeight(ref: { current: HTMLElement | null }) {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof window === 'undefined') return undefined;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const rect = el.getBoundingClientRect();
      const top = rect.top + window.scrollY;
      // whatever the page puts below the list (the shell's bottom padding)
      const below = Math.max(0, document.documentElement.scrollHeight - (rect.bottom + window.scrollY));
      const px = Math.max(MIN_LIST_PX, Math.floor(window.innerHeight - top - Math.min(below, 48)));
      el.style.setProperty('--logs-fill', `${px}px`);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    window.addEventListener('resize', schedule);
    const ro = new ResizeObserver(schedule);
    ro.observe(document.body);
    return () => {
      window.removeEventListener('resize', schedule);
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ref]);
}

const MIN_LIST_PX = 320;
