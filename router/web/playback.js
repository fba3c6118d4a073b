// Playback of recordings: a camera, a 24-hour timeline bar (recorded ranges, gaps with their
// reasons, alert markers, and under them in blue what a GB/T 28181 camera's own device keeps;
// zoomable to minutes), click to play from there; 1×, 2×, 4×, and 8×,
// 16× on keyframes; pause and step frame by frame; mark a range and export it (the file
// downloads). Up to three more cameras play beside it in sync: the first camera's player is the
// clock, and the others are put back to its time whenever they drift. Video comes over
// /playback/<camera> (router/recordings/playback_socket.h) into MSE; a moment only the
// camera's device keeps (the blue band) plays from the device (/playback/<camera>/device),
// and a marked range of it can be copied from the device into our recordings.
'use strict';

import { api } from './api.js';
import { language, t } from './i18n.js';
import { $, desk } from './state.js';

const HOUR = 3600 * 1000;
const LEAD_S = 10;  // the player's time 0 is this long before the seek (the chunk starts at a keyframe before it)
const MAX_CAMERAS = 4;  // played in sync
const DRIFT_S = 0.4;    // a synced player further than this from the first is put back to its time

// One camera's recording in a <video>: every seek or speed change starts a new MediaSource at
// that time; chunks are appended with their wall-clock start as offset, so the video's time
// maps to the wall clock (wall = origin + currentTime).
class RecordingPlayer {
  // `primary`: the player the timeline and the time shown follow.
  constructor(video, primary) {
    this.video = video;
    this.primary = primary;
    this.camera = null;
    this.speed = 1;
    this.origin = 0;
    this.ws = null;
    setInterval(() => this.tick(), 500);
  }
  // Wall-clock ms shown now (0 when nothing plays).
  position() { return this.ws ? this.origin + this.video.currentTime * 1000 : 0; }
  // `device`: what the camera's GB/T 28181 device keeps, played by the device.
  open(camera, at, speed, device = false) {
    this.close();
    this.camera = camera;
    this.speed = speed;
    this.origin = at - LEAD_S * 1000;
    const video = this.video;
    const source = new MediaSource();
    video.src = URL.createObjectURL(source);
    const queue = [];
    let buffer = null, pendingMime = null;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/playback/${camera}${device ? '/device' : ''}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    const pump = () => {
      if (!buffer || buffer.updating || !queue.length) return;
      const { offset, data } = queue.shift();
      try {
        buffer.timestampOffset = offset;
        buffer.appendBuffer(data);
      } catch (err) {
        this.note(String(err));
      }
    };
    const ready = () => {
      if (buffer || !pendingMime || source.readyState !== 'open') return;
      if (!MediaSource.isTypeSupported(pendingMime)) { this.note(t('unsupported_codec')); return; }
      buffer = source.addSourceBuffer(pendingMime);
      buffer.mode = 'segments';
      buffer.addEventListener('updateend', () => {
        this.trim(buffer);
        if (video.paused && !this.pausedByUser) {
          video.currentTime = Math.max(video.currentTime, (at - this.origin) / 1000);
          video.playbackRate = this.speed;
          video.play().catch(() => {});
        }
        pump();
      });
      pump();
    };
    source.addEventListener('sourceopen', ready);
    let chunk = null;
    ws.onopen = () => ws.send(JSON.stringify({ seek: Math.round(at), speed }));
    ws.onmessage = (m) => {
      if (ws !== this.ws) return;
      if (typeof m.data === 'string') {
        const said = JSON.parse(m.data);
        if (said.type === 'chunk') {
          chunk = said;
          if (!pendingMime) { pendingMime = said.mime; ready(); }
        } else if (said.type === 'end') {
          this.note(t('pb_end'));
        } else if (said.type === 'error') {
          this.note(said.error);
        }
        return;
      }
      if (!chunk) return;
      queue.push({ offset: (chunk.start_ms - this.origin) / 1000, data: m.data });
      chunk = null;
      this.note(device ? t('pb_from_device') : '');
      pump();
    };
    this.pausedByUser = false;
    video.playbackRate = speed;
  }
  close() {
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(); }
    this.video.removeAttribute('src');
    this.video.load();
  }
  // Keeps the buffer small: what is more than a minute behind goes.
  trim(buffer) {
    const now = this.video.currentTime;
    if (!buffer.updating && buffer.buffered.length && now - buffer.buffered.start(0) > 60 + 60 * this.speed) {
      try { buffer.remove(0, now - 30); } catch (err) { /* next time */ }
    }
  }
  // Twice a second: tell the router where the player stands, and jump over gaps.
  tick() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const v = this.video;
    if (!v.paused) this.ws.send(JSON.stringify({ at: Math.round(this.position()) }));
    // A gap in the recording (or a hole the decoder left): stuck at the end of what is buffered
    // while more lies later, the player jumps on to it.
    const b = v.buffered;
    let inside = false;
    for (let i = 0; i < b.length; ++i) inside = inside || (v.currentTime >= b.start(i) && v.currentTime < b.end(i) - 0.3);
    if (!inside || v.readyState < 3) {
      for (let i = 0; i < b.length; ++i) {
        if (b.start(i) > v.currentTime + 0.05) { if (!inside || this.stuck++ > 2) v.currentTime = b.start(i); break; }
      }
    } else {
      this.stuck = 0;
    }
    if (this.primary) onPosition(this.position());
  }
  note(text) { if (this.primary || text) $('#pb-note').textContent = text && !this.primary ? `${this.camera}: ${text}` : text; }
}

// player: the first camera's; synced: [{camera, player, cell}] the others, played beside it.
const view = { player: null, synced: [], day: 0, from: 0, to: 0, data: null, mark: [0, 0] };
desk.playback = view;  // (for tests and benchmarks: the span shown and the players)

// True when only the camera's device keeps wall-clock `at` (the blue band, none of ours).
function onlyOnDevice(at) {
  const d = view.data;
  if (!d || !(d.device_records || []).some((r) => at >= r.from_ms && at < r.to_ms)) return false;
  return !d.ranges.some((r) => at >= r.from_ms && at < r.to_ms);
}

// Every camera shown, from wall-clock `at`, at the chosen speed.
function playAll(at) {
  view.player.open($('#pb-camera').value, at, speedOf(), onlyOnDevice(at));
  for (const s of view.synced) s.player.open(s.camera, at, speedOf());
}

function allVideos() { return [view.player.video, ...view.synced.map((s) => s.player.video)]; }

// Twice a second: the synced players follow the first — its time, paused or not.
function keepInSync() {
  const lead = view.player;
  if (!lead || !lead.ws) return;
  const at = lead.position();
  for (const s of view.synced) {
    const p = s.player, v = p.video;
    if (!p.ws || !v.buffered.length) continue;
    p.pausedByUser = lead.pausedByUser;
    if (lead.video.paused !== v.paused) {
      if (lead.video.paused) v.pause(); else v.play().catch(() => {});
    }
    if (v.playbackRate !== lead.video.playbackRate) v.playbackRate = lead.video.playbackRate;
    if (Math.abs(p.position() - at) > DRIFT_S * 1000) v.currentTime = Math.max(0, (at - p.origin) / 1000);
  }
}
setInterval(keepInSync, 500);

function cameraName(id) {
  const cam = desk.cameras.get(id);
  return cam ? `${cam.name} (${id})` : id;
}

// Plays `camera` beside the first, in sync with it.
function addSynced(camera) {
  if (!camera || camera === $('#pb-camera').value || view.synced.some((s) => s.camera === camera)) return;
  if (view.synced.length + 1 >= MAX_CAMERAS) { $('#pb-note').textContent = t('pb_max'); return; }
  const cell = document.createElement('figure');
  cell.className = 'pb-cell';
  cell.dataset.camera = camera;
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  const caption = document.createElement('figcaption');
  caption.textContent = `${cameraName(camera)} `;
  const remove = document.createElement('button');
  remove.textContent = '×';
  remove.title = t('pb_remove');
  remove.addEventListener('click', () => {
    const i = view.synced.findIndex((s) => s.camera === camera);
    if (i < 0) return;
    view.synced[i].player.close();
    view.synced.splice(i, 1);
    cell.remove();
    $('#pb-stage').classList.toggle('grid', view.synced.length > 0);
  });
  caption.appendChild(remove);
  cell.append(video, caption);
  $('#pb-stage').appendChild(cell);
  $('#pb-stage').classList.add('grid');
  const player = new RecordingPlayer(video, false);
  view.synced.push({ camera, player, cell });
  const at = view.player.position();
  if (at) player.open(camera, at, speedOf());
}

function fmt(ms, seconds = true) {
  return new Date(ms).toLocaleTimeString(language() === 'zh' ? 'zh-CN' : 'en-GB',
                                         seconds ? {} : { hour: '2-digit', minute: '2-digit' });
}

// The timeline bar: the day (or the zoomed span) with recorded ranges, gaps, alerts, marks and the playhead.
function draw() {
  const canvas = $('#pb-timeline');
  const w = canvas.width = canvas.clientWidth, h = canvas.height = canvas.clientHeight;
  const g = canvas.getContext('2d');
  const x = (ms) => ((ms - view.from) / (view.to - view.from)) * w;
  g.fillStyle = '#eee';
  g.fillRect(0, 0, w, h);
  const d = view.data;
  if (d) {
    g.fillStyle = '#34c759';  // recorded here
    for (const r of d.ranges) g.fillRect(x(r.from_ms), 8, Math.max(1, x(r.to_ms) - x(r.from_ms)), h - 26);
    g.fillStyle = '#007aff';  // kept on the camera's own device (GB/T 28181), under it
    for (const r of d.device_records || []) {
      if (r.from_ms < 0) continue;
      const to = r.to_ms >= r.from_ms ? r.to_ms : r.from_ms;
      g.fillRect(x(r.from_ms), h - 16, Math.max(1, x(to) - x(r.from_ms)), 6);
    }
    g.fillStyle = '#ff9500';
    for (const a of d.alerts) g.fillRect(x(a.start_ms) - 1, 0, 2, 8);
  }
  if (view.mark[0] && view.mark[1]) {
    g.fillStyle = 'rgba(0, 122, 255, 0.25)';
    g.fillRect(x(view.mark[0]), 0, x(view.mark[1]) - x(view.mark[0]), h);
  }
  g.fillStyle = '#333';
  g.font = '10px sans-serif';
  const step = [5 * 60000, 15 * 60000, HOUR, 3 * HOUR].find((s) => (view.to - view.from) / s <= 12) || 3 * HOUR;
  for (let t0 = Math.ceil(view.from / step) * step; t0 < view.to; t0 += step) {
    g.fillRect(x(t0), h - 6, 1, 6);
    g.fillText(fmt(t0, false), x(t0) + 2, h - 8);
  }
  const at = view.player ? view.player.position() : 0;
  if (at >= view.from && at <= view.to) {
    g.fillStyle = '#ff3b30';
    g.fillRect(x(at) - 1, 0, 2, h);
  }
}

function onPosition(ms) {
  if (!ms) return;
  $('#pb-time').textContent = new Date(ms).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en-GB');
  $('#pb-time').dataset.ms = String(Math.round(ms));
  draw();
}

async function loadTimeline() {
  const camera = $('#pb-camera').value;
  if (!camera) return;
  const r = await api('GET', `/api/desk/recordings/${encodeURIComponent(camera)}?from=${Math.round(view.from)}&to=${Math.round(view.to)}`);
  view.data = r.status === 200 ? r.data : null;
  const gaps = view.data ? view.data.gaps.filter((g) => g.reason !== 'not recorded') : [];
  $('#pb-gaps').innerHTML = '';
  for (const g of gaps) {
    const li = document.createElement('li');
    li.textContent = `${fmt(g.from_ms)}–${fmt(g.to_ms)} ${g.reason}`;
    $('#pb-gaps').appendChild(li);
  }
  if (r.status !== 200) $('#pb-note').textContent = (r.data && r.data.error) || String(r.status);
  const device = view.data ? view.data.device_records || [] : [];
  $('#pb-legend').hidden = device.length === 0;
  $('#pb-legend').textContent = `${t('pb_legend_device')}: ${device.length}` +
    (view.data && view.data.device_notes.length ? ` (${view.data.device_notes.map((n) => n.note).join('; ')})` : '');
  draw();
}

// The span the bar shows: the whole day, or `span` ms around `center`.
function showSpan(center, span) {
  view.from = Math.max(view.day, center - span / 2);
  view.to = Math.min(view.day + 24 * HOUR, view.from + span);
  view.from = view.to - span;
  loadTimeline();
}

// Plays `camera` from wall-clock `at` (the playback tab opens at it).
export function playRecording(camera, at) {
  document.querySelector('[data-tab="playback"]').click();
  fillCameras();
  $('#pb-camera').value = camera;
  const day = new Date(at);
  day.setHours(0, 0, 0, 0);
  view.day = day.getTime();
  $('#pb-day').value = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
  showSpan(at, HOUR);
  playAll(at);
}

function speedOf() { return Number(document.querySelector('[data-speed].active')?.dataset.speed || 1); }

function fillCameras() {
  for (const select of [$('#pb-camera'), $('#pb-add-camera')]) {
    const chosen = select.value;
    select.innerHTML = '';
    for (const cam of [...desk.cameras.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      if (cam.site) continue;  // recordings of cameras below are played at their site
      const o = document.createElement('option');
      o.value = cam.id;
      o.textContent = `${cam.name} (${cam.id})`;
      select.appendChild(o);
    }
    if (chosen) select.value = chosen;
  }
}

export function openPlayback() {
  if (!view.player) {
    view.player = new RecordingPlayer($('#pb-video'), true);
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    view.day = today.getTime();
    $('#pb-day').valueAsNumber = today.getTime() - today.getTimezoneOffset() * 60000;
    view.to = Date.now();  // the last hour first: what just happened
    view.from = view.to - HOUR;
  }
  fillCameras();
  loadTimeline();
}

$('#pb-camera').addEventListener('change', () => {
  view.player.close();
  for (const s of view.synced) s.player.close();
  loadTimeline();
});
$('#pb-add').addEventListener('click', () => addSynced($('#pb-add-camera').value));
$('#pb-day').addEventListener('change', () => {
  const [y, m, d] = $('#pb-day').value.split('-').map(Number);
  view.day = new Date(y, m - 1, d).getTime();
  view.from = view.day;
  view.to = view.day + 24 * HOUR;
  loadTimeline();
});
$('#pb-timeline').addEventListener('click', (e) => {
  const rect = e.target.getBoundingClientRect();
  const at = view.from + ((e.clientX - rect.left) / rect.width) * (view.to - view.from);
  playAll(at);
});
document.querySelectorAll('[data-zoom]').forEach((b) => b.addEventListener('click', () => {
  const span = Number(b.dataset.zoom) * 60000;
  const center = view.player.position() || (view.from + view.to) / 2;
  showSpan(center, span);
}));
document.querySelectorAll('[data-speed]').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('[data-speed]').forEach((x) => x.classList.toggle('active', x === b));
  const at = view.player.position();
  if (at) playAll(at);  // keyframes only from 8× on: the stream changes
}));
$('#pb-pause').addEventListener('click', () => {
  const pause = !$('#pb-video').paused;
  for (const p of [view.player, ...view.synced.map((s) => s.player)]) {
    p.pausedByUser = pause;
    if (pause) p.video.pause(); else p.video.play().catch(() => {});
  }
});
$('#pb-step').addEventListener('click', () => {  // one frame on (at the camera's rate, 10 fps or more)
  for (const p of [view.player, ...view.synced.map((s) => s.player)]) p.pausedByUser = true;
  for (const v of allVideos()) {
    v.pause();
    v.currentTime += 0.1;
  }
});
$('#pb-mark-start').addEventListener('click', () => { view.mark[0] = view.player.position(); draw(); });
$('#pb-mark-end').addEventListener('click', () => { view.mark[1] = view.player.position(); draw(); });
$('#pb-export').addEventListener('click', async () => {
  const [from, to] = view.mark;
  if (!from || !to || to <= from) { $('#pb-note').textContent = t('pb_mark_first'); return; }
  $('#pb-note').textContent = t('pb_exporting');
  const r = await api('POST', '/api/desk/exports', { camera: $('#pb-camera').value, from_ms: Math.round(from), to_ms: Math.round(to) });
  if (r.status !== 201) { $('#pb-note').textContent = (r.data && r.data.error) || String(r.status); return; }
  $('#pb-note').textContent = `${t('pb_exported')} ${r.data.export} · SHA-256 ${r.data.sha256}`;
  const a = document.createElement('a');
  a.href = `/api/desk/exports/${encodeURIComponent(r.data.export)}.mp4`;
  a.download = `${r.data.export}.mp4`;
  a.id = 'pb-download';
  document.body.appendChild(a);
  a.click();
  a.remove();
});
// The marked range copied from the camera's device into our recordings; the timeline shows it
// once it is here.
$('#pb-copy').addEventListener('click', async () => {
  const [from, to] = view.mark;
  const camera = $('#pb-camera').value;
  if (!from || !to || to <= from || to - from > 6 * HOUR) { $('#pb-note').textContent = t('pb_copy_mark'); return; }
  const r = await api('POST', `/api/desk/recordings/${encodeURIComponent(camera)}/download`,
    { from_ms: Math.round(from), to_ms: Math.round(to), speed: 4 });
  if (r.status !== 202) { $('#pb-note').textContent = (r.data && r.data.error) || String(r.status); return; }
  $('#pb-note').textContent = t('pb_copying');
  const id = r.data.id;
  const poll = setInterval(async () => {
    const l = await api('GET', `/api/desk/recordings/${encodeURIComponent(camera)}/downloads`);
    const d = l.status === 200 ? l.data.downloads.find((x) => x.id === id) : null;
    if (!d || d.state === 'running' || d.state === 'waiting') return;
    clearInterval(poll);
    $('#pb-note').textContent = d.state === 'done' ? t('pb_copied') : `${d.state}: ${d.detail}`;
    loadTimeline();
  }, 1000);
});
window.addEventListener('resize', draw);
