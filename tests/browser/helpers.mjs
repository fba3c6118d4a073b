// What the browser tests share: their settings from the environment, checks that print what
// held, waiting for a condition, Debian's headless Chromium, a logged-in desk page.
import { chromium } from 'playwright-core';

// The environment variable `name`; throws when it is not set.
export const env = (name) => { const v = process.env[name]; if (!v) throw new Error(`${name} is not set`); return v; };
// "user:password" in variable `name`, as {user, password}.
export const credentials = (name) => { const [user, password] = env(name).split(':'); return { user, password }; };

// Throws with `what` unless `ok`; prints it when it held.
export function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

// Polls `fn` every 200 ms until it returns something truthy (returned) or `timeoutMs` passes (throws).
export async function until(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let last;
    try { last = await fn(); if (last) return last; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out (${timeoutMs} ms): ${what}${last instanceof Error ? ': ' + last.message : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
}

// A new page of the desk at `url`, logged in as `who` ({user, password}).
export async function login(browser, url, who) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(url);
  await page.fill('#login-user', who.user);
  await page.fill('#login-password', who.password);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])', { timeout: 10000 });
  return page;
}

// Runs `script(browser)` in a fresh browser: prints "RESULT <json>" of what it returns and exits
// 0, or prints the failure and exits 1.
export async function run(script) {
  const browser = await launch();
  let status = 0;
  try {
    console.log('RESULT ' + JSON.stringify(await script(browser)));
  } catch (err) {
    console.log(String(err && err.stack || err));
    status = 1;
  } finally {
    await browser.close();
  }
  process.exit(status);
}
