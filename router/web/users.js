// Users (admins only, inside their region): list, add, disable/enable, new password, remove;
// and every user's own password. A change ends the user's sessions, sockets and players.
'use strict';

import { api } from './api.js';
import { t } from './i18n.js';
import { $, desk, tableRow } from './state.js';

function button(text, onClick) {
  const b = document.createElement('button');
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

async function report(r) {
  $('#users-error').textContent = r.status >= 400 ? (r.data && r.data.error) || r.status : '';
  await loadUsers();
}

export async function loadUsers() {
  const r = await api('GET', '/api/users');
  if (r.status !== 200) return;
  const body = $('#users-table tbody');
  body.innerHTML = '';
  for (const u of r.data) {
    const tr = tableRow([u.user, t(u.role), u.region || t('everything'), u.disabled ? t('user_disabled') : t('user_active')]);
    tr.dataset.user = u.user;
    const actions = document.createElement('td');
    if (u.user !== desk.me.user) {
      const path = `/api/users/${encodeURIComponent(u.user)}`;
      actions.append(
        button(u.disabled ? t('enable') : t('disable'), async () => report(await api('PATCH', path, { disabled: !u.disabled }))),
        button(t('set_password'), async () => {
          const password = prompt(t('new_password'));
          if (password) report(await api('PATCH', path, { password }));
        }),
        button(t('remove'), async () => { if (confirm(`${t('remove')} ${u.user}?`)) report(await api('DELETE', path)); }));
    }
    tr.appendChild(actions);
    body.appendChild(tr);
  }
}

$('#user-add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await api('POST', '/api/users', { user: $('#user-add-name').value, password: $('#user-add-password').value,
                                              role: $('#user-add-role').value, region: $('#user-add-region').value });
  if (r.status === 201) $('#user-add').reset();
  report(r);
});

$('#password-change').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await api('POST', '/api/me/password', { old_password: $('#password-old').value,
                                                    new_password: $('#password-new').value });
  $('#password-result').textContent = r.status === 200 ? t('password_changed') : (r.data && r.data.error) || r.status;
  if (r.status === 200) $('#password-change').reset();
});
