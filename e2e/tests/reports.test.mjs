// The report table every report shares (sort, keyset paging both ways, details panel, URL
// state), export, delete by filter, the role `security`, and a screenshot of every report page
// in both themes. Against a running `confreports serve` with demo data (BASE_URL).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTIFACTS, AUDITOR, BASE_URL, gotoSignedIn, launchBrowser, openPage, rows, waitForRows } from './browser.mjs';

const TIMEOUT = 120_000;
const untilNow = () => encodeURIComponent(new Date().toISOString());

/** Every report page, by its address in the app. */
const REPORTS = [
  ['events', '/'],
  ['calls', '/calls'],
  ['chat', '/chat'],
  ['config-changes', '/config-changes'],
  ['recordings', '/recordings'],
  ['endpoints', '/endpoints'],
];

describe('Report table', () => {
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  test('sorts, pages forward and back, opens the details panel, and a reload shows the same view', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, `/?to=${untilNow()}&type=login&type=logout`);
      const first = await waitForRows(page, () => true, 'the first page');

      // Sort by IP (descending first), then page forward twice and back once.
      await page.getByTestId('sort-ip').click();
      await page.waitForURL((url) => url.searchParams.get('sort') === '-ip');
      await page.locator('th[aria-sort="descending"] [data-testid="sort-ip"]').waitFor();
      // An absent IP (shown "—") sorts as the smallest value.
      const ip = (r) => (r.cells.ip === '—' ? '' : r.cells.ip);
      const descending = (rs) => rs.every((r, i) => i === 0 || ip(r) <= ip(rs[i - 1]));
      const byIp = await waitForRows(
        page,
        (rs) => descending(rs) && rs.some((r) => ip(r) !== ip(rs[0])),
        'rows sorted by IP, descending',
      );
      assert.notDeepEqual(byIp.map((r) => r.id), first.map((r) => r.id), 'the IP sort shows other rows');

      assert.equal(await page.getByTestId('previous-page').isDisabled(), true);
      await page.getByTestId('next-page').click();
      await page.waitForURL((url) => url.searchParams.has('cursor'));
      const page2 = await waitForRows(page, (rs) => rs[0].id !== byIp[0].id, 'page 2');
      await page.getByTestId('next-page').click();
      await page.waitForURL((url) => url.searchParams.getAll('back').length === 2);
      const page3 = await waitForRows(page, (rs) => rs[0].id !== page2[0].id, 'page 3');
      assert.equal(await page.getByTestId('page-number').innerText(), 'Page 3');
      await page.getByTestId('previous-page').click();
      await page.waitForURL((url) => url.searchParams.getAll('back').length === 1);
      const back2 = await waitForRows(page, (rs) => rs[0].id !== page3[0].id, 'page 2 again');
      assert.deepEqual(back2.map((r) => r.id), page2.map((r) => r.id), 'Previous shows another page 2');

      // The details panel of the second row: every field, and the row's id in the URL.
      const chosen = back2[1];
      await page.locator(`[data-testid="report-row"][data-id="${chosen.id}"]`).click({ position: { x: 4, y: 4 } });
      await page.waitForURL((url) => url.searchParams.get('selected') === chosen.id);
      const panel = page.getByTestId('details-panel');
      await panel.locator('dl.details').waitFor();
      const panelText = await panel.innerText();
      for (const label of ['Entered login', 'User agent', 'Endpoint', 'Previous status', 'Authentication']) {
        assert.ok(panelText.includes(label), `the panel shows ${label}`);
      }
      assert.ok(panelText.includes(chosen.id), 'the panel shows the id');
      await page.screenshot({ path: join(ARTIFACTS, 'events-details.png'), fullPage: true });

      // A reload shows the same filter, sort, page and selected row.
      const before = page.url();
      await page.reload();
      const reloaded = await waitForRows(page, () => true, 'rows after reload');
      assert.equal(page.url(), before);
      assert.deepEqual(reloaded.map((r) => r.id), page2.map((r) => r.id));
      await page.getByTestId('details-panel').locator('dl.details').waitFor();
      assert.equal(await page.locator('tr.selected').getAttribute('data-id'), chosen.id);
      assert.ok(await page.getByTestId('type-option-login').isChecked());

      // Back to page 1.
      await page.getByTestId('previous-page').click();
      await page.waitForURL((url) => !url.searchParams.has('cursor'));
      await waitForRows(page, (rs) => rs[0].id === byIp[0].id, 'page 1 again');

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('export downloads the CSV of the current filter', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, `/?to=${untilNow()}&type=lock&type=unlock`);
      await waitForRows(page, () => true, 'lock and unlock events');
      const countText = await page.getByTestId('report-count').innerText();
      const count = Number(countText.split(' ')[0]);
      assert.ok(count > 0, `a count is shown: ${countText}`);

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
      const file = join(ARTIFACTS, 'events-export.csv');
      await download.saveAs(file);
      const csv = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
      const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
      const header = lines[0].split(',');
      const typeColumn = header.indexOf('type');
      assert.ok(typeColumn >= 0, `a type column: ${lines[0]}`);
      const data = lines.slice(1);
      assert.equal(data.length, count, 'one CSV row per counted event');
      for (const line of data) {
        assert.ok(/,(lock|unlock),/.test(line), `a row of another type: ${line}`);
      }
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('delete by filter shows the count, wants it typed, deletes, and says how many went', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/?type=pro_license_limit');
      await waitForRows(page, () => true, 'pro_license_limit events');
      const count = Number((await page.getByTestId('report-count').innerText()).split(' ')[0]);
      assert.ok(count > 0);

      await page.getByTestId('delete-open').click();
      const dialog = page.getByTestId('delete-dialog');
      await dialog.waitFor();
      await page.getByTestId('delete-expected').filter({ hasText: String(count) }).waitFor();
      assert.match(await page.getByTestId('delete-summary').innerText(), new RegExp(`select ${count} events`));
      assert.equal(await page.getByTestId('delete-confirm').isDisabled(), true, 'deletes before the count is typed');
      await page.getByTestId('delete-confirm-input').fill(String(count + 1));
      assert.equal(await page.getByTestId('delete-confirm').isDisabled(), true, 'deletes with a wrong count');
      await page.getByTestId('delete-confirm-input').fill(String(count));
      await page.getByTestId('delete-reason').fill('e2e test');
      await page.screenshot({ path: join(ARTIFACTS, 'delete-dialog.png') });
      await page.getByTestId('delete-confirm').click();
      await page.getByTestId('delete-result').filter({ hasText: `Deleted ${count} events.` }).waitFor();
      await page.getByTestId('delete-done').click();
      await page.getByTestId('report-empty').waitFor();

      // The deletion is itself an event, with the filter and the count.
      const log = await page.request.get(`${BASE_URL}/api/v1/events?type=delete_events&limit=1`);
      const [event] = (await log.json()).items;
      assert.equal(event.details.deleted, count);
      assert.equal(event.details.reason, 'e2e test');
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('a security administrator sees no delete button', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/', AUDITOR);
      for (const [, path] of REPORTS) {
        await page.goto(`${BASE_URL}${path}`);
        await waitForRows(page, () => true, `rows of ${path}`);
        assert.equal(await page.getByTestId('export').count(), 1, `export on ${path}`);
        assert.equal(await page.getByTestId('delete-open').count(), 0, `a delete button on ${path}`);
      }
      const list = await page.request.get(`${BASE_URL}/api/v1/recordings?limit=1`);
      const [recording] = (await list.json()).items;
      await page.goto(`${BASE_URL}/recordings/${recording.id}`);
      await page.getByTestId('player-title').waitFor();
      assert.equal(await page.getByTestId('delete-recording').count(), 0);
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`every report page loads without errors (${colorScheme})`, { timeout: TIMEOUT }, async () => {
      const { context, page, problems } = await openPage(browser, { colorScheme });
      try {
        await gotoSignedIn(page, '/');
        for (const [name, path] of REPORTS) {
          await page.getByTestId(`nav-${name === 'events' ? 'events' : name}`).click();
          await page.waitForURL((url) => url.pathname === path);
          const rs = await waitForRows(page, () => true, `rows of ${name}`);
          // Near the row's left edge: not on a link in one of its cells.
          await page.locator(`[data-testid="report-row"][data-id="${rs[0].id}"]`).click({ position: { x: 4, y: 4 } });
          await page.getByTestId('details-panel').locator('dl.details').waitFor();
          await page.screenshot({ path: join(ARTIFACTS, `${name}-${colorScheme}.png`), fullPage: true });
        }
        assert.deepEqual(problems, [], 'console errors or CSP violations');
      } finally {
        await context.close();
      }
    });
  }

  test('configuration changes show before -> after per parameter', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/config-changes');
      const rs = await waitForRows(page, () => true, 'configuration changes');
      await page.locator(`[data-testid="report-row"][data-id="${rs[0].id}"]`).click({ position: { x: 4, y: 4 } });
      const diff = page.getByTestId('config-diff');
      await diff.waitFor();
      assert.ok((await diff.locator('[data-testid="config-diff-row"]').count()) > 0);
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('the endpoints quick search combines words', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/endpoints');
      await waitForRows(page, () => true, 'endpoints');
      await page.getByTestId('search-input').fill('guest');
      await page.getByTestId('search-input').press('Enter');
      await page.waitForURL((url) => url.searchParams.get('q') === 'guest');
      const guests = await waitForRows(page, (rs) => rs.some((r) => r.cells.type === 'guest'), 'guest endpoints');
      assert.ok(guests.length > 0);
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });
});
