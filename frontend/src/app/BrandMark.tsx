import { useMantineTheme } from '@mantine/core';

/** The delta-wing mark (inline SVG, no external asset). */
export function BrandMark({ size = 24 }: { size?: number }) {
  const theme = useMantineTheme();
  const fill = theme.colors.signal?.[8] ?? '#0c8599';
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="6" fill={fill} />
      <path d="M6 23 16 7l10 16z" fill="none" stroke="#e6fcf5" strokeWidth="2.5" strokeLinejoin="round" />
      <path d="M11 23h10" stroke="#e6fcf5" strokeWidth="2.5" />
    </svg>
  );
}
