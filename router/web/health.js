// Camera health: every camera's state, open faults and for how long.
'use strict';

import { api } from './api.js';
import { t } from './i18n.js';
import { $ } from './state.js';

export async function loadHealth() {
  const r = await api('GET', '/api/desk/health');
  if (r.status !== 200) return;
  const body = $('#health-table tbody');
  body.innerHTML = '';
  for (const c of r.data) {
    const tr = document.createElement('tr');
    tr.dataset.id = c.id;
    const minutes = c.since_ms ? Math.round((Date.now() - c.since_ms) / 60000) : '';
    for (const text of [c.name, c.health === 'fault' ? t('fault') : t(`st_${c.state}`),
                        c.faults.map(t).join(', ') || c.reason, minutes === '' ? '' : `${minutes} min`]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

