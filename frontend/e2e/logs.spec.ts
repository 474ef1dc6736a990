import { expect, test, type APIRequestContext } from '@playwright/test';
import { adminApi, LAPTOP, openContext, PHONE, signIn } from './browser';
import { shot } from './steps';

const CORR = 'e2e-corr-123';
const HTML_MESSAGE = '<img src=x onerror=alert(1)> <script>alert(2)</script>';




interface Row {
  id: number;
  message: string;
  correlation_id: string | null;
  request_id: string | null;
}

async function logsFor(apiCtx: APIRequestContext, params: Record<string, string>): Promise<Row[]> {
  const res = await apiCtx.get('/api/logs', { params: { ...params, limit: '1000' } });
  expect(res.ok()).toBeTruthy();
  return ((await res.json()) as { items: Row[] }).items;
}

test('log viewer: correlation filter, pivot, live tail, HTML as text, export; screenshots', async ({ browser }) => {
  const apiCtx = await adminApi();

  // A request of our own, tagged with a correlation ID; the tailer ingests its http_request line.
  const health = await apiCtx.get('/api/health', { headers: { 'X-Correlation-ID': CORR } });
  expect(health.ok()).toBeTruthy();
  await expect.poll(async () => (await logsFor(apiCtx, { correlation_id: CORR })).length, { timeout: 20_000, intervals: [250, 500, 1000] }).toBeGreaterThan(0);
  const expected = await logsFor(apiCtx, { correlation_id: CORR });

  // An HTML-bearing line through the batch endpoint (stored at once).
  const batch = await apiCtx.post('/api/logs/batch', {
    data: { entries: [{ level: 'WARN', logger: 'e2e', event: 'e2e_html', message: HTML_MESSAGE, correlation_id: 'e2e-html-1', session_id: 'e2e-sess-1' }] },
  });
  expect(batch.status()).toBe(202);

  const { context, page, errors } = await openContext(browser, LAPTOP, 'light');
  await signIn(page);
  await page.getByTestId('nav-logs').click();
  await expect(page).toHaveURL(/\/logs$/);
  await expect(page.getByRole('heading', { name: 'Logs' })).toBeVisible();
  await expect(page.getByTestId('log-row').first()).toBeVisible();
  await expect(page.getByTestId('summary-total')).not.toHaveText(/^…/);
  await shot(page, 'logs-laptop-light', { fullPage: false });

  // ---- filter by our correlation ID (Enter applies; the URL carries the filter) ----
  await page.getByTestId('filter-correlation_id').fill(CORR);
  await page.getByTestId('filter-correlation_id').press('Enter');
  await expect(page).toHaveURL(new RegExp(`[?&]correlation_id=${CORR}`));
  const rows = page.getByTestId('log-row');
  await expect(rows).toHaveCount(expected.length);
  for (const id of await rows.evaluateAll((els) => els.map((e) => e.querySelector('[data-testid="pivot-correlation_id"]')?.getAttribute('data-value')))) {
    expect(id).toBe(CORR);
  }
  await expect(page.getByTestId('log-message').first()).toContainText('/api/health');
  await shot(page, 'logs-filtered-by-correlation-id-laptop-light', { fullPage: false });

  // shareable: a reload keeps the view
  await page.reload();
  await expect(page.getByTestId('filter-correlation_id')).toHaveValue(CORR);
  await expect(rows).toHaveCount(expected.length);

  // keyboard: focus the list, ArrowDown selects the first row, Enter expands its JSON payload
  await page.getByTestId('log-list').focus();
  await page.keyboard.press('ArrowDown');
  await expect(rows.first()).toHaveAttribute('data-active', 'true');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('log-payload').first()).toContainText('"correlation_id"');
  await expect(page.getByTestId('log-payload').first()).toContainText(CORR);
  await shot(page, 'logs-row-expanded-by-keyboard-laptop-light', { fullPage: false });

  // ---- pivot: clicking the request ID keeps only that filter ----
  const reqId = expected.find((r) => r.request_id)?.request_id;
  expect(reqId).toBeTruthy();
  if (reqId) {
    await rows.first().getByTestId('pivot-request_id').first().click();
    await expect(page).toHaveURL(new RegExp(`/logs\\?request_id=${reqId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    // Retried until the list settles (right after the click it may still be loading).
    const requestIds = async () => [...new Set(await rows.evaluateAll((els) => els.map((e) => e.querySelector('[data-testid="pivot-request_id"]')?.getAttribute('data-value') ?? null)))];
    await expect.poll(requestIds, { timeout: 15_000 }).toEqual([reqId]);
    await shot(page, 'logs-pivot-to-request-id-laptop-light', { fullPage: false });
  }

  // ---- the HTML line renders as text; pivot on its session ID ----
  await page.goto('/logs?correlation_id=e2e-html-1');
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId('log-message')).toHaveText(HTML_MESSAGE);
  await expect(rows.first()).toHaveAttribute('data-level', 'WARNING');
  expect(await page.getByTestId('log-list').locator('img, script').count()).toBe(0);
  await rows.first().getByTestId('pivot-session_id').click();
  await expect(page).toHaveURL(/\/logs\?session_id=e2e-sess-1$/);
  await expect(page.getByTestId('filter-correlation_id')).toHaveValue('');
  await expect(page.getByTestId('log-message')).toHaveText(HTML_MESSAGE);
  await shot(page, 'logs-html-line-shown-as-text-laptop-light', { fullPage: false });

  // WARN == WARNING in the level filter
  await page.goto('/logs?level=WARN&correlation_id=e2e-html-1');
  await expect(page.getByTestId('level-WARNING')).toBeChecked();
  await expect(rows).toHaveCount(1);

  // ---- live tail: a new request's line arrives without reloading ----
  const liveCorr = `e2e-live-${Date.now()}`;
  await page.goto(`/logs?correlation_id=${liveCorr}`);
  await expect(page.getByTestId('logs-empty')).toBeVisible();
  await page.getByTestId('live-toggle').check({ force: true });
  await expect(page.getByTestId('live-state')).toHaveText('live', { timeout: 15_000 });
  await expect(async () => {
    await apiCtx.get('/api/health', { headers: { 'X-Correlation-ID': liveCorr } });
    await expect(rows.first()).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('log-message').first()).toContainText('/api/health');
  await shot(page, 'logs-live-tail-new-line-arrived-laptop-light', { fullPage: false });
  expect(await rows.evaluateAll((els) => els.every((e) => e.querySelector('[data-testid="pivot-correlation_id"]')?.getAttribute('data-value')?.startsWith('e2e-live-')))).toBe(true);

  // ---- export: CSV of the current filters under the server's filename ----
  await page.goto(`/logs?correlation_id=${CORR}`);
  await expect(rows).toHaveCount(expected.length);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('logs-export').click()]);
  expect(download.suggestedFilename()).toMatch(/^logs-export-\d{8}-\d{6}\.csv$/);

  // ---- screenshots ----
  await page.goto('/logs');
  await expect(rows.first()).toBeVisible();
  await rows.first().click();
  await shot(page, 'logs-laptop-light-expanded', { fullPage: false });
  expect(errors).toEqual([]);
  await context.close();

  for (const [name, viewport, scheme] of [
    ['logs-laptop-dark', LAPTOP, 'dark'],
    ['logs-phone-light', PHONE, 'light'],
    ['logs-phone-dark', PHONE, 'dark'],
  ] as const) {
    const c = await openContext(browser, viewport, scheme);
    await signIn(c.page);
    await c.page.goto('/logs');
    await expect(c.page.getByTestId('log-row').first()).toBeVisible();
    if (viewport === PHONE) {
      // phones: filters and summary fold away so the lines come first
      await expect(c.page.getByTestId('filter-correlation_id')).toBeHidden();
      await shot(c.page, `${name}`, { fullPage: false });
      await c.page.getByTestId('filters-more').click();
      await c.page.getByTestId('summary-toggle').click();
      await expect(c.page.getByTestId('filter-correlation_id')).toBeVisible();
      await expect(c.page.getByTestId('summary-total')).toBeVisible();
      await expect(c.page.getByTestId('summary-total')).not.toHaveText(/^…/);
      await shot(c.page, `${name}-open`);
    } else {
      await expect(c.page.getByTestId('summary-total')).not.toHaveText(/^…/);
      await shot(c.page, `${name}`, { fullPage: false });
    }
    expect(c.errors).toEqual([]);
    await c.context.close();
  }
  await apiCtx.dispose();
});

test('100k loaded rows stay virtualized and responsive', async ({ browser }) => {
  const { context, page, errors } = await openContext(browser, LAPTOP, 'dark');
  await signIn(page);
  const PAGES = 20;
  const PER_PAGE = 5000;
  // Mock only the list endpoint: 20 pages x 5,000 rows = 100,000 rows via next_cursor.
  await page.route(/\/api\/logs\?(?!.*export).*|\/api\/logs$/, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname !== '/api/logs') return route.fallback();
    const pageNo = Number(url.searchParams.get('cursor') ?? '0');
    const base = Date.parse('2026-01-31T12:00:00Z');
    const items = Array.from({ length: PER_PAGE }, (_, i) => {
      const n = pageNo * PER_PAGE + i;
      return {
        id: 1_000_000 - n,
        timestamp: new Date(base - n * 1000).toISOString(),
        level: ['INFO', 'DEBUG', 'WARNING', 'ERROR'][n % 4],
        logger: 'deltaplane.synthetic',
        event: 'synthetic_line',
        message: `synthetic line ${n} ${'x'.repeat(n % 120)}`,
        source: 'backend',
        payload: { n },
        ingested_at: new Date(base).toISOString(),
        correlation_id: `corr-${n % 97}`,
        request_id: null,
        strategy_id: null,
        session_id: null,
      };
    });
    await route.fulfill({ json: { items, next_cursor: pageNo + 1 < PAGES ? String(pageNo + 1) : null, limit: 500 } });
  });
  await page.goto('/logs?range=7d');
  const list = page.getByTestId('log-list');
  await expect(page.getByTestId('log-row').first()).toBeVisible();
  await list.focus();
  for (let i = 0; i < PAGES + 2; i += 1) {
    await page.keyboard.press('End');
    await page.waitForTimeout(150);
  }
  await expect(page.getByTestId('logs-count')).toContainText('100,000 lines loaded', { timeout: 30_000 });
  // only the visible window is in the DOM
  expect(await page.getByTestId('log-row').count()).toBeLessThan(80);
  // Scrolling through the 100k list keeps the DOM small at every position. The worst frame time
  // is printed for the record only: timing is not asserted (CI machines vary).
  const worst = await list.evaluate(async (el) => {
    const frame = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
    let last = await frame();
    let worstGap = 0;
    for (let i = 0; i < 60; i += 1) {
      el.scrollTop = (el.scrollHeight * (i * 37 % 60)) / 60;
      const now = await frame();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      if (el.querySelectorAll('[data-testid="log-row"]').length >= 80) throw new Error(`not virtualized at step ${i}`);
    }
    return worstGap;
  });
  console.log(`worst frame while jumping around 100k rows: ${worst.toFixed(1)} ms`);
  // keyboard still works at the end: Enter expands the last row
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('log-payload')).toContainText('"n": 99999');
  await shot(page, 'logs-100k-rows-last-row-expanded-laptop-dark', { fullPage: false });
  expect(errors).toEqual([]);
  await context.close();
});
