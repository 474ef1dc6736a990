import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { setPrefersDark } from '../test/setup';
import { renderWithProviders } from '../test/utils';
import { COLOR_SCHEME_KEY } from './theme';
import { ThemeToggle } from './ThemeToggle';

const scheme = () => document.documentElement.getAttribute('data-mantine-color-scheme');

describe('ThemeToggle', () => {
  it('first visit follows prefers-color-scheme: dark', () => {
    setPrefersDark(true);
    renderWithProviders(<ThemeToggle />);
    expect(screen.getByTestId('theme-toggle')).toHaveAttribute('data-scheme', 'dark');
    expect(scheme()).toBe('dark');
  });

  it('first visit follows prefers-color-scheme: light', () => {
    renderWithProviders(<ThemeToggle />);
    expect(screen.getByTestId('theme-toggle')).toHaveAttribute('data-scheme', 'light');
    expect(screen.getByRole('button', { name: 'Switch to dark theme' })).toBeInTheDocument();
  });

  it('toggles and persists the choice', async () => {
    const user = userEvent.setup();
    const view = renderWithProviders(<ThemeToggle />);
    await user.click(screen.getByTestId('theme-toggle'));
    expect(screen.getByTestId('theme-toggle')).toHaveAttribute('data-scheme', 'dark');
    expect(scheme()).toBe('dark');
    expect(localStorage.getItem(COLOR_SCHEME_KEY)).toBe('dark');
    view.unmount();
    // A later visit uses the stored choice even though the OS prefers light.
    renderWithProviders(<ThemeToggle />);
    expect(screen.getByTestId('theme-toggle')).toHaveAttribute('data-scheme', 'dark');
    await user.click(screen.getByTestId('theme-toggle'));
    expect(localStorage.getItem(COLOR_SCHEME_KEY)).toBe('light');
  });
});
