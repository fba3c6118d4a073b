// Camera health: every camera's state, open faults and for how long; and the router's own
// problems, in a banner on every tab.
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
    const problems = c.faults.map(t);
    if (c.motion_suppressed > 0) {  // the view changes all the time over this share: mask it?
      problems.push(t('motion_suppressed').replace('{pct}', Math.round(c.motion_suppressed * 100)));
    }
    const tr = tableRow([c.name, c.health === 'fault' ? t('fault') : t(`st_${c.state}`),
                         problems.join(', ') || c.reason, minutes === '' ? '' : `${minutes} min`]);
    tr.dataset.id = c.id;
    body.appendChild(tr);
  }
}


// Shows the router's problems ([{key, text, since_ms}]; none: the banner goes).
export function showSystemProblems(problems) {
  const list = $('#system-problems');
  list.innerHTML = '';
  for (const p of problems) {
    const li = document.createElement('li');
    li.dataset.key = p.key;
    li.title = p.text;
    const [base, who] = p.key.split(':');  // e.g. "worker_outbox_full:w1"
    const words = t(base) === base ? p.text : who ? `${t(base)} ${who}` : t(base);
    li.textContent = `⚠ ${words} (${new Date(p.since_ms).toLocaleTimeString()})`;
    list.appendChild(li);
  }
  list.hidden = problems.length === 0;
}

export async function loadSystemProblems() {
  const r = await api('GET', '/api/desk/system');
  if (r.status === 200) showSystemProblems(r.data.problems);
}
