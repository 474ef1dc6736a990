import { DEFAULT_THEME, getContrastColor, getPrimaryShade, mergeMantineTheme } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { theme } from './theme';

const merged = mergeMantineTheme(DEFAULT_THEME, theme);

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (color: string) => {
    const hex = color.length === 4 ? `#${[...color.slice(1)].map((c) => c + c).join('')}` : color;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('theme', () => {
  // every colour the app gives a filled Button/Badge (grep "color=" and the state/level colour maps)
  const colors = ['signal', 'red', 'green', 'orange', 'yellow', 'gray', 'blue', 'teal', 'grape', 'violet', 'cyan', 'indigo'];
  it.each(['light', 'dark'] as const)('filled colours have text at ≥ 4.5:1 in the %s scheme', (scheme) => {
    for (const color of colors) {
      // as Button/Badge resolve it: the text colour is chosen once, without a colour scheme…
      const text = getContrastColor({ color, theme: merged }) === 'var(--mantine-color-black)' ? merged.black : merged.white;
      // …while the fill follows the scheme's primary shade
      const fill = merged.colors[color]![getPrimaryShade(merged, scheme)]!;
      expect(contrast(fill, text), `${color} ${fill} with ${text}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
