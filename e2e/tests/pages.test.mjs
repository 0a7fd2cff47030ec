// The pages behind the reports: a session (call) page, a connection's properties, a user page,
// and the recording player with its chat in sync. Against a running `confreports serve` with
// demo data (BASE_URL).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTIFACTS, AUDITOR, BASE_URL, gotoSignedIn, launchBrowser, openPage, waitForRows } from './browser.mjs';

const TIMEOUT = 120_000;

describe('Pages', () => {
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  test('session page, connection properties and user page', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      // A recorded session has participants, invitations, media, files and chat in the demo.
      await gotoSignedIn(page, '/calls?recorded=true&active=false');
      const rs = await waitForRows(page, () => true, 'recorded sessions');
      await page.locator(`[data-testid="report-row"][data-id="${rs[0].id}"] [data-testid="session-link"]`).click();
      await page.waitForURL((url) => url.pathname === `/calls/${encodeURIComponent(rs[0].id)}`);
      await page.getByTestId('session-summary').waitFor();
      await page.getByTestId('participants-table').waitFor();
      assert.match(await page.getByTestId('participants-total').innerText(), /Total: \d+ connections · \d+ people/);
      await page.getByTestId('session-chat').or(page.getByTestId('section-empty')).first().waitFor();
      await page.waitForFunction(() => !document.querySelector('[data-testid="section-loading"]'));
      await page.screenshot({ path: join(ARTIFACTS, 'session.png'), fullPage: true });

      // A participant's connection properties.
      await page.getByTestId('participants-table').getByTestId('connection-link').first().click();
      await page.waitForURL((url) => url.pathname.startsWith('/connections/'));
      await page.getByTestId('connection-properties').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'connection.png'), fullPage: true });

      // The user page of the session's owner.
      await page.goBack();
      await page.getByTestId('session-summary').getByTestId('user-link').first().click();
      await page.waitForURL((url) => url.pathname.startsWith('/users/'));
      await page.getByTestId('user-name').waitFor();
      await page.getByTestId('user-calls').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'user.png'), fullPage: true });

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('session page: a chat file downloads, then is deleted from the server', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/calls');
      await waitForRows(page, () => true, 'sessions');
      // A session whose chat file the server still holds.
      let session;
      let cursor = '';
      for (let pages = 0; !session && pages < 20; pages++) {
        const list = await (await page.request.get(`${BASE_URL}/api/v1/calls?limit=100${cursor}`)).json();
        for (const call of list.items) {
          const files = await (await page.request.get(`${BASE_URL}/api/v1/calls/${encodeURIComponent(call.id)}/files`)).json();
          if (files.some((f) => f.downloadable)) {
            session = call;
            break;
          }
        }
        if (!list.next_cursor) break;
        cursor = `&cursor=${encodeURIComponent(list.next_cursor)}`;
      }
      assert.ok(session, 'the demo has a session with a downloadable chat file');

      await page.goto(`${BASE_URL}/calls/${encodeURIComponent(session.id)}`);
      const row = page.getByTestId('file-row').filter({ has: page.getByTestId('file-download') }).first();
      await row.waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('file-download').click()]);
      assert.ok((await download.path()) !== null, 'the file downloaded');
      assert.ok(download.suggestedFilename().length > 0);

      const before = await page.getByTestId('file-download').count();
      await row.getByTestId('file-delete').click();
      await row.getByTestId('file-delete').filter({ hasText: 'Really delete?' }).waitFor();
      await row.getByTestId('file-delete').click();
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="file-download"]').length === n - 1,
        before,
      );
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('the player seeks to a clicked chat message and the highlight follows playback', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/recordings');
      await waitForRows(page, () => true, 'recordings');
      // A recording with its media and chat during it (the demo's recorded sample).
      const list = await page.request.get(`${BASE_URL}/api/v1/recordings?limit=100`);
      let recording;
      let chat;
      for (const r of (await list.json()).items.filter((r) => r.has_media)) {
        const c = await (await page.request.get(`${BASE_URL}/api/v1/recordings/${r.id}/chat`)).json();
        if (c.filter((m) => m.offset_ms < r.duration_s * 1000).length >= 3) {
          recording = r;
          chat = c;
          break;
        }
      }
      assert.ok(recording, 'a demo recording with chat during it');

      await page.goto(`${BASE_URL}/recordings/${recording.id}`);
      await page.getByTestId('player-title').waitFor();
      const messages = page.getByTestId('player-message');
      await messages.first().waitFor();
      assert.equal(await messages.count(), chat.length);
      await page.waitForFunction(() => document.querySelector('video').readyState >= 1);
      await page.evaluate(() => {
        document.querySelector('video').muted = true;
      });

      // Clicking the second message seeks the video to it and highlights it.
      await messages.nth(1).click();
      const second = chat[1].offset_ms / 1000;
      await page.waitForFunction((t) => Math.abs(document.querySelector('video').currentTime - t) < 0.3, second);
      await page.locator('[data-testid="player-message"].current[data-index="1"]').waitFor();

      // Playing on: the highlight moves to the third message when its time comes.
      const third = chat[2].offset_ms / 1000;
      await page.evaluate(async (t) => {
        const v = document.querySelector('video');
        v.currentTime = Math.max(0, t - 1);
        await v.play();
      }, third);
      await page.locator('[data-testid="player-message"].current[data-index="2"]').waitFor({ timeout: 10_000 });
      await page.evaluate(() => document.querySelector('video').pause());

      // Speeds, search, shortcuts help, link to the moment.
      await page.getByTestId('player-speed').selectOption('1.5');
      assert.equal(await page.evaluate(() => document.querySelector('video').playbackRate), 1.5);
      assert.match(await page.getByTestId('moment-link').getAttribute('href'), new RegExp(`^/recordings/${recording.id}\\?t=\\d+$`));
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('?');
      await page.getByTestId('shortcuts-help').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'player-help.png') });
      await page.getByTestId('shortcuts-close').click();
      await page.getByTestId('player-chat-search').fill(chat[0].text.slice(0, 6));
      assert.ok((await page.locator('[data-testid="player-message"]:visible').count()) < chat.length);
      await page.getByTestId('player-chat-search').fill('');
      await page.screenshot({ path: join(ARTIFACTS, 'player.png'), fullPage: true });

      // `?t=` opens at that moment.
      await page.goto(`${BASE_URL}/recordings/${recording.id}?t=10`);
      await page.waitForFunction(() => Math.abs(document.querySelector('video')?.currentTime - 10) < 0.5);

      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('settings: retention saved, an OAuth app created with its secret shown once, an administrator created and deleted; none of it for security', { timeout: TIMEOUT }, async () => {
    const { context, page, problems } = await openPage(browser);
    try {
      await gotoSignedIn(page, '/');
      await page.getByTestId('nav-settings').click();
      await page.getByTestId('settings-page').waitFor();
      await page.getByTestId('retention-recordings').fill('400');
      await page.getByTestId('retention-save').click();
      await page.getByTestId('retention-status').filter({ hasText: 'saved' }).waitFor();
      const settings = await (await page.request.get(`${BASE_URL}/api/v1/settings`)).json();
      assert.equal(settings.recording_retention_days, 400);

      const name = `e2e app ${Date.now()}`;
      await page.getByTestId('app-name').fill(name);
      await page.getByTestId('app-scope-events:read').check();
      await page.getByTestId('app-create').click();
      const secret = page.getByTestId('app-client-secret').first();
      await secret.waitFor();
      assert.ok((await secret.innerText()).length > 16, 'a secret is shown');
      await page.getByTestId('app-row').filter({ hasText: name }).waitFor();

      // Administrators: create one, see it listed, delete it after typing its login.
      const login = `e2e-admin-${Date.now()}`;
      const password = 'an e2e admin password';
      await page.getByTestId('admin-login').fill(login);
      await page.getByTestId('admin-role').selectOption('security');
      await page.getByTestId('admin-password').fill(password);
      await page.getByTestId('admin-create').click();
      await page.getByTestId('admin-status').filter({ hasText: `${login} created` }).waitFor();
      const row = page.locator(`[data-testid="admin-row"][data-login="${login}"]`);
      await row.waitFor();
      assert.match(await row.innerText(), /security/);
      assert.equal(await page.getByTestId('admin-password').inputValue(), '', 'the password is not kept in the form');
      const listed = await (await page.request.get(`${BASE_URL}/api/v1/admins`)).json();
      assert.ok(listed.some((a) => a.login === login && a.role === 'security'), 'listed by the API');
      assert.ok(!JSON.stringify(listed).includes(password), 'no password in the list');
      await page.screenshot({ path: join(ARTIFACTS, 'settings.png'), fullPage: true });
      await row.getByTestId('admin-delete').click();
      const confirm = page.getByTestId('admin-delete-confirm');
      assert.ok(await confirm.isDisabled(), 'disabled until the login is typed');
      await page.getByTestId('admin-delete-confirm-input').fill(login);
      await confirm.click();
      await page.getByTestId('admin-message').filter({ hasText: `${login} deleted` }).waitFor();
      await row.waitFor({ state: 'detached' });
      const after = await (await page.request.get(`${BASE_URL}/api/v1/admins`)).json();
      assert.ok(!after.some((a) => a.login === login), 'deleted');
      assert.deepEqual(problems, [], 'console errors or CSP violations');
    } finally {
      await context.close();
    }

    const auditor = await openPage(browser);
    try {
      await gotoSignedIn(auditor.page, '/', AUDITOR);
      assert.equal(await auditor.page.getByTestId('nav-settings').count(), 0);
      assert.deepEqual(auditor.problems, [], 'console errors or CSP violations');
    } finally {
      await auditor.context.close();
    }
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`dashboard: figures and four charts drawn by the vendored ECharts, linking to their tables (${colorScheme})`, { timeout: TIMEOUT }, async () => {
      const { context, page, problems } = await openPage(browser, { colorScheme });
      try {
        await gotoSignedIn(page, '/');
        await page.getByTestId('nav-dashboard').click();
        await page.getByTestId('dashboard-figures').waitFor();
        await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4);
        await page.getByTestId('dashboard-7').click();
        await page.waitForURL((url) => url.searchParams.has('from') && url.searchParams.has('to'));
        await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4);
        await page.waitForTimeout(800); // the charts' entry animation
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-${colorScheme}.png`), fullPage: true });

        // A figure opens its table with the dashboard's range.
        await page.getByTestId('figure-calls').click();
        await page.waitForURL((url) => url.pathname === '/calls' && url.searchParams.has('from'));
        await waitForRows(page, () => true, 'the calls of the range');
        assert.deepEqual(problems, [], 'console errors or CSP violations');
      } finally {
        await context.close();
      }
    });
  }
});
