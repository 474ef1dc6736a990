/**
 * Screenshots of each journey step, saved as test artifacts (e2e/artifacts, gitignored):
 * `artifacts/<spec>/<NN>-<step-name>.png`, numbered in the order taken across the spec's tests.
 * A spec's folder is emptied by its first screenshot in a run, so no stale picture survives.
 *
 *   await step(page, 'strategy open with two legs', async () => { ...assertions... });
 *   await shot(page, 'live laptop dark');   // a screenshot without a step around it
 */
import { test, type Page } from '@playwright/test';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { artifactsDir } from './stack';

const taken = new Map<string, number>(); // spec -> screenshots taken in this run

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

export interface ShotOptions {
  /** The whole scrollable page (default) or just the viewport. */
  fullPage?: boolean;
}

/** Save a screenshot of `page` as the spec's next numbered artifact; returns its path. */
export async function shot(page: Page, name: string, opts: ShotOptions = {}): Promise<string> {
  const spec = basename(test.info().file).replace(/\.spec\.ts$/, '');
  const dir = join(artifactsDir, spec);
  const n = (taken.get(spec) ?? 0) + 1;
  if (n === 1) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  taken.set(spec, n);
  const path = join(dir, `${String(n).padStart(2, '0')}-${slug(name)}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? true });
  return path;
}

/** One step of a journey: `body` runs as a Playwright step, then `page` is photographed in the state it reached. */
export async function step<T>(page: Page, name: string, body: () => Promise<T>, opts: ShotOptions = {}): Promise<T> {
  const result = await test.step(name, body);
  await shot(page, name, opts);
  return result;
}
