import { createTheme, localStorageColorSchemeManager, type MantineColorsTuple } from '@mantine/core';

// A cold teal "instrument" accent; tabular numerals everywhere so columns of figures line up.
const signal: MantineColorsTuple = [
  '#e3fafc', '#c5f6fa', '#99e9f2', '#66d9e8', '#3bc9db',
  '#22b8cf', '#15aabf', '#1098ad', '#0c8599', '#0b7285',
];

export const theme = createTheme({
  primaryColor: 'signal',
  // Filled buttons and badges pick black or white text by the fill's luminance. Mantine picks
  // that text colour once, from the light scheme's shade, so both schemes fill with the same
  // shade: every filled colour then reads at ≥ 4.5:1 in both (white on the dark scheme's old
  // shade-5 fills was ~2.4:1).
  primaryShade: { light: 9, dark: 9 },
  autoContrast: true,
  luminanceThreshold: 0.18,
  colors: { signal },
  fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  headings: { fontWeight: '650' },
  defaultRadius: 'sm',
  cursorType: 'pointer',
  focusRing: 'auto',
  respectReducedMotion: true,
  other: { numeric: { fontVariantNumeric: 'tabular-nums' } },
});

/** Persisted choice (light/dark); `auto` on first visit follows prefers-color-scheme. */
export const COLOR_SCHEME_KEY = 'deltaplane-color-scheme';
export const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });
