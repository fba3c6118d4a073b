// Browser test of the monitoring-room desk: Playwright (playwright-core) drives Debian's
// headless Chromium against a running router, worker and simulator (started by
// tests/e2e/browser_test.cc, which passes everything through the environment):
//   XL_URL       the router's HTTP base        XL_SHOTS     folder for screenshots
//   XL_ADMIN, XL_COMMANDER, XL_OPERATOR_A      "user:password" of three desk users
//   XL_WALL      the 4 cameras for the wall    XL_CAMERA_B  a camera of village B (op A must not see it)
//   XL_LATE_CAMERA  a camera switched off at the start; switched on once the desks are open,
//                its first motion event must reach them live
//   XL_H265_CAMERA  an H.265 camera: its tile plays or says the browser cannot decode it
//   XL_KILL_PID  the simulator, killed at the end to see the wall and tree react
// Prints "RESULT <json>" and exits 0 when every check held; 1 with the failed check otherwise.
import { check, credentials, env, login as loginAt, run, until } from './helpers.mjs';

const url = env('XL_URL');
const shots = env('XL_SHOTS');
const wall = env('XL_WALL').split(',');
const cameraB = env('XL_CAMERA_B');

const login = (browser, who) => loginAt(browser, url, who);

await run(async (browser) => {
  // A wrong password is refused, in the page.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    // The form is hidden until the page has asked the router for a session and got none.
    await page.waitForSelector('#login', { state: 'visible', timeout: 10000 }).catch(() => {});
    check(await page.isVisible('#login'), 'the login form shows without a session');
    await page.fill('#login-user', credentials('XL_ADMIN').user);
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
    check(await page.isHidden('#app'), 'a wrong password is refused');
    await context.close();
  }

  const admin = await login(browser, credentials('XL_ADMIN'));
  // The tree shows the demo county, its towns and village points, and the cameras.
  await admin.waitForSelector('#tree .cam', { timeout: 10000 });
  const treeText = await admin.textContent('#tree');
  check(treeText.includes('演示县') && treeText.includes('东村') && treeText.includes('西村'), 'the tree shows the demo county and its villages');

  // A 4-tile wall: each tile plays (time advances) and shows a picture that is not blank.
  await admin.click('[data-layout="4"]');
  for (const id of wall) await admin.click(`#tree .cam[data-id="${id}"]`);
  for (let i = 0; i < 4; i++) {
    const tile = `.tile[data-index="${i}"]`;
    await until(`tile ${i} plays`, () => admin.$eval(`${tile} video`, (v) => v.readyState >= 2 && v.currentTime > 0), 30000);
    const t0 = await admin.$eval(`${tile} video`, (v) => v.currentTime);
    await until(`tile ${i}'s time advances`, async () => (await admin.$eval(`${tile} video`, (v) => v.currentTime)) > t0 + 0.5, 10000);
    const spread = await admin.$eval(`${tile} video`, (v) => {
      const c = document.createElement('canvas');
      c.width = 64; c.height = 36;
      const g = c.getContext('2d');
      g.drawImage(v, 0, 0, 64, 36);
      const px = g.getImageData(0, 0, 64, 36).data;
      let min = 255, max = 0;
      for (let k = 0; k < px.length; k += 4) { const y = (px[k] + px[k + 1] + px[k + 2]) / 3; min = Math.min(min, y); max = Math.max(max, y); }
      return max - min;
    });
    check(spread > 40, `tile ${i}'s picture is not blank (luma spread ${spread.toFixed(0)})`);
    check(await admin.isHidden(`${tile} .nosignal`), `tile ${i} shows no "no signal"`);
  }
  await admin.screenshot({ path: `${shots}/wall.png` });
  // The wall is kept: a reload brings back the same cameras, playing.
  await admin.reload();
  await admin.waitForSelector('#app:not([hidden])');
  for (let i = 0; i < 4; i++) {
    const tile = `.tile[data-index="${i}"]`;
    check(await admin.getAttribute(tile, 'data-camera') === wall[i], `after a reload tile ${i} shows ${wall[i]} again`);
    await until(`tile ${i} plays after the reload`, () => admin.$eval(`${tile} video`, (v) => v.currentTime > 0), 30000);
  }

  // An H.265 camera on a 9-tile wall: it plays where the browser decodes HEVC; elsewhere the
  // tile says so (never a black tile that looks live).
  const h265 = env('XL_H265_CAMERA');
  await admin.click('[data-layout="9"]');
  await admin.click(`#tree .cam[data-id="${h265}"]`);
  const hevcTile = `.tile[data-camera="${h265}"]`;
  const outcome = await until('the H.265 tile plays or says it cannot', () => admin.$eval(hevcTile, (el) => {
    if (el.querySelector('video').currentTime > 0) return 'plays';
    const note = el.querySelector('.nosignal');
    return !note.hidden && /decode|解码/.test(note.textContent) ? 'says: ' + note.textContent : null;
  }), 30000);
  check(outcome === 'plays' || !(await admin.$eval(hevcTile, (el) => el.classList.contains('live'))), `the H.265 tile ${outcome}`);
  await admin.screenshot({ path: `${shots}/wall-h265.png` });
  await admin.click('[data-layout="4"]');

  // A second desk (the town's commander) and the village A operator, both live.
  const town = await login(browser, credentials('XL_COMMANDER'));
  const operator = await login(browser, credentials('XL_OPERATOR_A'));
  for (const page of [admin, town]) await page.click('[data-tab="alerts"]');

  // A camera is switched on while the desks are open: its first motion alert arrives live.
  const late = env('XL_LATE_CAMERA');
  const switched = await admin.evaluate(async (cam) => (await fetch(`/api/cameras/${cam}`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: true }) })).status, late);
  check(switched === 200, `camera ${late} switched on`);
  const id = await until('its motion alert appears in the feed', async () => {
    const ids = await admin.$$eval('#feed .alert', (els) => els.map((e) => e.dataset.id));
    return ids.find((x) => x.startsWith(late) && x.includes('motion'));
  }, 60000);
  check(true, `alert ${id} arrived live`);
  await town.waitForSelector(`#feed .alert[data-id="${id}"]`, { timeout: 5000 });

  // The handling loop at one desk, seen live at the other.
  const item = `#feed .alert[data-id="${id}"]`;
  // Live alerts keep arriving at the top of the feed and move the item: a click can land
  // beside it on a slow machine, so click until its detail is open.
  await until(`the detail of ${id} opens`, async () => {
    await admin.click(item, { timeout: 5000 });
    await admin.waitForSelector(`#detail:not([hidden])[data-id="${id}"]`, { timeout: 3000 });
    return true;
  }, 30000);
  await admin.click('#step-ack');
  await town.waitForFunction((sel) => document.querySelector(sel + ' .state').classList.contains('acknowledged'), item, { timeout: 5000 });
  check(true, 'acknowledged at one desk, shown at the other');
  // The feed may bring the new state before this desk hears the reply to its own step, and the
  // operator types the next note meanwhile: held back here, the reply comes last, and the note
  // typed for the next step must survive it (handling needs a note).
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const dispatchUrl = `**/api/desk/alerts/*/dispatch`;
  await admin.route(dispatchUrl, async (route) => { const response = await route.fetch(); await held; await route.fulfill({ response }); });
  await admin.fill('#step-unit', '东村派出所');
  await admin.fill('#step-note', '两人在村口徘徊');
  await admin.click('#step-dispatch');
  await town.waitForFunction((sel) => document.querySelector(sel + ' .state').classList.contains('dispatched'), item, { timeout: 5000 });
  await admin.waitForFunction(() => !document.querySelector('#step-handle').disabled, null, { timeout: 5000 });
  await admin.fill('#step-note', '核实为村民，无异常');
  const replied = admin.waitForResponse((r) => /\/dispatch$/.test(r.url()));
  release();
  await replied;
  await admin.unroute(dispatchUrl);
  await admin.waitForTimeout(300);  // the page's own handling of the late reply (not a timing under test)
  check(await admin.inputValue('#step-note') === '核实为村民，无异常', 'the next note survives the late reply to the step before');
  await admin.click('#step-handle');
  await town.waitForFunction((sel) => document.querySelector(sel + ' .state').classList.contains('handled'), item, { timeout: 5000 });
  await admin.click('#step-close');
  await town.waitForFunction((sel) => document.querySelector(sel + ' .state').classList.contains('closed'), item, { timeout: 5000 });
  check(true, 'dispatched, handled and closed: each step shown live at the second desk');
  await admin.waitForFunction(() => document.querySelectorAll('#history li').length === 4);
  // Its clip, fetched by the router from the worker, plays in the detail.
  await until("the alert's clip loads in its detail", () => admin.$eval('#detail-video', (v) => v.readyState >= 1 && v.duration > 2), 40000);
  await admin.$eval('#detail-video', (v) => v.play());
  await until("and plays", () => admin.$eval('#detail-video', (v) => v.currentTime > 0.5), 10000);
  await admin.screenshot({ path: `${shots}/desk.png` });

  // The feed's region filter: the alert's own village keeps it, another village hides it.
  const region = await town.evaluate(async (alertId) => (await (await fetch(`/api/desk/alerts/${alertId}`)).json()).region, id);
  const options = await town.$$eval('#filter-region option', (os) => os.map((o) => o.value).filter(Boolean));
  const own = options.filter((v) => region.startsWith(v)).sort((a, b) => b.length - a.length)[0];
  const other = own && options.find((v) => v.length === own.length && v !== own);
  check(!!own && !!other, `the region filter offers the alert's village (${own}) and another (${other})`);
  await town.selectOption('#filter-region', own);
  check(!!(await town.$(item)), 'filtered to its village, the alert stays in the feed');
  await town.selectOption('#filter-region', other);
  check(!(await town.$(item)), 'filtered to another village, it leaves the feed');
  await town.selectOption('#filter-region', '');

  // The village A operator sees neither village B's cameras nor its alerts, in the page or the API.
  const opTree = await operator.textContent('#tree');
  check(!(await operator.$(`#tree .cam[data-id="${cameraB}"]`)) && !opTree.includes('西村'), "village A's operator has no village B camera in the tree");
  const opIds = await operator.$$eval('#feed .alert', (els) => els.map((e) => e.dataset.id));
  check(opIds.every((x) => !x.startsWith(cameraB)), "village A's operator has no village B alert in the feed");
  const apiB = await operator.evaluate(async (cam) => {
    const list = await (await fetch('/api/desk/alerts?limit=5000')).json();
    const cams = await (await fetch('/api/desk/cameras')).json();
    return { alerts: list.filter((a) => a.camera === cam).length, cameras: cams.filter((c) => c.id === cam).length };
  }, cameraB);
  check(apiB.alerts === 0 && apiB.cameras === 0, "and the API gives it none either");
  const bAlert = await town.evaluate(async (cam) => ((await (await fetch('/api/desk/alerts?limit=5000')).json())
      .find((a) => a.camera === cam) || {}).id, cameraB);
  if (bAlert) {
    const code = await operator.evaluate(async (x) => (await fetch(`/api/desk/alerts/${encodeURIComponent(x)}`)).status, bAlert);
    check(code === 404, `village B's alert ${bAlert} does not exist for village A (${code})`);
  }

  // Users, in the page: only admins have the tab; the admin adds a user and disables village
  // A's operator, whose open page falls back to the login at once; then enables them again.
  const op = credentials('XL_OPERATOR_A').user;
  check(await operator.isHidden('[data-tab="users"]'), 'an operator has no users tab');
  await admin.click('[data-tab="users"]');
  await admin.waitForSelector(`#users-table tr[data-user="${op}"]`, { timeout: 5000 });
  await admin.fill('#user-add-name', 'night_shift');
  await admin.fill('#user-add-password', 'night-shift-pw');
  await admin.click('#user-add button[type="submit"]');
  await admin.waitForSelector('#users-table tr[data-user="night_shift"]', { timeout: 10000 });
  check(true, 'the admin added a user in the page');
  await admin.click(`#users-table tr[data-user="${op}"] button:first-of-type`);
  await until("the disabled operator's open page falls back to the login", () => operator.isVisible('#login'), 5000);
  check(true, "disabled in the page, the operator's open desk closed at once");
  await admin.click(`#users-table tr[data-user="${op}"] button:first-of-type`);
  await until('the operator is enabled again', () => admin.$eval(`#users-table tr[data-user="${op}"]`,
    (tr) => !tr.textContent.includes('已停用')), 5000);
  await admin.screenshot({ path: `${shots}/users.png` });

  // The simulator dies: the tiles say "no signal" and the tree goes red within 15 s.
  await admin.click('[data-tab="wall"]');
  process.kill(Number(env('XL_KILL_PID')), 'SIGKILL');
  const killed = Date.now();
  await until('the tile shows "no signal"', () => admin.isVisible('.tile[data-index="0"] .nosignal'), 15000);
  await until('the tree shows the camera offline', () => admin.$(`#tree .cam[data-id="${wall[0]}"] .dot.health-offline`), 15000 - (Date.now() - killed));
  check(true, `"no signal" and a red tree node ${((Date.now() - killed) / 1000).toFixed(1)} s after the simulator died`);
  await admin.screenshot({ path: `${shots}/no-signal.png` });
  return { alert: id };
});
