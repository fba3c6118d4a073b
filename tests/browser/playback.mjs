// Browser test of the desk's playback (tests/e2e/browser_test.cc starts the system): Playwright
// drives Debian's headless Chromium.
//   XL_URL, XL_SHOTS, XL_ADMIN ("user:password")
//   XL_CAMERA      a camera recorded for a while      XL_RECORDED_FROM  when its recording began (ms)
//   XL_CAMERA2     another, recorded over the same time (played beside it in sync)
//   XL_ALERT       an alert of it, with XL_ALERT_MS its start (ms)
//   XL_DOWNLOAD    where to save the exported file
// Prints "RESULT <json>" and exits 0 when every check held; 1 with the failed check otherwise.
import { check, credentials, env, login, run, until } from './helpers.mjs';

const url = env('XL_URL');
const camera = env('XL_CAMERA');
const recordedFrom = Number(env('XL_RECORDED_FROM'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await run(async (browser) => {
  const page = await login(browser, url, credentials('XL_ADMIN'));
  page.on('console', (m) => console.log(`page: ${m.text()}`));
  await page.click('[data-tab="playback"]');
  await until('the camera is offered', () => page.$(`#pb-camera option[value="${camera}"]`), 10000);
  await page.selectOption('#pb-camera', camera);
  await until('the timeline shows a recorded range', () => page.evaluate(() => desk.playback.data && desk.playback.data.ranges.length > 0), 10000);

  const position = () => page.evaluate(() => desk.playback.player.position());
  // Clicks the timeline at wall-clock `ms`; returns the time that point stands for.
  const clickAt = async (ms) => {
    const box = await page.locator('#pb-timeline').boundingBox();
    const span = await page.evaluate(() => [desk.playback.from, desk.playback.to]);
    // Mouse events carry whole pixels: click one, and say what time it stands for.
    const cx = Math.round(box.x + ((ms - span[0]) / (span[1] - span[0])) * box.width);
    await page.mouse.click(cx, Math.round(box.y + box.height / 2));
    return span[0] + ((cx - box.x) / box.width) * (span[1] - span[0]);
  };
  // Waits until the video plays from about `near` (up to `ahead` ms past it: at 4× it moves fast).
  const playing = async (near, ahead = 5000) => {
    try {
      await until(`the video plays near ${new Date(near).toISOString()}`, async () => {
        const [paused, time] = await page.evaluate(() => [document.querySelector('#pb-video').paused, document.querySelector('#pb-video').currentTime]);
        const at = await position();
        return !paused && time > 0 && at > near - 3000 && at < near + ahead;
      }, 20000);
    } catch (err) {
      console.log('player: ' + JSON.stringify(await page.evaluate(() => {
        const v = document.querySelector('#pb-video');
        const b = [];
        for (let i = 0; i < v.buffered.length; ++i) b.push([v.buffered.start(i), v.buffered.end(i)]);
        return { paused: v.paused, time: v.currentTime, rate: v.playbackRate, buffered: b, ready: v.readyState,
                 error: v.error && v.error.message, note: document.querySelector('#pb-note').textContent,
                 origin: desk.playback.player.origin, position: desk.playback.player.position() };
      })));
      throw err;
    }
  };
  const rate = async (ms) => {
    const p0 = await position(), t0 = Date.now();
    await sleep(ms);
    return (await position() - p0) / (Date.now() - t0);
  };

  // A click on the timeline plays from that moment.
  const clicked = await clickAt(recordedFrom + 25000);
  await playing(clicked);
  const shown = await position();
  check(Math.abs(shown - clicked) <= 2000, `the video shows the clicked time (off by ${((shown - clicked) / 1000).toFixed(2)} s)`);
  const rate1 = await rate(4000);
  check(rate1 > 0.7 && rate1 < 1.3, `1× plays at 1× (${rate1.toFixed(2)})`);
  // A second camera beside it: it plays the same moment, and keeps to it.
  await page.selectOption('#pb-add-camera', env('XL_CAMERA2'));
  await page.click('#pb-add');
  const second = () => page.evaluate(() => desk.playback.synced.length ? desk.playback.synced[0].player.position() : 0);
  await until('the second camera plays', async () => {
    const p0 = await second();
    await sleep(500);
    return p0 > 0 && (await second()) > p0;
  }, 30000);
  await sleep(3000);
  const [lead, follower] = [await position(), await second()];
  check(Math.abs(lead - follower) <= 1000, `two cameras play in sync (off by ${((follower - lead) / 1000).toFixed(2)} s)`);
  // 4×: four times as fast.
  const at4 = await position();
  await page.click('[data-speed="4"]');
  await playing(at4, 40000);
  const rate4 = await rate(4000);
  check(rate4 / rate1 > 3.2 && rate4 / rate1 < 4.8, `4× plays four times as fast (${rate4.toFixed(2)} against ${rate1.toFixed(2)})`);
  await until('the second camera at 4× with it', async () => Math.abs((await position()) - (await second())) <= 2000, 20000);
  const at1 = await position();
  await page.click('[data-speed="1"]');
  await playing(at1);
  await page.screenshot({ path: `${env('XL_SHOTS')}/playback.png` });

  // Paused, a step shows the next frame.
  await page.click('#pb-pause');
  await until('paused', () => page.evaluate(() => document.querySelector('#pb-video').paused), 5000);
  await until('the second camera paused with it',
              () => page.evaluate(() => desk.playback.synced.every((s) => s.player.video.paused)), 5000);
  const before = await position();
  await page.click('#pb-step');
  await sleep(300);
  const stepped = (await position()) - before;
  check(stepped > 50 && stepped < 500, `a step moves one frame on (${stepped.toFixed(0)} ms)`);

  // Export: mark a start, play on 10 s, mark the end, export; the file downloads.
  await page.click('#pb-mark-start');
  const markFrom = await position();
  await page.click('#pb-pause');
  await until('10 s played', async () => (await position()) > markFrom + 10000, 30000);
  await page.click('#pb-mark-end');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#pb-export')]);
  await download.saveAs(env('XL_DOWNLOAD'));
  check(true, `the export downloaded (${await page.textContent('#pb-note')})`);

  // From an alert's detail, "play the recording" plays from 10 s before it.
  const alert = env('XL_ALERT'), alertMs = Number(env('XL_ALERT_MS'));
  await page.click('[data-tab="alerts"]');
  await until('the alert is in the feed', () => page.$(`#feed li[data-id="${alert}"]`), 30000);
  await page.click(`#feed li[data-id="${alert}"]`);
  await page.waitForSelector('#detail-play:not([hidden])', { timeout: 10000 });
  await page.click('#detail-play');
  await until('the playback tab shows', () => page.isVisible('#tab-playback'), 5000);
  await playing(alertMs - 10000);
  const jumped = await position();
  check(Math.abs(jumped - (alertMs - 10000)) <= 2000, `the alert's recording plays from 10 s before it (off by ${((jumped - alertMs + 10000) / 1000).toFixed(2)} s)`);
  return { rate1, rate4 };
});
