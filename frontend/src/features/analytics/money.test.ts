import { describe, expect, it } from 'vitest';
import { decimalSign, formatDecimal, formatDuration, formatMoney, formatPercentOfOne, formatRatio, isRounded, normalizeDecimal, parseDecimal } from './money';
import { compareDecimal } from './BreakdownTable';

describe('formatMoney: exact decimal strings', () => {
  it.each([
    ['0', '$0.00'],
    ['67.25', '$67.25'],
    ['67', '$67.00'],
    ['1234.5', '$1,234.50'],
    ['1234567.891', '$1,234,567.891'],
    ['-1234.5', '-$1,234.50'],
    ['-0.35', '-$0.35'],
    ['0.0125', '$0.0125'],
    ['100', '$100.00'],
    ['999', '$999.00'],
    ['1000', '$1,000.00'],
    ['-1000000', '-$1,000,000.00'],
    ['123456789012345678901234.01', '$123,456,789,012,345,678,901,234.01'],
  ])('%s -> %s', (input, out) => {
    expect(formatMoney(input)).toBe(out);
  });

  it('never goes through a float (0.1 + 0.2 style surprises, huge values)', () => {
    expect(formatMoney('0.30000000000000004', { maxDp: 20 })).toBe('$0.30000000000000004');
    expect(formatMoney('9007199254740993')).toBe('$9,007,199,254,740,993.00'); // > 2^53
    expect(formatMoney('1.005', { maxDp: 2 })).toBe('$1.01'); // a float would give 1.00
    expect(formatMoney('-2.675', { maxDp: 2 })).toBe('-$2.68');
  });

  it('rounds half away from zero, carrying through nines', () => {
    expect(formatMoney('40.08333333')).toBe('$40.0833');
    expect(formatMoney('16.8125')).toBe('$16.8125');
    expect(formatMoney('9.99999')).toBe('$10.00');
    expect(formatMoney('999.999', { maxDp: 2 })).toBe('$1,000.00');
    expect(formatMoney('-0.00004')).toBe('$0.00'); // no "-$0.00"
    expect(formatMoney('-0.00005')).toBe('-$0.0001');
  });

  it('signs and zero', () => {
    expect(formatMoney('67.25', { signed: true })).toBe('+$67.25');
    expect(formatMoney('-53', { signed: true })).toBe('-$53.00');
    expect(formatMoney('0', { signed: true })).toBe('$0.00');
    expect(formatMoney('-0', { signed: true })).toBe('$0.00');
  });

  it('exponents, leading zeros, plus sign, whitespace', () => {
    expect(formatMoney('1E+3')).toBe('$1,000.00');
    expect(formatMoney('1.5e-2')).toBe('$0.015');
    expect(formatMoney('-0012.50')).toBe('-$12.50');
    expect(formatMoney('+5')).toBe('$5.00');
    expect(formatMoney(' 7.1 ')).toBe('$7.10');
    expect(formatMoney('.5')).toBe('$0.50');
  });

  it('null, undefined and garbage show the fallback', () => {
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney(undefined)).toBe('—');
    expect(formatMoney('abc')).toBe('—');
    expect(formatMoney('NaN')).toBe('—');
    expect(formatMoney('Infinity')).toBe('—');
    expect(formatMoney('1.2.3')).toBe('—');
    expect(formatMoney('', { fallback: 'n/a' })).toBe('n/a');
  });

  it('options: currency, minDp', () => {
    expect(formatMoney('1234.5', { currency: '' })).toBe('1,234.50');
    expect(formatDecimal('1234.5')).toBe('1,234.5');
    expect(formatDecimal('-0.00000001')).toBe('-0.00000001');
    expect(formatMoney('12', { minDp: 0 })).toBe('$12');
  });
});

describe('decimal helpers', () => {
  it('parse / normalize / sign / rounded', () => {
    expect(parseDecimal('-012.500')).toEqual({ negative: true, int: '12', frac: '5' });
    expect(normalizeDecimal('067.50')).toBe('67.5');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(normalizeDecimal('67.25')).toBe('67.25');
    expect(decimalSign('-0.01')).toBe(-1);
    expect(decimalSign('0.00')).toBe(0);
    expect(decimalSign('3')).toBe(1);
    expect(decimalSign(null)).toBe(0);
    expect(isRounded('40.08333333')).toBe(true);
    expect(isRounded('40.0833')).toBe(false);
  });

  it('compares decimals exactly', () => {
    expect(compareDecimal('-53', '26')).toBeLessThan(0);
    expect(compareDecimal('100.5', '99.99')).toBeGreaterThan(0);
    expect(compareDecimal('-100.5', '-99.99')).toBeLessThan(0);
    expect(compareDecimal('0', '-0.0')).toBe(0);
    expect(compareDecimal('9007199254740993', '9007199254740992')).toBeGreaterThan(0);
    const sorted = ['3', '-1.5', '0', '-10', '2.25'].sort(compareDecimal);
    expect(sorted).toEqual(['-10', '-1.5', '0', '2.25', '3']);
  });

  it('ratios, percents and durations', () => {
    expect(formatPercentOfOne(0.75)).toBe('75.0%');
    expect(formatPercentOfOne(null)).toBe('—');
    expect(formatRatio(2.268867)).toBe('2.27');
    expect(formatRatio(null)).toBe('—');
    expect(formatDuration(21600)).toBe('6h 0m');
    expect(formatDuration(90061)).toBe('1d 1h');
    expect(formatDuration(65)).toBe('1m 5s');
    expect(formatDuration(null)).toBe('—');
  });
});
