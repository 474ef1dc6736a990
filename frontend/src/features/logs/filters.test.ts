import { describe, expect, it } from 'vitest';
import { EMPTY_FILTERS, filtersFromSearch, filtersToSearch, normaliseLevel, pivotFilters, toApiQuery, toLiveFilter, type LogFilters } from './filters';

describe('normaliseLevel', () => {
  it('maps WARN to WARNING (the predecessor bug), FATAL to CRITICAL, any case', () => {
    expect(normaliseLevel('WARN')).toBe('WARNING');
    expect(normaliseLevel('warn')).toBe('WARNING');
    expect(normaliseLevel(' Warning ')).toBe('WARNING');
    expect(normaliseLevel('fatal')).toBe('CRITICAL');
    expect(normaliseLevel('raw')).toBe('RAW');
    expect(normaliseLevel('TRACE')).toBeNull();
    expect(normaliseLevel('')).toBeNull();
  });
});

describe('URL <-> filters', () => {
  const full: LogFilters = {
    ...EMPTY_FILTERS,
    levels: ['WARNING', 'ERROR'],
    logger: 'deltaplane.http',
    event: 'http_request',
    correlation_id: 'e2e-corr-123',
    request_id: 'r-1',
    strategy_id: 's-1',
    session_id: 'sess-9',
    q: 'order <b>failed</b>',
    start: '2026-01-31T10:00:00.000Z',
    end: '2026-01-31T12:00:00.000Z',
  };

  it('round-trips every filter', () => {
    const params = filtersToSearch(full);
    expect(filtersFromSearch(new URLSearchParams(params.toString()))).toEqual(full);
  });

  it('writes only non-empty filters, levels repeated in canonical order', () => {
    expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe('');
    const p = filtersToSearch({ ...EMPTY_FILTERS, levels: ['ERROR', 'DEBUG'], correlation_id: ' abc ' });
    expect(p.toString()).toBe('level=DEBUG&level=ERROR&correlation_id=abc');
  });

  it('reads WARN as WARNING, comma lists, dedupes, drops unknown levels', () => {
    const f = filtersFromSearch(new URLSearchParams('level=WARN&level=warning,error&level=TRACE'));
    expect(f.levels).toEqual(['WARNING', 'ERROR']);
  });

  it('a quick range wins over start/end; bad dates and ranges are ignored', () => {
    expect(filtersFromSearch(new URLSearchParams('range=1h&start=2026-01-01T00:00:00Z'))).toMatchObject({ range: '1h', start: '' });
    expect(filtersFromSearch(new URLSearchParams('range=3y&start=nope&end=2026-01-01T00:00:00Z'))).toMatchObject({ range: null, start: '', end: '2026-01-01T00:00:00Z' });
    expect(filtersToSearch({ ...EMPTY_FILTERS, range: '24h', start: 'x' }).toString()).toBe('range=24h');
  });

  it('pivot keeps only the clicked ID', () => {
    expect(filtersToSearch(pivotFilters('session_id', 'sess-1')).toString()).toBe('session_id=sess-1');
  });
});

describe('API query', () => {
  it('maps logger to logger_contains, resolves quick ranges against now', () => {
    const now = Date.parse('2026-02-01T12:00:00Z');
    expect(toApiQuery({ ...EMPTY_FILTERS, levels: ['WARNING'], logger: 'http', range: '15m', q: 'x' }, now)).toEqual({
      level: ['WARNING'],
      logger_contains: 'http',
      q: 'x',
      start: '2026-02-01T11:45:00.000Z',
    });
    expect(toApiQuery(EMPTY_FILTERS, now)).toEqual({});
  });

  it('live filter drops time bounds; none when the range ended in the past', () => {
    const now = Date.parse('2026-02-01T12:00:00Z');
    expect(toLiveFilter({ ...EMPTY_FILTERS, correlation_id: 'c', range: '1h' }, now)).toEqual({ correlation_id: 'c' });
    expect(toLiveFilter({ ...EMPTY_FILTERS, end: '2026-01-01T00:00:00Z' }, now)).toBeNull();
    expect(toLiveFilter({ ...EMPTY_FILTERS, start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }, now)).toEqual({});
  });
});
