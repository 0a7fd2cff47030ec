// A demo recording plays in Chromium straight from the API, and seeks: the media route's HTTP
// Range support is what lets the browser jump without downloading the whole file.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE_URL, gotoSignedIn, launchBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a demo recording plays and seeks in the browser', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await openPage(browser);
  try {
    await gotoSignedIn(page, '/');
    const list = await page.request.get(`${BASE_URL}/api/v1/recordings?limit=1`);
    assert.equal(list.status(), 200);
    const [recording] = (await list.json()).items;
    assert.ok(recording, 'the demo has recordings');

    // A page of our own origin with a <video> pointing at the media route (no inline script:
    // the test drives it through page.evaluate).
    const ranges = [];
    page.on('request', (req) => {
      if (req.url().includes(`/recordings/${recording.id}/media`)) ranges.push(req.headers()['range'] ?? '');
    });
    await page.goto(`${BASE_URL}/api/v1/recordings/${recording.id}/media`);
    const result = await page.evaluate(async () => {
      const v = document.querySelector('video');
      if (!v) return { error: 'no video element' };
      v.muted = true;
      await new Promise((resolve, reject) => {
        if (v.readyState >= 1) return resolve();
        v.addEventListener('loadedmetadata', resolve, { once: true });
        v.addEventListener('error', () => reject(new Error('media error ' + v.error?.code)), { once: true });
      });
      await v.play().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 500));
      const playedTo = v.currentTime;
      v.pause();
      const seeked = new Promise((resolve) => v.addEventListener('seeked', resolve, { once: true }));
      v.currentTime = 15;
      await seeked;
      return { duration: v.duration, playedTo, after: v.currentTime, width: v.videoWidth };
    });
    assert.equal(result.error, undefined, result.error);
    assert.ok(Math.abs(result.duration - recording.duration_s) < 1.5, `duration ${result.duration} vs ${recording.duration_s}`);
    assert.ok(result.playedTo > 0, `it played (currentTime ${result.playedTo})`);
    assert.ok(Math.abs(result.after - 15) < 0.5, `seeked to ${result.after}`);
    assert.equal(result.width, 640);
    assert.ok(ranges.some((r) => r.startsWith('bytes=')), `the browser asked for byte ranges: ${JSON.stringify(ranges)}`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
