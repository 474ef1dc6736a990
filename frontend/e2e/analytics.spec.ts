import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAPTOP, openContext, PHONE, signIn } from './browser';
import { shot } from './steps';

const here = dirname(fileURLToPath(import.meta.url));
const python = resolve(here, '../../backend/.venv/bin/python');

// A non-UTC browser zone: the page must default to it and send it as `tz`.
const TZ = 'Asia/Kolkata';
// Chromium's ICU reports the legacy alias of this zone; the backend's tzdata accepts both.
const TZ_RE = /^Asia\/(Kolkata|Calcutta)$/;
const ANALYTICS_CONTEXT = { timezoneId: TZ, acceptDownloads: true };



function seed(): { strategy_id: number; net_pnl: string; trade_count: number } {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL missing: global setup did not export it');
  const run = spawnSync(python, [join(here, 'seed_sessions.py'), url], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`seed failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
}

/** RFC 4180 parse (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

test('analytics: empty state, seeded KPIs, presets in the URL, CSV export, screenshots', async ({ browser }) => {
  const { context, page, errors } = await openContext(browser, LAPTOP, 'light', ANALYTICS_CONTEXT);
  await signIn(page);
  await page.getByTestId('nav-analytics').click();
  await expect(page).toHaveURL(/\/analytics/);
  await expect(page.getByRole('heading', { level: 1, name: 'Analytics' })).toBeVisible();

  // ---- empty DB: an empty state that says what to do ----
  await expect(page.getByTestId('analytics-empty')).toBeVisible();
  await expect(page.getByTestId('analytics-empty')).toContainText('No closed sessions');
  await expect(page.getByTestId('analytics-empty')).toContainText('Live Control'); // where Start is
  await expect(page.getByTestId('updated-at')).toHaveText(/^updated \d\d:\d\d:\d\d$/);
  await expect(page.getByTestId('tz-select')).toHaveValue(TZ_RE);
  const tzShown = await page.getByTestId('tz-select').inputValue();
  await shot(page, 'analytics-empty-laptop-light');

  // ---- seed closed sessions straight into the e2e backend's database ----
  const seeded = seed();
  expect(seeded.net_pnl).toBe('67.25');

  // the summary request must carry the preset (never a frozen end) and the browser's timezone
  const summaryReq = page.waitForRequest((r) => r.url().includes('/api/analytics/summary'));
  await page.getByTestId('refresh-now').click();
  const sent = new URL((await summaryReq).url());
  expect(sent.searchParams.get('preset')).toBe('30d');
  expect(sent.searchParams.get('end')).toBeNull();
  expect(sent.searchParams.get('tz')).toBe(tzShown);

  const net = page.getByTestId('kpi-net_pnl');
  await expect(net).toHaveAttribute('data-value', '67.25');
  await expect(net).toHaveText('+$67.25');
  await expect(page.getByTestId('kpi-trade_count')).toHaveText('4');
  await expect(page.getByTestId('kpi-fees')).toHaveText('$13.25');
  await expect(page.getByTestId('kpi-gross_pnl')).toHaveText('+$80.50');
  await expect(page.getByTestId('kpi-largest_loss')).toHaveText('-$53.00');
  await expect(page.getByTestId('kpi-profit_factor')).toHaveText('2.27');
  await expect(page.getByTestId('table-exit-reason')).toContainText('Take profit');
  await expect(page.getByTestId('table-underlying')).toContainText('ETH');
  await expect(page.getByTestId('table-strategy')).toContainText('E2E analytics seed');
  await expect(page.getByTestId('chart-equity').locator('canvas').first()).toBeVisible();

  // ---- presets go to the URL; Today is empty (the seeded sessions closed before today) ----
  await page.getByTestId('range-presets').getByText('Today', { exact: true }).click();
  await expect(page).toHaveURL(/preset=today/);
  await expect(page.getByTestId('analytics-empty')).toBeVisible();
  await shot(page, 'analytics-today-empty-laptop-light', { fullPage: false });
  await page.getByTestId('empty-show-all').click();
  await expect(page).toHaveURL(/preset=all/);
  await expect(net).toHaveAttribute('data-value', '67.25');
  await shot(page, 'analytics-seeded-all-time-laptop-light');

  // ---- a shared link: strategy + starting capital from the query ----
  await page.goto(`/analytics?preset=30d&strategy=${seeded.strategy_id}&capital=10000`);
  await expect(net).toHaveAttribute('data-value', '67.25');
  await expect(page.getByTestId('capital-input')).toHaveValue('10000');
  await expect(page.getByTestId('kpi-max_drawdown')).toHaveAttribute('data-value', '53');
  await expect(page.getByTestId('kpi-sharpe_ratio')).not.toHaveText('—');
  await page.waitForTimeout(300); // charts settle (canvas draw on next frame)
  await shot(page, 'analytics-laptop-light');

  // ---- CSV export: streamed with the bearer token, downloaded under the server's name ----
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^analytics-export-\d{8}-\d{6}\.csv$/);
  const file = await download.path();
  const rows = parseCsv(readFileSync(file, 'utf8'));
  expect(rows[0]).toEqual(['section', 'field', 'value']);
  const sections = [...new Set(rows.slice(1).map((r) => r[0]))];
  expect(sections).toEqual(['metadata', 'metrics', 'daily', 'timeline']);
  const metric = (field: string) => rows.find((r) => r[0] === 'metrics' && r[1] === field)?.[2];
  const meta = (field: string) => rows.find((r) => r[0] === 'metadata' && r[1] === field)?.[2];
  expect(metric('net_pnl')).toBe(await net.getAttribute('data-value'));
  expect(meta('timezone')).toBe(tzShown);
  expect(meta('preset')).toBe('30d');
  expect(meta('strategy_id')).toBe(String(seeded.strategy_id));
  expect(meta('trade_count')).toBe('4');
  await expect(page.getByText(/^Exported analytics-export-/)).toBeVisible();
  await shot(page, 'analytics-csv-exported-laptop-light', { fullPage: false });

  // ---- dark mode, laptop ----
  expect(errors).toEqual([]);
  await context.close();
  for (const [name, viewport] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      if (name === 'laptop' && scheme === 'light') continue;
      const c = await openContext(browser, viewport, scheme, ANALYTICS_CONTEXT);
      await signIn(c.page);
      await c.page.goto(`/analytics?preset=30d&capital=10000`);
      await expect(c.page.getByTestId('kpi-net_pnl')).toHaveAttribute('data-value', '67.25');
      await expect(c.page.getByTestId('chart-equity').locator('canvas').first()).toBeVisible();
      await c.page.waitForTimeout(300);
      await shot(c.page, `analytics-${name}-${scheme}`);
      if (name === 'phone') {
        await shot(c.page, `analytics-${name}-${scheme}-top`, { fullPage: false });
        await c.page.getByTestId('chart-equity').scrollIntoViewIfNeeded();
        await shot(c.page, `analytics-${name}-${scheme}-charts`, { fullPage: false });
        await c.page.getByTestId('table-exit-reason').scrollIntoViewIfNeeded();
        await shot(c.page, `analytics-${name}-${scheme}-tables`, { fullPage: false });
      }
      expect(c.errors).toEqual([]);
      await c.context.close();
    }
  }
});
