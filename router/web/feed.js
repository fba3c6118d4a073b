// /desk/feed: alerts, handling steps, camera states and the router's own problems as they
// happen, pushed by the router.
'use strict';

import { beep, loadAlerts, renderFeed, showDetail } from './alerts.js';
import { showSystemProblems } from './health.js';
import { showLogin } from './login.js';
import { desk } from './state.js';
import { loadTree } from './tree.js';

// `again`: a reconnect. What happened while the feed was down is read back from the API, so a
// desk never goes on showing a state that has changed.
export function connectFeed(again = false) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/desk/feed`);
  ws.onopen = () => {
    if (!again) return;
    loadAlerts();
    loadTree();
    if (desk.selected) showDetail(desk.selected);
  };
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'alert') {
      const known = desk.alerts.get(e.id);
      if (!known && e.phase === 'start') {
        desk.alerts.set(e.id, { id: e.id, camera: e.camera, region: e.region, kind: e.kind, start_ms: e.start_ms,
                                ended: false, state: 'new', overdue: false, labels: e.labels || [] });
        beep();
      } else if (known) {
        known.ended = e.phase === 'end';  // an event the router ended ("worker lost") opens again with its worker
        if (e.labels && e.labels.length) known.labels = e.labels;  // object events: what was seen so far
      }
      renderFeed();
    } else if (e.type === 'handling') {
      const a = desk.alerts.get(e.id);
      if (a) { a.state = e.state; a.overdue = false; }
      renderFeed();
      if (desk.selected === e.id) showDetail(e.id);
    } else if (e.type === 'system') {
      showSystemProblems(e.problems);
    } else if (e.type === 'camera') {
      const c = desk.cameras.get(e.id);
      if (c) { c.state = e.state; c.reason = e.reason; }
      loadTree();
    }
  };
  // 4401: the session ended (logout elsewhere, expiry, user disabled or password changed).
  ws.onclose = (e) => (e.code === 4401 ? showLogin() : setTimeout(() => connectFeed(true), 2000));
}

