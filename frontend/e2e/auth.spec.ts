import { expect, test } from '@playwright/test';
import { baseURL, LAPTOP, openContext, PHONE, signIn } from './browser';
import { ADMIN_PASSWORD } from './stack';
import { shot } from './steps';

const VIEWER = { username: 'vera.viewer', password: 'viewer-pass-456', newPassword: 'viewer-pass-789' };




test('admin creates a viewer; viewer cannot see Users; screenshots in light/dark, laptop/phone', async ({ browser }) => {
  // ---- admin, laptop, light ----
  const admin = await openContext(browser, LAPTOP, 'light');
  const page = admin.page;
  await page.goto(`${baseURL()}/login`);
  await shot(page, 'login-laptop-light', { fullPage: false });

  // wrong password shows the server's detail
  await page.getByLabel('Username').fill('admin');
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toContainText('invalid username or password');
  await shot(page, 'login-wrong-password-laptop-light', { fullPage: false });

  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('textbox', { name: 'Password', exact: true }).press('Enter');
  await expect(page.getByTestId('product-name')).toHaveText('Deltaplane');
  await expect(page.getByTestId('health-indicator')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('role-badge')).toHaveText('admin');
  await expect(page.getByTestId('nav-settings')).toBeVisible();
  await expect(page.getByTestId('nav-users')).toBeVisible();
  await expect(page).toHaveURL(/\/live$/); // the first tab (Live Control)
  await shot(page, 'signed-in-live-control-laptop-light');
  await page.getByTestId('nav-settings').click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  // Exchange panel: which exchange is active, credentials never shown, test connection works.
  await expect(page.getByTestId('exchange-active')).toContainText('Paper only');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('exchange-probe')).toContainText('Connection OK');
  await shot(page, 'settings-exchange-test-connection-laptop-light');

  // an API key: created, shown once, listed
  await page.getByTestId('api-key-name').fill('e2e-script');
  await page.getByTestId('api-key-name').press('Enter');
  await expect(page.getByTestId('api-key-secret')).toBeVisible();
  await shot(page, 'api-key-shown-once-laptop-light', { fullPage: false });
  await page.getByRole('button', { name: 'I have copied it' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('table', { name: 'API keys' })).toContainText('e2e-script');
  await shot(page, 'settings-laptop-light');

  // reload: the session is restored from the refresh cookie (token is memory-only)
  await page.reload();
  await expect(page.getByTestId('role-badge')).toHaveText('admin');
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/eyJ/);

  // create a viewer
  await page.getByTestId('nav-users').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await page.getByTestId('new-user').click();
  await page.getByTestId('new-user-username').fill(VIEWER.username);
  await page.getByTestId('new-user-password').fill('short');
  await page.getByTestId('new-user-password').press('Enter');
  await expect(page.getByText('must be at least 10 characters')).toBeVisible(); // field error from `fields`
  await shot(page, 'new-user-field-error-laptop-light', { fullPage: false });
  await page.getByTestId('new-user-password').fill(VIEWER.password);
  await page.getByTestId('new-user-password').press('Enter');
  const row = page.getByTestId(`user-row-${VIEWER.username}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText('viewer');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shot(page, 'users-laptop-light');

  // delete needs confirmation: open and cancel
  await page.getByTestId(`user-actions-${VIEWER.username}`).click();
  await page.getByRole('menuitem', { name: 'Delete…' }).click();
  await expect(page.getByRole('dialog')).toContainText('cannot be undone');
  await expect(page.getByRole('dialog')).toBeInViewport({ ratio: 1 });
  await shot(page, 'users-confirm-laptop-light', { fullPage: false });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();

  // dark theme via the toggle (persisted)
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await shot(page, 'users-laptop-dark');
  await page.getByTestId('nav-settings').click();
  await shot(page, 'settings-laptop-dark');

  // sign out
  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.reload();
  await expect(page).toHaveURL(/\/login$/); // the refresh cookie is gone too
  await shot(page, 'signed-out-laptop-dark', { fullPage: false });
  expect(admin.errors).toEqual([]);
  await admin.context.close();

  // ---- viewer, phone, dark (prefers-color-scheme on first visit) ----
  const viewer = await openContext(browser, PHONE, 'dark');
  const vp = viewer.page;
  await vp.goto(`${baseURL()}/login`);
  await expect(vp.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await shot(vp, 'login-phone-dark', { fullPage: false });
  await signIn(vp, VIEWER.username, VIEWER.password);
  await vp.goto(`${baseURL()}/settings`);
  await expect(vp.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await vp.getByTestId('user-menu').click();
  await expect(vp.getByTestId('menu-role-badge')).toHaveText('viewer');
  await vp.keyboard.press('Escape');
  await shot(vp, 'settings-phone-dark');
  await vp.getByTestId('nav-burger').click();
  await expect(vp.getByTestId('nav-settings')).toBeInViewport({ ratio: 1 });
  await vp.waitForTimeout(400); // let the burger/drawer transition settle for the screenshot
  await expect(vp.getByTestId('nav-users')).toHaveCount(0);
  await shot(vp, 'nav-phone-dark', { fullPage: false });
  // a deep link to an admin page lands on an allowed tab
  await vp.goto(`${baseURL()}/users`);
  await expect(vp).toHaveURL(/\/live$/);
  await expect(vp.getByTestId('nav-users')).toHaveCount(0);
  await shot(vp, 'viewer-deep-link-to-users-lands-on-live-phone-dark');
  await vp.goto(`${baseURL()}/settings`);
  // the viewer changes their password: every session is revoked, so back to the login page
  await vp.getByRole('textbox', { name: 'Current password', exact: true }).fill(VIEWER.password);
  await vp.getByRole('textbox', { name: 'New password', exact: true }).fill(VIEWER.newPassword);
  await vp.getByRole('textbox', { name: 'Confirm new password', exact: true }).fill(VIEWER.newPassword);
  await vp.getByRole('textbox', { name: 'Confirm new password', exact: true }).press('Enter');
  await expect(vp).toHaveURL(/\/login$/);
  await expect(vp.getByTestId('login-reason')).toContainText('Password changed');
  await shot(vp, 'password-changed-back-to-login-phone-dark', { fullPage: false });
  await vp.getByLabel('Username').fill(VIEWER.username);
  await vp.getByRole('textbox', { name: 'Password', exact: true }).fill(VIEWER.newPassword);
  await vp.getByRole('textbox', { name: 'Password', exact: true }).press('Enter');
  await expect(vp.getByTestId('product-name')).toBeVisible();
  expect(viewer.errors).toEqual([]);
  await viewer.context.close();

  // ---- viewer, phone, light; admin, phone, light (Users table on a phone) ----
  const light = await openContext(browser, PHONE, 'light');
  await signIn(light.page, 'admin', ADMIN_PASSWORD);
  await shot(light.page, 'settings-phone-light');
  await light.page.goto(`${baseURL()}/users`);
  await expect(light.page.getByTestId(`user-row-${VIEWER.username}`)).toBeVisible();
  await shot(light.page, 'users-phone-light');
  // change role, then delete (with confirmation)
  const vrow = light.page.getByTestId(`user-row-${VIEWER.username}`);
  await light.page.getByTestId(`user-actions-${VIEWER.username}`).click();
  await light.page.getByRole('menuitem', { name: 'Make admin' }).click();
  await expect(vrow).toContainText('admin');
  await light.page.getByTestId(`user-actions-${VIEWER.username}`).click();
  await light.page.getByRole('menuitem', { name: 'Delete…' }).click();
  await light.page.getByTestId('confirm-action').click();
  await expect(vrow).toHaveCount(0);
  await shot(light.page, 'users-viewer-deleted-phone-light');
  expect(light.errors).toEqual([]);
  await light.context.close();
});
