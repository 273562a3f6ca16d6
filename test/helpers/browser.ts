/**
 * A real browser for the dashboard's tests: Debian's chromium (TOOLS.chromium), driven by
 * playwright-core, which never downloads a browser of its own. Every page records its console errors
 * and uncaught exceptions, so that a test can assert there were none.
 */
import { spawnSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';

export function chromiumPath(): string {
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  return r.stdout.trim() || '/usr/bin/chromium';
}

/** Flags that work on a headless CI machine with no GPU and no network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  // playwright gives each launch a fresh, temporary --user-data-dir.
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and page exceptions so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

/** Saves a screenshot when ASIC_AGENT_SCREENSHOTS names a folder (how docs/ screenshots are made). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.ASIC_AGENT_SCREENSHOTS;
  if (!dir) return;
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}
