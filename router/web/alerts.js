// The alert feed (filters, sound), an alert's detail (snapshot with boxes, clip, history) and
// the handling steps: acknowledge → dispatch → handle → close.
'use strict';

import { api } from './api.js';
import { language, t } from './i18n.js';
import { playRecording } from './playback.js';
import { $, desk } from './state.js';

export function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  } catch (err) { /* no audio device */ }
}

// "Object: person, car": an object event names what was seen.
function withLabels(kind, labels) {
  return labels && labels.length ? `${t(kind)}: ${labels.map(t).join(', ')}` : t(kind);
}

export function renderFeed() {
  const kind = $('#filter-kind').value, state = $('#filter-state').value, region = $('#filter-region').value;
  const list = [...desk.alerts.values()].sort((a, b) => b.start_ms - a.start_ms)
      .filter((a) => (!kind || a.kind === kind) && (!state || a.state === state) &&
                     (!region || a.region.startsWith(region) || a.camera.startsWith(region)));
  const feed = $('#feed');
  feed.innerHTML = '';
  for (const a of list) {
    const li = document.createElement('li');
    li.className = 'alert' + (a.overdue && a.state === 'new' ? ' overdue' : '') + (a.id === desk.selected ? ' selected' : '');
    li.dataset.id = a.id;
    const cam = desk.cameras.get(a.camera);
    li.innerHTML = `<img loading="lazy" src="/api/desk/alerts/${encodeURIComponent(a.id)}/snapshot" alt="">` +
                   `<div><div><b class="kind"></b> <span class="badge ${a.state} state"></span></div>` +
                   `<div class="camera"></div><div class="time"></div></div>`;
    li.querySelector('.kind').textContent = withLabels(a.kind, a.labels);
    li.querySelector('.state').textContent = t(a.state);
    li.querySelector('.camera').textContent = cam ? cam.name : a.camera;
    li.querySelector('.time').textContent = new Date(a.start_ms).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en-GB');
    li.addEventListener('click', () => showDetail(a.id));
    feed.appendChild(li);
  }
}

export async function loadAlerts() {
  const r = await api('GET', '/api/desk/alerts?limit=200');
  if (r.status !== 200) return;
  r.data.forEach((a) => desk.alerts.set(a.id, a));
  renderFeed();
}

// Shows alert `id` in the detail. Calls overlap (a step's reply and the feed's word of the same
// step both ask): only the newest call's answer is shown, never an older state after a newer.
export async function showDetail(id) {
  desk.selected = id;
  const asked = ++desk.detailAsked;
  const r = await api('GET', `/api/desk/alerts/${encodeURIComponent(id)}`);
  if (r.status !== 200 || asked !== desk.detailAsked) return;
  const d = r.data;
  $('#detail').hidden = false;
  $('#detail').dataset.id = id;
  // An alert from a router below names its site ("东街镇/东村").
  $('#detail-title').textContent = `${withLabels(d.kind, d.labels)} · ${d.site ? d.site + ' · ' : ''}${d.camera_name || d.camera}`;
  $('#detail-state').innerHTML = `<span class="badge ${d.state}">${t(d.state)}</span>`;
  const img = $('#detail-snapshot');
  const boxes = [...d.messages].reverse().find((m) => m.boxes.length);
  img.onload = () => {
    const canvas = $('#detail-boxes');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    g.strokeStyle = '#ff3b30';
    g.lineWidth = Math.max(2, img.naturalWidth / 320);
    g.fillStyle = '#ff3b30';
    g.font = `${Math.max(12, img.naturalWidth / 40)}px sans-serif`;
    for (const [x, y, w, h, score, label] of (boxes ? boxes.boxes : [])) {
      g.strokeRect(x * canvas.width, y * canvas.height, w * canvas.width, h * canvas.height);
      if (label) g.fillText(`${t(label)} ${Math.round(score * 100)}%`, x * canvas.width, y * canvas.height - 4);
    }
  };
  img.src = `/api/desk/alerts/${encodeURIComponent(id)}/snapshot?${d.messages.length}`;
  showClip(id, d);
  // Its recording, from 10 s before it (cameras registered here: those below play at their site).
  $('#detail-play').hidden = !!d.site;
  $('#detail-play').onclick = () => playRecording(d.camera, d.start_ms - 10000);
  const history = $('#history');
  history.innerHTML = '';
  // Steps taken at other centres name their site; one another centre beat is kept, struck out.
  for (const h of d.history) {
    const li = document.createElement('li');
    li.textContent = `${new Date(h.at_ms).toLocaleTimeString()} ${t({ ack: 'acknowledged', dispatch: 'dispatched',
      handle: 'handled', close: 'closed' }[h.step])} · ${h.site ? h.site + ' · ' : ''}${h.user}${h.unit ? ' → ' + h.unit : ''}${h.note ? ' · ' + h.note : ''}`;
    if (h.applied === false) {
      li.className = 'late';
      li.title = t('step_late');
    }
    history.appendChild(li);
  }
  const next = { new: 'ack', acknowledged: 'dispatch', dispatched: 'handle', handled: 'close' }[d.state];
  document.querySelectorAll('[data-step]').forEach((b) => { b.disabled = b.dataset.step !== next; });
  renderFeed();
}

// The event's clip (pre-capture, event, post-capture), fetched by the router from the worker
// that recorded it. Written once the event and its post-capture are over: until then, and
// while it cannot be had, a note says why and it is tried again.
function showClip(id, d) {
  const box = $('#detail-clip'), video = $('#detail-video'), note = $('#detail-clip-note');
  clearTimeout(desk.clipRetry);
  box.hidden = !d.messages.some((m) => m.clip);
  if (box.hidden) { video.removeAttribute('src'); video.dataset.id = ''; return; }
  if (video.dataset.id === id && video.readyState > 0) return;  // already loaded
  video.dataset.id = id;
  note.textContent = '';
  video.onloadedmetadata = () => { note.textContent = ''; };
  video.onerror = async () => {
    const r = await fetch(`/api/desk/alerts/${encodeURIComponent(id)}/clip`, { method: 'GET' }).catch(() => null);
    note.textContent = r && r.status === 404 ? t('clip_pending') : t('clip_unavailable');
    if (desk.selected === id) desk.clipRetry = setTimeout(() => { video.dataset.id = ''; showClip(id, d); }, 5000);
  };
  video.src = `/api/desk/alerts/${encodeURIComponent(id)}/clip`;
}

// A step's note is cleared once the step is taken, unless the operator has meanwhile typed the
// next one (the feed may show the new state before this desk hears its own reply).
document.querySelectorAll('[data-step]').forEach((b) => b.addEventListener('click', async () => {
  const id = $('#detail').dataset.id;
  const step = b.dataset.step;
  const note = $('#step-note').value;
  const r = await api('POST', `/api/desk/alerts/${encodeURIComponent(id)}/${step}`,
                      step === 'dispatch' ? { unit: $('#step-unit').value, note } : { note });
  $('#step-error').textContent = r.status === 200 ? '' : (r.data && r.data.error) || r.status;
  if (r.status !== 200) return;
  if ($('#step-note').value === note) $('#step-note').value = '';
  showDetail(id);
}));

