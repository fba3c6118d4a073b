// Benchmark half of bench/desk_load: logs in, puts 16 cameras on the wall, then reloads the
// page and measures how long it takes to load and until every tile plays again; then holds
// the wall open for XL_HOLD_S seconds and reports the live video received. Environment:
// XL_URL, XL_ADMIN ("user:password"), XL_WALL (16 camera IDs), XL_HOLD_S.
// Prints "LOADED <json>" once all tiles play, "DONE <json>" at the end; exits 1 on failure.
import { chromium } from 'playwright-core';

const url = process.env.XL_URL;
const [user, password] = process.env.XL_ADMIN.split(':');
const wall = process.env.XL_WALL.split(',');
const holdS = Number(process.env.XL_HOLD_S || 20);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] });
try {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])');
  // Build the wall once (the page keeps it per user), then the measured load: a fresh page
  // with the session and the 16-tile wall, as an operator's browser opens every morning.
  await page.click('[data-layout="16"]');
  await page.waitForSelector('#tree .cam');
  for (const id of wall) await page.click(`#tree .cam[data-id="${id}"]`);
  await page.waitForFunction((n) => [...document.querySelectorAll('.tile video')].filter((v) => v.currentTime > 0).length >= n,
                             wall.length, { timeout: 60000 });
  // Times in the page's own clock, from the start of the reload's navigation.
  await page.reload({ waitUntil: 'load' });
  const loadMs = await page.evaluate(() => Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd));
  await page.waitForSelector('#app:not([hidden])');
  const appMs = await page.evaluate(() => Math.round(window.desk.shownAt));
  const playHandle = await page.waitForFunction((n) => {
    const all = [...document.querySelectorAll('.tile video')].filter((v) => v.currentTime > 0).length >= n;
    return all && Math.round(performance.now());
  }, wall.length, { timeout: 60000, polling: 50 });
  const playMs = await playHandle.jsonValue();
  const timing = await page.evaluate(() => performance.getEntriesByType('resource').slice(0, 12)
      .map((e) => `${e.name.replace(location.origin, '')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`));
  console.log('TIMING ' + JSON.stringify(timing));
  console.log('LOADED ' + JSON.stringify({ load_ms: loadMs, app_ms: appMs, all_tiles_playing_ms: playMs }));
  const b0 = await page.evaluate(() => window.desk.bytes);
  const h0 = Date.now();
  await page.waitForTimeout(holdS * 1000);
  const b1 = await page.evaluate(() => window.desk.bytes);
  const live = await page.evaluate(() => document.querySelectorAll('.tile.live').length);
  console.log('DONE ' + JSON.stringify({ mbit_s: (b1 - b0) * 8 / 1e6 / ((Date.now() - h0) / 1000), tiles_live: live }));
  await browser.close();
  process.exit(0);
} catch (err) {
  console.log(String(err && err.stack || err));
  await browser.close();
  process.exit(1);
}
