// Shared set-up of the e2e tests: Debian's Chromium driven by playwright-core, and a page that
// records every console error, uncaught exception and CSP violation so a test can fail on them.

import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/+$/, '');

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export function launchBrowser() {
  if (!BASE_URL) {
    throw new Error('BASE_URL is not set: point it at a running `confreports serve` with demo data');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Opens a page whose problems end up in `problems` (strings). `allow` lists patterns of console
 * errors a test expects (for example a request that is meant to fail).
 */
export async function openPage(browser, { allow = [], colorScheme = 'light' } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    colorScheme,
    locale: 'en-US',
  });
  const page = await context.newPage();
  const problems = [];

  // Runs before any script of the page, outside its CSP.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}` +
          ` at ${e.sourceFile || '?'}:${e.lineNumber}`,
      );
    });
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allow.some((pattern) => pattern.test(text))) return;
    problems.push(`console error: ${text} (${msg.location().url ?? ''})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    // Requests the app aborts on purpose when it leaves a page are not problems.
    if (failure !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()} ${failure}`);
  });

  return { context, page, problems };
}

/** The rows shown: `{ id, type, time }` each (`time` as RFC 3339). */
export function rows(page) {
  return page.locator('[data-testid="event-row"]').evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-event-id'),
      type: tr.querySelector('[data-testid="event-type"]')?.textContent.trim(),
      time: tr.querySelector('time')?.getAttribute('datetime'),
    })),
  );
}

/**
 * Polls the rows until `check(rows)` is true and the report is not loading, and returns them.
 * A report keeps showing the previous rows while the next ones load, so a test waits for the
 * rows it expects rather than for the loading to start and end.
 */
export async function waitForRows(page, check, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last = [];
  for (;;) {
    const busy = await page.locator('section.report[aria-busy="true"]').count();
    last = await rows(page);
    if (!busy && last.length > 0 && check(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; rows: ${JSON.stringify(last.slice(0, 5))}...`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
