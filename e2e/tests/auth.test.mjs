// Signing in and out, the session, the preferences and the roles, against a running
// `confreports serve` with demo data and the two administrators of scripts/e2e.sh.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import {
  ADMIN,
  ARTIFACTS,
  AUDITOR,
  BASE_URL,
  gotoSignedIn,
  launchBrowser,
  openPage,
  signIn,
  waitForRows,
} from './browser.mjs';

const TIMEOUT = 90_000;

/** Console errors of answers a test provokes on purpose. */
const status = (code, path) => new RegExp(`status of ${code} .*/api/v1/${path}`);

describe('Sign-in and session', () => {
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  test('loading, then the sign-in page; a wrong password shows the server\'s error', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { allow: [status(401, 'auth/login')] });
    try {
      // Hold /auth/me back a little to see the loading state.
      await page.route('**/api/v1/auth/me', async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await route.continue();
      });
      await page.goto(`${BASE_URL}/`);
      await page.getByTestId('session-loading').waitFor();
      await page.getByTestId('signin-form').waitFor();
      assert.equal(await page.getByTestId('session-loading').count(), 0, 'loading state left behind');
      assert.equal(await page.getByTestId('report-table').count(), 0, 'a report is shown signed out');
      assert.equal(await page.getByTestId('signin-error').isVisible(), false);
      await page.unroute('**/api/v1/auth/me');
      await page.screenshot({ path: join(ARTIFACTS, 'signin.png') });

      await page.getByTestId('signin-login').fill(ADMIN.login);
      await page.getByTestId('signin-password').fill(`${ADMIN.password}-wrong`);
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
      await page.getByTestId('signin-submit').click();
      const response = await answer;
      assert.equal(response.status(), 401);
      const problem = await response.json();
      const error = page.getByTestId('signin-error');
      await error.waitFor();
      assert.ok(problem.detail, 'the 401 has a detail');
      assert.ok((await error.innerText()).includes(problem.detail), 'the error shows the problem detail');
      assert.equal(await page.getByTestId('signin-password').inputValue(), '', 'the wrong password stays in the form');
      assert.equal(await page.getByTestId('signin-login').inputValue(), ADMIN.login);
      await page.screenshot({ path: join(ARTIFACTS, 'signin-error.png') });

      // Straight away again: a wrong password slows the next attempt down (429, Retry-After).
      await page.getByTestId('signin-password').fill(`${ADMIN.password}-wrong`);
      const throttled = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
      await page.getByTestId('signin-submit').click();
      assert.equal((await throttled).status(), 429, 'a second attempt within the back-off');
      assert.ok(Number((await throttled).headers()['retry-after']) >= 1, 'a 429 without Retry-After');
      await page.getByTestId('signin-wait').waitFor();
      assert.match(await page.getByTestId('signin-wait').innerText(), /Try again in \d+ seconds?\./);
      await page.locator('[data-testid="signin-submit"]:enabled').waitFor({ timeout: 35_000 });

      // An unknown login gets the same answer as a wrong password (once the address may try
      // again: a wrong password slows the next attempts down).
      const unknown = await page.evaluate(async (password) => {
        for (;;) {
          const r = await fetch('/api/v1/auth/login', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ login: 'nobody-e2e', password }),
          });
          if (r.status !== 429) return { status: r.status, detail: (await r.json()).detail };
          const wait = Number(r.headers.get('Retry-After') ?? '1');
          await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
        }
      }, ADMIN.password);
      assert.deepEqual(unknown, { status: 401, detail: problem.detail }, 'an unknown login is told apart');

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('a throttled sign-in shows the wait and holds the button', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { allow: [status(429, 'auth/login')] });
    try {
      // The server's throttle would lock the test accounts; its answer is played here instead.
      await page.route('**/api/v1/auth/login', (route) =>
        route.fulfill({
          status: 429,
          headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' },
          body: JSON.stringify({
            type: 'about:blank',
            title: 'Too many attempts',
            status: 429,
            detail: 'too many wrong passwords; try again in 30 s',
          }),
        }),
      );
      await page.goto(`${BASE_URL}/`);
      await page.getByTestId('signin-login').fill(ADMIN.login);
      await page.getByTestId('signin-password').fill('whatever');
      await page.getByTestId('signin-submit').click();
      const wait = page.getByTestId('signin-wait');
      await wait.waitFor();
      assert.match(await page.getByTestId('signin-error').innerText(), /Too many attempts/);
      assert.match(await wait.innerText(), /Try again in (30|29|28) seconds/);
      assert.ok(await page.getByTestId('signin-submit').isDisabled(), 'submit enabled during the wait');
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('signing in lands on the address asked for and survives a reload; no token is readable by scripts', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/?type=login');
      assert.equal(new URL(page.url()).searchParams.get('type'), 'login', 'the filter was lost');
      await waitForRows(page, (rs) => rs.every((r) => r.type === 'login'), 'login rows');
      assert.ok(await page.getByTestId('type-option-login').isChecked());
      assert.equal(await page.getByTestId('current-user').innerText(), ADMIN.login);
      assert.equal(await page.getByTestId('current-role').innerText(), 'sysadmin');

      await page.reload();
      await waitForRows(page, (rs) => rs.every((r) => r.type === 'login'), 'login rows after reload');
      assert.equal(await page.getByTestId('signin-form').count(), 0, 'signed out by a reload');
      assert.equal(await page.getByTestId('current-user').innerText(), ADMIN.login);

      // The session cookie is HttpOnly: scripts see neither it nor any other secret.
      const cookies = await context.cookies(BASE_URL);
      assert.ok(cookies.length > 0, 'no cookie set by the sign-in');
      for (const c of cookies) {
        assert.ok(c.httpOnly, `cookie ${c.name} is readable by scripts`);
        assert.equal(c.sameSite, 'Strict', `cookie ${c.name} is not SameSite=Strict`);
      }
      const seen = await page.evaluate(async () => {
        const me = await (await fetch('/api/v1/auth/me')).json();
        const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
        return { cookie: document.cookie, local: dump(localStorage), session: dump(sessionStorage), csrf: me.csrf_token };
      });
      for (const c of cookies) {
        assert.ok(!seen.cookie.includes(c.value), `document.cookie shows cookie ${c.name}`);
      }
      const stored = JSON.stringify([seen.local, seen.session]);
      for (const secret of [...cookies.map((c) => c.value), seen.csrf, ADMIN.password]) {
        assert.ok(!stored.includes(secret), 'a secret is in localStorage or sessionStorage');
      }
      assert.deepEqual(Object.keys(seen.session), [], 'sessionStorage is used');
      assert.ok(
        Object.keys(seen.local).every((k) => k === 'confreports.theme'),
        `unexpected localStorage keys: ${Object.keys(seen.local)}`,
      );

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('a session that ends under the page brings back the sign-in, keeping the address', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { allow: [status(401, 'events')] });
    try {
      await gotoSignedIn(page, '/');
      await waitForRows(page, () => true, 'the first rows');
      await page.getByTestId('type-option-logout').check();
      await page.waitForURL((url) => url.searchParams.get('type') === 'logout');
      await waitForRows(page, (rs) => rs.every((r) => r.type === 'logout'), 'logout rows');

      // The session goes away (as when it expires); the next call is answered 401.
      await context.clearCookies();
      // A click, not check(): the page goes away before the box could be seen checked.
      await page.getByTestId('type-option-login').click();
      await page.getByTestId('signin-form').waitFor();
      await page.getByTestId('signin-expired').waitFor();
      assert.deepEqual(new URL(page.url()).searchParams.getAll('type').sort(), ['login', 'logout']);

      await signIn(page);
      const wanted = ['login', 'logout'];
      await waitForRows(page, (rs) => rs.every((r) => wanted.includes(r.type)), 'rows of the filter asked for');
      assert.deepEqual(new URL(page.url()).searchParams.getAll('type').sort(), wanted);
      assert.ok(await page.getByTestId('type-option-login').isChecked());
      assert.ok(await page.getByTestId('type-option-logout').isChecked());

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('changes need the CSRF token; sign out returns to the sign-in page and the API then answers 401', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, {
      allow: [status(403, 'auth/logout'), status(401, 'events')],
    });
    try {
      await gotoSignedIn(page, '/?type=login');
      await waitForRows(page, () => true, 'the first rows');

      // Without the header a change is refused, and the session stays.
      const withoutToken = await page.evaluate(async () => (await fetch('/api/v1/auth/logout', { method: 'POST' })).status);
      assert.equal(withoutToken, 403, 'a logout without X-CSRF-Token');
      const me = await page.evaluate(async () => {
        const r = await fetch('/api/v1/auth/me');
        return { status: r.status, body: await r.json() };
      });
      assert.equal(me.status, 200, 'the session ended without the CSRF token');

      const logout = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/logout') && r.method() === 'POST');
      await page.getByTestId('sign-out').click();
      const request = await logout;
      assert.equal((await request.headers())['x-csrf-token'], me.body.csrf_token, 'the logout carries the CSRF token');
      assert.equal((await request.response())?.status(), 204);

      await page.getByTestId('signin-form').waitFor();
      assert.equal(await page.getByTestId('signin-expired').count(), 0, 'a sign-out is not an expiry');
      assert.equal(new URL(page.url()).search, '', 'the signed-out page keeps the last filters');
      assert.equal(await page.getByTestId('current-user').count(), 0);

      const after = await page.evaluate(async () => {
        const r = await fetch('/api/v1/events');
        return { status: r.status, type: r.headers.get('content-type') };
      });
      assert.equal(after.status, 401, '/api/v1/events after sign-out');
      assert.match(after.type ?? '', /^application\/problem\+json/);

      // A reload stays signed out.
      await page.reload();
      await page.getByTestId('signin-form').waitFor();

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('preferences: a time zone and date format change the times shown; a bad time zone is refused', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, {
      allow: [/status of (400|422) .*\/api\/v1\/auth\/me\/preferences/],
    });
    try {
      await gotoSignedIn(page, '/');
      const first = (await waitForRows(page, () => true, 'the first rows'))[0];
      const shownTime = () =>
        page.locator(`[data-testid="report-row"][data-id="${first.id}"] [data-testid="cell-time"]`).innerText();

      const savePreferences = async (set) => {
        await page.getByTestId('open-preferences').click();
        const dialog = page.getByTestId('preferences-dialog');
        await dialog.waitFor();
        for (const id of ['pref-error', 'pref-time-zone-error']) {
          assert.equal(await page.getByTestId(id).isVisible(), false, `${id} shown before any error`);
        }
        await set(dialog);
        const put = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/me/preferences') && r.method() === 'PUT');
        await page.getByTestId('pref-save').click();
        return put;
      };
      const csrf = await page.evaluate(async () => (await (await fetch('/api/v1/auth/me')).json()).csrf_token);

      try {
        // Tokyo (UTC+9 all year) and European dates.
        const put = await savePreferences(async (dialog) => {
          await page.getByTestId('pref-time-zone').fill('Asia/Tokyo');
          await page.getByTestId('pref-date-format').selectOption('european');
          await page.getByTestId('pref-csv-delimiter').selectOption('semicolon');
          await page.getByTestId('pref-csv-bom').check();
          assert.match(await page.getByTestId('pref-preview').innerText(), /^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$/);
          await dialog.screenshot({ path: join(ARTIFACTS, 'preferences.png') });
          await page.screenshot({ path: join(ARTIFACTS, 'preferences-page.png') });
        });
        assert.equal((await put.headers())['x-csrf-token'], csrf, 'the PUT carries the CSRF token');
        assert.deepEqual(JSON.parse(put.postData() ?? '{}'), {
          time_zone: 'Asia/Tokyo',
          csv_delimiter: 'semicolon',
          csv_bom: true,
          date_format: 'european',
        });
        assert.equal((await put.response())?.status(), 200);
        await page.getByTestId('preferences-dialog').waitFor({ state: 'hidden' });

        const tokyo = european(first.time, 9);
        await waitFor(async () => (await shownTime()) === tokyo, `the time shown in Tokyo (${tokyo})`);
        assert.equal(await page.getByTestId('time-zone-label').innerText(), 'Asia/Tokyo');
        await page.screenshot({ path: join(ARTIFACTS, 'events-tokyo.png') });

        // Kept by the server: a reload shows the same.
        await page.reload();
        await waitForRows(page, (rs) => rs.some((r) => r.id === first.id), 'the rows after reload');
        assert.equal(await shownTime(), tokyo);
        await page.getByTestId('open-preferences').click();
        assert.equal(await page.getByTestId('pref-time-zone').inputValue(), 'Asia/Tokyo');
        assert.equal(await page.getByTestId('pref-date-format').inputValue(), 'european');
        assert.equal(await page.getByTestId('pref-csv-delimiter').inputValue(), 'semicolon');
        assert.ok(await page.getByTestId('pref-csv-bom').isChecked());
        // An unknown time zone: the server's answer names the field; nothing changes.
        await page.getByTestId('pref-time-zone').fill('Mars/Olympus_Mons');
        await page.getByTestId('pref-save').click();
        const error = page.getByTestId('pref-time-zone-error');
        await error.waitFor();
        assert.match(await error.innerText(), /Mars\/Olympus_Mons/, 'the field error names the value');
        assert.equal(await page.getByTestId('pref-time-zone').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.getByTestId('pref-error').isVisible(), false, 'the error is shown twice');
        assert.ok(await page.getByTestId('preferences-dialog').isVisible(), 'the dialog closed on an error');
        await page.getByTestId('pref-cancel').click();
        await page.getByTestId('preferences-dialog').waitFor({ state: 'hidden' });
        assert.equal(await shownTime(), tokyo);
      } finally {
        // Back to the defaults, which also checks UTC and ISO dates.
        await savePreferences(async () => {
          await page.getByTestId('pref-time-zone').fill('UTC');
          await page.getByTestId('pref-date-format').selectOption('iso');
          await page.getByTestId('pref-csv-delimiter').selectOption('comma');
          await page.getByTestId('pref-csv-bom').uncheck();
        });
        await page.getByTestId('preferences-dialog').waitFor({ state: 'hidden' });
      }
      const utc = new Date(first.time).toISOString().slice(0, 19).replace('T', ' ');
      await waitFor(async () => (await shownTime()) === utc, `the time shown in UTC (${utc})`);

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('an auditor (role security) signs in and reads events, but may not delete', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { allow: [status(403, 'events')] });
    try {
      await gotoSignedIn(page, '/', AUDITOR);
      const shown = await waitForRows(page, () => true, 'the first rows');
      assert.ok(shown.length > 0);
      assert.equal(await page.getByTestId('current-role').innerText(), 'security');

      const deletion = await page.evaluate(async () => {
        const { csrf_token } = await (await fetch('/api/v1/auth/me')).json();
        const r = await fetch('/api/v1/events?q=e2e-nothing-matches-this', {
          method: 'DELETE',
          headers: { 'X-CSRF-Token': csrf_token },
        });
        return r.status;
      });
      assert.equal(deletion, 403, 'a delete by an auditor');

      await page.getByTestId('sign-out').click();
      await page.getByTestId('signin-form').waitFor();
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('the theme follows the system until toggled, and the choice survives a reload', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { colorScheme: 'dark' });
    try {
      await page.goto(`${BASE_URL}/`);
      await page.getByTestId('signin-form').waitFor();
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const dark = await background();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme ?? null), null);
      await page.screenshot({ path: join(ARTIFACTS, 'signin-dark.png') });

      await page.getByTestId('theme-toggle').click();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
      const light = await background();
      assert.notEqual(light, dark, 'the toggle did not change the colours');

      await page.reload();
      await page.getByTestId('signin-form').waitFor();
      assert.equal(await background(), light, 'the theme picked was lost on reload');
      await signIn(page);
      assert.equal(await background(), light);
      assert.equal(await page.getByTestId('theme-toggle').getAttribute('data-theme-now'), 'light');

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });
});

/** `time` (RFC 3339) at UTC+`offsetHours`, as `dd.mm.yyyy HH:MM:SS`. */
function european(time, offsetHours) {
  const d = new Date(Date.parse(time) + offsetHours * 3_600_000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

async function waitFor(check, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
