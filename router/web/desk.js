// The monitoring-room desk: login, region tree, video wall (MSE from the router's
// fMP4-over-WebSocket), alert feed and the handling loop, camera health, users (admins) and the own password. Plain browser
// JavaScript modules (this one starts the page), no build step; every piece of data comes from the REST API and /desk/feed.
'use strict';

import { loadAlerts, renderFeed } from './alerts.js';
import { api } from './api.js';
import { connectFeed } from './feed.js';
import { loadHealth, loadSystemProblems } from './health.js';
import { KINDS, STATES, language, t } from './i18n.js';
import { showLogin } from './login.js';
import { openPlayback } from './playback.js';
import { $, desk } from './state.js';
import { loadTree } from './tree.js';
import { loadUsers } from './users.js';
import { restoreWall } from './wall.js';

export function applyLanguage() {
  document.documentElement.lang = language() === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll('[data-tp]').forEach((el) => { el.placeholder = t(el.dataset.tp); });
  document.querySelectorAll('.lang-toggle').forEach((el) => { el.textContent = t('other_lang'); });
  desk.tiles.forEach((tile) => tile.refresh());
}

// Tabs, filters, clock, start.
document.querySelectorAll('[data-tab]').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('[data-tab]').forEach((x) => x.classList.toggle('active', x === b));
  document.querySelectorAll('.tab').forEach((s) => { s.hidden = s.id !== `tab-${b.dataset.tab}`; });
  if (b.dataset.tab === 'health') loadHealth();
  if (b.dataset.tab === 'playback') openPlayback();
  if (b.dataset.tab === 'users') loadUsers();
}));
for (const k of KINDS) $('#filter-kind').insertAdjacentHTML('beforeend', `<option value="${k}" data-t="${k}"></option>`);
for (const s of STATES) $('#filter-state').insertAdjacentHTML('beforeend', `<option value="${s}" data-t="${s}"></option>`);
$('#filter-kind').addEventListener('change', renderFeed);
$('#filter-state').addEventListener('change', renderFeed);
$('#filter-region').addEventListener('change', renderFeed);

export function start(me) {
  desk.me = me;
  desk.shownAt = performance.now();  // for benchmarks
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#me').textContent = `${me.user} (${me.role})`;
  document.querySelectorAll('.admin-only').forEach((el) => { el.hidden = me.role !== 'admin'; });
  restoreWall();
  loadTree();
  loadAlerts();
  loadSystemProblems();
  connectFeed();
  setInterval(() => { desk.tiles.forEach((tile) => tile.refresh()); $('#clock').textContent = new Date().toLocaleString(); }, 1000);
  setInterval(loadTree, 5000);
  setInterval(loadAlerts, 30000);  // overdue marks
}

applyLanguage();
api('GET', '/api/me').then((r) => (r.status === 200 ? start(r.data) : showLogin()));
