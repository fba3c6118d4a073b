// Camera health: every camera's state, open faults and for how long.
'use strict';

import { api } from './api.js';
import { t } from './i18n.js';
import { $, tableRow } from './state.js';

export async function loadHealth() {
  const r = await api('GET', '/api/desk/health');
  if (r.status !== 200) return;
  const body = $('#health-table tbody');
  body.innerHTML = '';
  for (const c of r.data) {
    const minutes = c.since_ms ? Math.round((Date.now() - c.since_ms) / 60000) : '';
    const tr = tableRow([c.name, c.health === 'fault' ? t('fault') : t(`st_${c.state}`),
                         c.faults.map(t).join(', ') || c.reason, minutes === '' ? '' : `${minutes} min`]);
    tr.dataset.id = c.id;
    body.appendChild(tr);
  }
}

