import { describe, expect, it } from 'vitest';
import { initialTail, isPaused, jumpToTop, newLinesLabel, receive, setAtTop } from './liveTail';

const r = (id: number) => ({ id });
const ids = (rows: { id: number }[]) => rows.map((x) => x.id);

describe('live tail', () => {
  it('at the top: new rows are shown at once, newest first, without duplicates', () => {
    let s = initialTail<{ id: number }>();
    s = receive(s, [r(1), r(2)]);
    s = receive(s, [r(2), r(3)]);
    expect(ids(s.rows)).toEqual([3, 2, 1]);
    expect(s.pending).toEqual([]);
    expect(isPaused(s)).toBe(false);
  });

  it('scrolled away: pauses, counts "N new lines", and resumes at the top', () => {
    let s = receive(initialTail<{ id: number }>(), [r(1)]);
    s = setAtTop(s, false);
    expect(isPaused(s)).toBe(true);
    s = receive(s, [r(2), r(3)]);
    s = receive(s, [r(4)]);
    expect(ids(s.rows)).toEqual([1]); // the visible list does not move
    expect(s.pending.length).toBe(3);
    expect(newLinesLabel(s.pending.length)).toBe('3 new lines');
    s = setAtTop(s, true);
    expect(ids(s.rows)).toEqual([4, 3, 2, 1]);
    expect(s.pending).toEqual([]);
    expect(isPaused(s)).toBe(false);
  });

  it('"N new lines" jumps back: everything pending shows and live resumes', () => {
    let s = setAtTop(initialTail<{ id: number }>(), false);
    s = receive(s, [r(7)]);
    expect(newLinesLabel(s.pending.length)).toBe('1 new line');
    s = jumpToTop(s);
    expect(ids(s.rows)).toEqual([7]);
    expect(s.atTop).toBe(true);
    s = receive(s, [r(8)]);
    expect(ids(s.rows)).toEqual([8, 7]);
  });

  it('ignores rows the list already has', () => {
    const s = receive(initialTail<{ id: number }>(), [r(5), r(6)], new Set([5]));
    expect(ids(s.rows)).toEqual([6]);
  });
});
