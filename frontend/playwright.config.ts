import { defineConfig, devices } from '@playwright/test';

/**
 * E2E against the REAL backend serving the REAL built SPA.
 * e2e/global-setup.ts builds dist/ (skip with E2E_SKIP_BUILD=1), starts
 * `../backend/.venv/bin/deltaplane serve` on a free port with a fresh temp SQLite DB and
 * LOG_DIR, exports E2E_BASE_URL, and tears everything down afterwards.
 * Browser: Debian's Chromium by path (never `playwright install`).
 */
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  globalSetup: './e2e/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1366, height: 768 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
