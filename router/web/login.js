// Login, logout and the language switch.
'use strict';

import { renderFeed } from './alerts.js';
import { api } from './api.js';
import { applyLanguage, start } from './desk.js';
import { t, toggleLanguage } from './i18n.js';
import { $ } from './state.js';

export function showLogin() { $('#app').hidden = true; $('#login').hidden = false; }
$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { user: $('#login-user').value, password: $('#login-password').value };
  let r = await api('POST', '/api/login', body);
  // 503: the router is busy checking other passwords (a whole shift logging in at once):
  // asked again after its Retry-After, a few times, before saying anything.
  for (let tries = 0; r.status === 503 && tries < 5; ++tries) {
    $('#login-error').textContent = t('login_busy');
    await new Promise((done) => setTimeout(done, 1000 * Math.max(1, r.retryAfter)));
    r = await api('POST', '/api/login', body);
  }
  if (r.status === 401 || r.status === 403) { $('#login-error').textContent = t('wrong'); return; }
  if (r.status !== 200) {  // throttled (429, with when to try again) or the router in trouble: its reason
    $('#login-error').textContent = (r.data && r.data.error) || `${r.status}`;
    return;
  }
  $('#login-error').textContent = '';
  start(r.data);
});
$('#logout').addEventListener('click', async () => { await api('POST', '/api/logout'); location.reload(); });
document.querySelectorAll('.lang-toggle').forEach((b) => b.addEventListener('click', () => {
  toggleLanguage();
  applyLanguage();
  renderFeed();
}));

