import { expect, test, type Browser } from '@playwright/test';
import { LAPTOP, openContext, PHONE, signIn } from './browser';
import { shot } from './steps';

type Look = { name: string; viewport: { width: number; height: number }; scheme: 'light' | 'dark' };
const OTHER_LOOKS: Look[] = [
  { name: 'laptop-dark', viewport: LAPTOP, scheme: 'dark' },
  { name: 'phone-light', viewport: PHONE, scheme: 'light' },
  { name: 'phone-dark', viewport: PHONE, scheme: 'dark' },
];

async function open(browser: Browser, viewport: Look['viewport'], colorScheme: Look['scheme']) {
  const opened = await openContext(browser, viewport, colorScheme);
  await signIn(opened.page);
  return opened;
}

function hhmm(d: Date): string {
  return d.toISOString().slice(11, 16);
}

test('create a strategy, preview, start it, see it open with two legs live, stop it, find it in History', async ({ browser }) => {
  test.setTimeout(90_000);
  const { context, page, errors } = await open(browser, LAPTOP, 'light');

  // ---- Strategies: create with entry now (UTC, 10 min window) ----
  await page.getByTestId('nav-strategies').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Strategies' })).toBeVisible();
  await page.getByTestId('new-strategy').click();
  await expect(page.getByRole('heading', { level: 1, name: 'New strategy' })).toBeVisible();

  // client hints: an empty name is flagged next to the field before any round trip
  await page.getByTestId('save-strategy').click();
  await expect(page.getByText('must not be empty')).toBeVisible();
  await shot(page, 'strategy-editor-empty-name-flagged-laptop-light', { fullPage: false });

  const now = new Date();
  await page.getByTestId('field-name').fill('E2E strangle');
  await page.getByTestId('field-timezone').fill('UTC');
  await page.getByTestId('field-timezone').press('Escape');
  // inputs of one row line up whether or not they carry a hint ("per leg", "24-hour")
  for (const row of [['field-underlying', 'field-mode', 'field-quantity'], ['field-entry_time', 'field-entry_window_minutes', 'field-exit_time']]) {
    const tops = await Promise.all(row.map(async (id) => Math.round((await page.getByTestId(id).boundingBox())!.y)));
    expect(new Set(tops), `${row.join(', ')} tops ${tops.join(', ')}`).toHaveProperty('size', 1);
  }
  await page.getByTestId('field-entry_time').fill(hhmm(now));
  await page.getByTestId('field-entry_window_minutes').fill('10');
  await page.getByTestId('field-exit_time').fill(hhmm(new Date(now.getTime() + 3 * 3600_000)));

  // the server is the authority: its 422 lands next to the nested field
  await page.getByTestId('field-execution.limit_attempts').fill('99');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('field-execution.limit_attempts')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('must be between 1 and 20')).toBeVisible();
  await expect(page.getByTestId('field-execution.limit_attempts')).toBeFocused();
  await shot(page, 'strategy-editor-server-422-next-to-field-laptop-light', { fullPage: false });
  await page.getByTestId('field-execution.limit_attempts').fill('3');

  await page.getByTestId('preview-button').click();
  // USD credit at the 4 decimals Live Control and History show (0.2055, not 0.21)
  await expect(page.getByTestId('preview-credit')).toHaveText(/^\d[\d,]*\.\d{4}$/);
  await expect(page.getByTestId('preview-legs').locator('tbody tr')).toHaveCount(2);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'strategy-editor-laptop-light');

  await page.getByTestId('save-strategy').click();
  await expect(page).toHaveURL(/\/strategies\/\d+$/);
  await expect(page.getByRole('heading', { level: 1, name: 'E2E strangle' })).toBeVisible();
  await expect(page.getByTestId('versions')).toContainText('v1');
  const id = /\/strategies\/(\d+)$/.exec(page.url())![1]!;
  await shot(page, 'strategy-saved-v1-laptop-light');

  // ---- Live Control: start → open with two legs ----
  await page.getByTestId('nav-live').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Live Control' })).toBeVisible();
  await page.getByTestId(`live-pick-${id}`).click();
  const panel = page.getByTestId('strategy-panel');
  await expect(panel.getByTestId('state-badge').first()).toHaveAttribute('data-state', 'idle');
  await expect(page.getByTestId('ws-state').first()).toHaveAttribute('data-state', 'open');
  await shot(page, 'live-idle-before-start-laptop-light');
  await page.getByTestId('action-start').click();
  await expect(panel.getByTestId('state-badge').first()).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
  await expect(panel.getByTestId('leg-row')).toHaveCount(2);
  // the pushed 'open' brings the full picture (credit from both fills), not a mid-entry copy
  await expect(panel.getByTestId('state-detail')).toHaveText('legs open');
  await expect(panel.getByTestId('credit')).not.toHaveText(/^(—|0\.0000)$/);
  await expect(panel.getByTestId('no-open-orders')).toBeVisible();
  // countdowns tick locally
  const exitText = await panel.getByTestId('countdown-exit').textContent();
  await expect(panel.getByTestId('countdown-exit')).not.toHaveText(exitText ?? '', { timeout: 3000 });
  // a pushed tick fills the levels (no polling)
  await expect(panel.getByTestId('levels')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText(/Entered/).first()).toBeVisible({ timeout: 10_000 }); // the alert toast
  await expect(panel.getByTestId('pnl-sparkline')).toBeVisible({ timeout: 10_000 }); // ≥ 2 pushed ticks
  await shot(page, 'live-laptop-light');

  // the same open strategy in the other looks
  for (const look of OTHER_LOOKS) {
    const other = await open(browser, look.viewport, look.scheme);
    await other.page.goto(`/live?id=${id}`);
    await expect(other.page.getByTestId('strategy-panel').getByTestId('leg-row')).toHaveCount(2);
    await expect(other.page.getByTestId('levels')).toBeVisible({ timeout: 15_000 });
    await shot(other.page, `live-${look.name}`);
    await other.page.goto(`/strategies/${id}`);
    await expect(other.page.getByTestId('applies-next-entry')).toBeVisible();
    await shot(other.page, `strategy-editor-${look.name}`, { fullPage: false });
    expect(other.errors).toEqual([]);
    await other.context.close();
  }

  // ---- stop with confirmation ----
  await page.getByTestId('action-stop').click();
  await expect(page.getByRole('dialog')).toContainText('Exit the open legs');
  await shot(page, 'live-stop-confirmation-laptop-light', { fullPage: false });
  await page.getByTestId('confirm-action').click();
  await expect(panel.getByTestId('state-badge').first()).toHaveAttribute('data-state', 'closed', { timeout: 30_000 });
  await expect(panel.getByTestId('no-legs')).toBeVisible();
  await shot(page, 'live-stopped-closed-laptop-light');

  // ---- History: the session with its timeline ----
  await page.getByTestId('nav-history').click();
  await expect(page.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
  const row = page.getByTestId('session-row').first();
  await expect(row).toContainText('E2E strangle');
  await expect(row).toContainText('closed');
  // nothing in the row is cut short at laptop width (badges read "PAP…", "CLOS…" and the name "E2E…" before)
  for (const cell of await row.locator('[data-testid="mode-badge"] .mantine-Badge-label, [data-testid="state-badge"] .mantine-Badge-label, [data-testid="session-strategy-name"]').all()) {
    const fits = await cell.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits, `${await cell.textContent()} is truncated`).toBe(true);
  }
  await row.focus();
  await row.press('Enter');
  const timeline = page.getByTestId('session-timeline');
  await expect(timeline).toContainText('closed (manual_stop)');
  await expect(page.getByTestId('pnl-breakdown')).toContainText('Fees');
  await shot(page, 'history-drawer-laptop-light', { fullPage: false });
  await page.keyboard.press('Escape');
  await shot(page, 'history-laptop-light');

  // ---- Log Viewer: the session's strategy ID, then pivot by a correlation ID ----
  await page.getByTestId('nav-logs').click();
  await page.getByTestId('filter-strategy_id').fill(id);
  await page.getByTestId('filter-strategy_id').press('Enter');
  const logRows = page.getByTestId('log-row');
  await expect(logRows.first()).toBeVisible({ timeout: 15_000 }); // the engine's lines, ingested from the file
  const pivotValues = (field: string) =>
    logRows.evaluateAll((els, f) => els.map((e) => e.querySelector(`[data-testid="pivot-${f}"]`)?.getAttribute('data-value') ?? null), field);
  // Retried until the list settles: the unfiltered page can still be on screen (or the list
  // empty while the filtered page loads) right after Enter.
  const onlyValue = async (field: string) => [...new Set(await pivotValues(field))];
  await expect.poll(() => onlyValue('strategy_id'), { timeout: 15_000 }).toEqual([id]);
  await expect(page.getByTestId('log-list')).toContainText('manual_stop', { timeout: 15_000 });
  await shot(page, 'logs-filtered-by-the-strategy-laptop-light', { fullPage: false });
  const correlation = await logRows.first().getByTestId('pivot-correlation_id').first().getAttribute('data-value');
  expect(correlation).toBeTruthy();
  await logRows.first().getByTestId('pivot-correlation_id').first().click();
  await expect(page.getByTestId('filter-correlation_id')).toHaveValue(correlation!);
  await expect(page.getByTestId('filter-strategy_id')).toHaveValue('');
  await expect(logRows.first()).toBeVisible();
  await expect.poll(() => onlyValue('correlation_id'), { timeout: 15_000 }).toEqual([correlation]);
  await shot(page, 'logs-pivot-to-a-correlation-id-laptop-light', { fullPage: false });
  await page.getByTestId('nav-history').click();

  // CSV export downloads a file
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  expect((await download).suggestedFilename()).toMatch(/\.csv$/);

  for (const look of OTHER_LOOKS) {
    const other = await open(browser, look.viewport, look.scheme);
    await other.page.goto('/history');
    await other.page.getByTestId('session-row').first().click();
    await expect(other.page.getByTestId('session-timeline')).toContainText('closed');
    await shot(other.page, `history-drawer-${look.name}`, { fullPage: false });
    expect(other.errors).toEqual([]);
    await other.context.close();
  }

  // ---- global kill switch: typed confirmation, then re-arm ----
  await page.getByTestId('nav-live').click();
  await page.getByTestId('kill-switch').click();
  await expect(page.getByTestId('kill-confirm')).toBeDisabled();
  await page.getByTestId('kill-confirm-input').fill('KILL');
  await shot(page, 'kill-switch-typed-confirmation-laptop-light', { fullPage: false });
  await page.getByTestId('kill-confirm').click();
  await expect(page.getByTestId('engaged-banner')).toContainText('Kill switch engaged');
  await shot(page, 'kill-switch-engaged-laptop-light');
  await page.getByTestId('rearm').click();
  await page.getByTestId('confirm-action').click();
  await expect(page.getByTestId('engaged-banner')).toHaveCount(0);
  await shot(page, 'rearmed-laptop-light');

  expect(errors).toEqual([]);
  await context.close();
});
