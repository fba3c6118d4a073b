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
  const r = await api('POST', '/api/login', { user: $('#login-user').value, password: $('#login-password').value });
  if (r.status !== 200) { $('#login-error').textContent = t('wrong'); return; }
  $('#login-error').textContent = '';
  start(r.data);
});
$('#logout').addEventListener('click', async () => { await api('POST', '/api/logout'); location.reload(); });
document.querySelectorAll('.lang-toggle').forEach((b) => b.addEventListener('click', () => {
  toggleLanguage();
  applyLanguage();
  renderFeed();
}));

