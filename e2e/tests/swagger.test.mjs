// Swagger UI is vendored: it renders offline, under the same CSP as the web app.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';

import { ARTIFACTS, BASE_URL, launchBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('Swagger UI lists the Events operations with no CSP violation', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await openPage(browser);
  try {
    await page.goto(`${BASE_URL}/swagger-ui/`);
    await page.getByText('/api/v1/events/export').first().waitFor({ timeout: 30_000 });
    for (const path of ['/api/v1/events', '/api/v1/events/count', '/api/v1/event-types']) {
      assert.ok((await page.getByText(path, { exact: true }).count()) > 0, `${path} listed`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
