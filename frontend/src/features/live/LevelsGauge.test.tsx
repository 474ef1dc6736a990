import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '../../test/utils';
import { LevelsGauge, levelHelp } from './LevelsGauge';
import type { ExitLevels } from './runtime';

describe('levelHelp', () => {
  it('says what the distance and the premium are', () => {
    expect(levelHelp({ label: 'Stop (max loss)', pct: -50, distance: -48, premium: '308.25' })).toBe(
      'Stop (max loss) at −50.0% of credit. 48.0 percentage points of credit from the profit now. Triggers when the call and put marks add up to 308.25.',
    );
  });

  it('leaves out what it does not know', () => {
    expect(levelHelp({ label: 'Take profit', pct: 60, distance: null, premium: null })).toBe('Take profit at +60.0% of credit.');
  });
});

describe('LevelsGauge', () => {
  it('labels the trigger premium as the call and put marks together', () => {
    const levels: ExitLevels = {
      profit_pct: '-2',
      max_loss: { name: 'max_loss', profit_pct: '-50', combined_premium: '308.25', distance_pct: '-48' },
      take_profit: null,
      trailing_stop: null,
      next_trailing_trigger: null,
      leg_stops: [],
      exit_deadline: '2026-03-02T09:00:00Z',
      seconds_to_exit_deadline: 3600,
      expiry_approach_at: '2026-03-02T11:00:00Z',
      seconds_to_expiry_approach: 7200,
    };
    renderWithProviders(<LevelsGauge levels={levels} />);
    expect(screen.getByTestId('level-max_loss')).toHaveTextContent('−50.0% · 48.0 pts away · call+put 308.25');
  });
});
