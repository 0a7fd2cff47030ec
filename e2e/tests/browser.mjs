// Shared set-up of the e2e tests: Debian's Chromium driven by playwright-core, a page that
// records every console error, uncaught exception and CSP violation so a test can fail on them,
// and signing in as one of the administrators scripts/e2e.sh created.

import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/+$/, '');

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** The administrators scripts/e2e.sh creates (role sysadmin, and role security). */
export const ADMIN = account('ADMIN');
export const AUDITOR = account('AUDITOR');

function account(name) {
  return {
    login: process.env[`E2E_${name}_LOGIN`] ?? '',
    password: process.env[`E2E_${name}_PASSWORD`] ?? '',
  };
}

/**
 * Console errors every page may show: the browser logs the 401 of `GET /auth/me` that tells a
 * signed-out app to show its sign-in page, and the 429 of a sign-in that came too soon after a
 * wrong password from the same address (another test's, run in parallel): `signIn` waits and
 * tries again.
 */
const EXPECTED = [/status of 401 .*\/api\/v1\/auth\/me\b/, /status of 429 .*\/api\/v1\/auth\/login\b/];

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
 * errors a test expects (for example a request that is meant to fail); each is tried on the
 * message followed by the URL it names.
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
    const text = `${msg.text()} (${msg.location().url ?? ''})`;
    if (EXPECTED.concat(allow).some((pattern) => pattern.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    // Requests the app aborts on purpose when it leaves a page are not problems.
    if (failure !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()} ${failure}`);
  });

  return { context, page, problems };
}

/**
 * Signs in through the sign-in form the app shows in place of the page at the address (the
 * page must be loading or loaded), then waits for the app shell.
 */
export async function signIn(page, { login, password } = ADMIN) {
  if (!login || !password) {
    throw new Error('E2E_*_LOGIN / E2E_*_PASSWORD are not set: run the tests through scripts/e2e.sh');
  }
  const signedIn = page.getByTestId('current-user').filter({ hasText: login });
  const throttled = page.getByTestId('signin-wait');
  for (let attempt = 1; ; attempt++) {
    await page.getByTestId('signin-login').fill(login);
    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await signedIn.or(throttled).first().waitFor();
    if (await signedIn.isVisible()) return;
    if (attempt === 3) throw new Error(`sign-in of ${login} throttled ${attempt} times`);
    // The form holds its button until the wait the server asked for has passed.
    await page.locator('[data-testid="signin-submit"]:enabled').waitFor({ timeout: 35_000 });
  }
}

/** Opens `path` (signed out) and signs in there. */
export async function gotoSignedIn(page, path = '/', who = ADMIN) {
  await page.goto(`${BASE_URL}${path}`);
  await signIn(page, who);
}

/**
 * The rows of the report shown: `{ id, type, time, cells }` each (`time` as RFC 3339, of the
 * first time cell; `cells` the text of every cell by its key, `data-testid="cell-<key>"`).
 */
export function rows(page) {
  return page.locator('[data-testid="report-row"]').evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = {};
      for (const td of tr.querySelectorAll('td[data-testid^="cell-"]')) {
        cells[td.getAttribute('data-testid').slice(5)] = td.textContent.trim();
      }
      return {
        id: tr.getAttribute('data-id'),
        type: cells.type,
        time: tr.querySelector('time')?.getAttribute('datetime'),
        cells,
      };
    }),
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
