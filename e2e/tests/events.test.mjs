// The Events report against a running `confreports serve` with demo data (BASE_URL), signed in
// as the sysadmin of scripts/e2e.sh.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTIFACTS, gotoSignedIn, launchBrowser, openPage, rows, waitForRows } from './browser.mjs';

const TIMEOUT = 90_000;

/**
 * The report up to now: every sign-in is a `login` event, and the tests of other files sign in
 * while these run, so tests that compare pages look at events until they start.
 */
const untilNow = () => `/?to=${encodeURIComponent(new Date().toISOString())}`;

describe('Events report', () => {
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  test('filters by two types, pages forward, and keeps both in the URL', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, untilNow());
      await waitForRows(page, () => true, 'the first rows');

      const wanted = ['login', 'logout'];
      const ofWantedTypes = (rs) => rs.every((r) => wanted.includes(r.type));
      for (const type of wanted) {
        await page.getByTestId(`type-option-${type}`).check();
        await page.waitForURL((url) => url.searchParams.getAll('type').includes(type));
      }
      const firstPage = await waitForRows(page, ofWantedTypes, 'rows of types login and logout only');
      assert.equal(await page.getByTestId('first-page').isDisabled(), true, '"First page" enabled on the first page');

      // Paging forward: the cursor goes into the URL and the rows change.
      const next = page.getByTestId('next-page');
      assert.ok(await next.isEnabled(), 'demo data should give more than one page of login/logout events');
      await next.click();
      await page.waitForURL((url) => url.searchParams.has('cursor'));
      const firstIds = new Set(firstPage.map((r) => r.id));
      const secondPage = await waitForRows(
        page,
        (rs) => rs.every((r) => !firstIds.has(r.id)),
        'the second page',
      );
      assertOfTypes(secondPage, wanted);
      assertSorted(firstPage.concat(secondPage), 'desc');
      assert.ok(await page.getByTestId('first-page').isEnabled(), '"First page" disabled past the first page');
      assert.deepEqual(new URL(page.url()).searchParams.getAll('type').sort(), wanted);

      // A reload restores the same filter and page from the URL alone.
      await page.reload();
      const reloaded = await waitForRows(page, () => true, 'rows after reload');
      for (const type of wanted) {
        assert.ok(await page.getByTestId(`type-option-${type}`).isChecked(), `${type} unchecked after reload`);
      }
      assert.equal(await page.getByTestId('type-option-status').isChecked(), false);
      assert.ok(new URL(page.url()).searchParams.has('cursor'), 'the cursor was lost on reload');
      assert.deepEqual(reloaded.map((r) => r.id), secondPage.map((r) => r.id), 'reload shows another page');

      await page.screenshot({ path: join(ARTIFACTS, 'events.png'), fullPage: true });

      // Back to the first page, filters kept.
      await page.getByTestId('first-page').click();
      await page.waitForURL((url) => !url.searchParams.has('cursor'));
      await waitForRows(page, (rs) => rs[0].id === firstPage[0].id, 'the first page again');
      assertOfTypes(await rows(page), wanted);

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('the Time header toggles the sort', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, untilNow());
      const newestFirst = await waitForRows(page, () => true, 'the first rows');
      assertSorted(newestFirst, 'desc');

      await page.getByTestId('sort-time').click();
      await page.waitForURL((url) => url.searchParams.get('sort') === 'time');
      const oldestFirst = await waitForRows(page, (rs) => rs[0].id !== newestFirst[0].id, 'the oldest rows');
      assertSorted(oldestFirst, 'asc');
      assert.equal(await page.locator('th[aria-sort="ascending"]').count(), 1);

      await page.getByTestId('sort-time').click();
      await page.waitForURL((url) => !url.searchParams.has('sort') && url.searchParams.has('to'));
      const again = await waitForRows(page, (rs) => rs[0].id === newestFirst[0].id, 'the newest rows again');
      assertSorted(again, 'desc');

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('a search that matches nothing shows the empty state; clearing it brings rows back', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser, { colorScheme: 'dark' });
    try {
      await gotoSignedIn(page, '/');
      await waitForRows(page, () => true, 'the first rows');

      await page.getByTestId('search-input').fill('zzzznomatch');
      await page.getByTestId('search-input').press('Enter');
      await page.waitForURL((url) => url.searchParams.get('q') === 'zzzznomatch');
      const empty = page.getByTestId('report-empty');
      await empty.waitFor();
      assert.match(await empty.innerText(), /No events match/);
      assert.equal(await page.locator('[data-testid="report-row"]').count(), 0);
      await page.screenshot({ path: join(ARTIFACTS, 'events-empty-dark.png') });

      await page.getByTestId('clear-filters').click();
      await page.waitForURL((url) => !url.searchParams.has('q'));
      await waitForRows(page, () => true, 'rows after clearing the filters');
      assert.equal(await page.getByTestId('search-input').inputValue(), '');

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });
});

function assertOfTypes(rs, wanted) {
  const others = rs.filter((r) => !wanted.includes(r.type));
  assert.deepEqual(others, [], `rows of other types than ${wanted.join(', ')}`);
}

function assertSorted(rs, direction) {
  assert.ok(rs.length > 1, 'too few rows to check the order');
  for (let i = 1; i < rs.length; i++) {
    const [a, b] = [Date.parse(rs[i - 1].time), Date.parse(rs[i].time)];
    const ok = direction === 'asc' ? a <= b : a >= b;
    assert.ok(ok, `rows not in ${direction} time order at ${i}: ${rs[i - 1].time} then ${rs[i].time}`);
  }
}
