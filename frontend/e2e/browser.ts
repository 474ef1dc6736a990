/**
 * What every journey needs from the browser side: the stack's URL, a fresh context that collects
 * page errors, signing in through the login page, and an API client signed in as admin.
 */
import { expect, request as pwRequest, type APIRequestContext, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from './stack';

export const LAPTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

export function baseURL(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL missing: global setup did not run');
  return url;
}

/**
 * A new context and page. `errors` collects page errors, any native dialog (the app never opens
 * one: an executed `alert()` from injected markup would land here) and console errors other than
 * the browser's own notice of an expected 4xx answer (wrong password, validation).
 */
export async function openContext(
  browser: Browser,
  viewport: { width: number; height: number },
  colorScheme: 'light' | 'dark',
  options: BrowserContextOptions = {},
) {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce', baseURL: baseURL(), ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    errors.push(`unexpected dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  return { context, page, errors };
}

/** Sign in through the login page (a signed-out visit to `/` lands there first). */
export async function signIn(page: Page, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Username').fill(username);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('textbox', { name: 'Password', exact: true }).press('Enter');
  await expect(page.getByTestId('product-name')).toBeVisible();
}

/** An API client signed in as admin, with its own cookie jar (the page's session is untouched). */
export async function adminApi(base: string = baseURL()): Promise<APIRequestContext> {
  const anon = await pwRequest.newContext({ baseURL: base });
  const res = await anon.post('/api/auth/login', { data: { username: 'admin', password: ADMIN_PASSWORD } });
  expect(res.ok()).toBeTruthy();
  const { access_token } = (await res.json()) as { access_token: string };
  await anon.dispose();
  return pwRequest.newContext({ baseURL: base, extraHTTPHeaders: { Authorization: `Bearer ${access_token}` } });
}
