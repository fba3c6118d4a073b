// The video wall: 1, 4, 9 or 16 tiles, each a camera's live video over MSE from the router's
// fMP4-over-WebSocket, kept per user in the browser.
'use strict';

import { api } from './api.js';
import { applyLanguage } from './desk.js';
import { t } from './i18n.js';
import { $, desk } from './state.js';

// One tile: a camera's live video through MSE; "no signal" whenever nothing arrives.
export class Tile {
  constructor(index) {
    this.index = index;
    this.el = document.createElement('div');
    this.el.className = 'tile';
    this.el.dataset.index = index;
    this.el.innerHTML = '<video muted autoplay playsinline></video><span class="label"></span>' +
                        '<div class="nosignal"></div>';
    this.video = this.el.querySelector('video');
    this.el.addEventListener('dragover', (e) => { e.preventDefault(); this.el.classList.add('drop'); });
    this.el.addEventListener('dragleave', () => this.el.classList.remove('drop'));
    this.el.addEventListener('drop', (e) => {
      e.preventDefault();
      this.el.classList.remove('drop');
      const ids = e.dataTransfer.getData('text/plain').split(',').filter(Boolean);
      ids.forEach((id, k) => { const tile = desk.tiles[this.index + k]; if (tile) tile.show(id); });
      saveWall();
    });
    this.el.addEventListener('dblclick', () => (document.fullscreenElement ? document.exitFullscreen()
                                                                           : this.el.requestFullscreen()));
    this.camera = null;
    this.lastData = 0;
    this.refresh();
  }
  show(cameraId) {
    this.stop();
    this.camera = cameraId;
    this.connect();
    this.refresh();
  }
  connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live/${this.camera}`);
    ws.binaryType = 'arraybuffer';
    const queue = [];
    let source = null, buffer = null;
    const pump = () => {
      if (!buffer || buffer.updating || !queue.length) return;
      try { buffer.appendBuffer(queue.shift()); } catch (err) { ws.close(); }
    };
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        if (m.data.startsWith('{')) {
          // {"error": ...}: no signal, retried below; {"refused": true}: no room on a link to the
          // camera ("link to 东街镇 full: 3 streams, 6 Mbit/s"), said on the tile, retried later.
          let said = {};
          try { said = JSON.parse(m.data); } catch (err) { /* no signal */ }
          if (said.refused) { this.refused = String(said.error || ''); this.refresh(); }
          return;
        }
        if (!MediaSource.isTypeSupported(m.data)) {
          // Said plainly on the tile (typically H.265 where the browser has no HEVC decoder),
          // and asked again only when the tile is refilled.
          this.unsupported = m.data;
          this.ws = null;
          ws.close();
          this.refresh();
          return;
        }
        source = new MediaSource();
        this.video.src = URL.createObjectURL(source);
        source.addEventListener('sourceopen', () => {
          buffer = source.addSourceBuffer(m.data);
          buffer.addEventListener('updateend', () => {
            // Stay live: never lag more than a moment behind what has arrived.
            const b = this.video.buffered;
            if (b.length && b.end(b.length - 1) - this.video.currentTime > 1.5) this.video.currentTime = b.end(b.length - 1) - 0.2;
            if (this.video.paused) this.video.play().catch(() => {});
            pump();
          });
          pump();
        });
        return;
      }
      const wasLive = Date.now() - this.lastData < 3000;
      this.lastData = Date.now();
      this.refused = '';
      if (!wasLive) this.refresh();
      desk.bytes += m.data.byteLength;
      queue.push(m.data);
      if (queue.length > 100) queue.splice(0, queue.length - 100);
      pump();
    };
    ws.onclose = () => {
      if (this.ws === ws) this.retry = setTimeout(() => this.ws === ws && this.connect(), this.refused ? 10000 : 2000);
    };
    this.ws = ws;
  }
  stop() {
    clearTimeout(this.retry);
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(); }
    this.video.removeAttribute('src');
    this.video.load();
    this.camera = null;
    this.lastData = 0;
    this.unsupported = '';
    this.refused = '';
  }
  // Name, state and "no signal": nothing for 3 s, or the camera is not online.
  refresh() {
    const cam = this.camera ? desk.cameras.get(this.camera) : null;
    // Name and state ("· fault: blur" while a video fault is open).
    const faults = cam && cam.state === 'online' ? (cam.faults || []).filter((f) => f !== 'signal_loss') : [];
    const state = !cam ? '' : faults.length ? `${t('fault')}: ${faults.map(t).join(', ')}` : t(`st_${cam.state}`);
    this.el.querySelector('.label').textContent = this.camera ? `${cam ? cam.name : this.camera}${state ? ' · ' + state : ''}` : t('empty');
    this.el.dataset.camera = this.camera || '';
    const live = this.camera && !this.unsupported && Date.now() - this.lastData < 3000 && (!cam || cam.state === 'online');
    const message = this.el.querySelector('.nosignal');
    message.hidden = !this.camera || live;
    message.textContent = this.unsupported ? t('unsupported_codec') + ` (${this.unsupported.replace(/^video\/mp4; /, '')})`
                        : this.refused ? `${t('live_refused')}: ${this.refused}`
                        : t('no_signal');
    this.el.classList.toggle('live', !!live);
    const wantPtz = !!(cam && cam.ptz);
    let ptz = this.el.querySelector('.ptz');
    if (wantPtz && !ptz) {
      ptz = document.createElement('div');
      ptz.className = 'ptz';
      for (const [label, action] of [['', ''], ['▲', 'up'], ['', ''], ['◀', 'left'], ['■', 'stop'], ['▶', 'right'],
                                     ['+', 'zoom_in'], ['▼', 'down'], ['−', 'zoom_out']]) {
        const b = document.createElement('button');
        b.textContent = label;
        if (!action) b.style.visibility = 'hidden';
        b.dataset.action = action;
        b.addEventListener('click', () => api('POST', '/api/desk/ptz', { camera: this.camera, action, speed: 128 }));
        ptz.appendChild(b);
      }
      this.el.appendChild(ptz);
    } else if (!wantPtz && ptz) {
      ptz.remove();
    }
  }
}

// The wall (layout and cameras) is kept per user in the browser, so a reload brings it back.
function wallKey() { return `wall:${desk.me ? desk.me.user : ''}`; }
export function saveWall() {
  if (desk.me) localStorage.setItem(wallKey(), JSON.stringify({ layout: desk.layout, cameras: desk.tiles.map((x) => x.camera) }));
}
export function restoreWall() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(wallKey()) || 'null'); } catch (err) { saved = null; }
  const layout = saved && [1, 4, 9, 16].includes(saved.layout) ? saved.layout : 4;
  setLayout(layout, saved && Array.isArray(saved.cameras) ? saved.cameras : []);
}

// `cameras`: what the tiles show (default: what they show now).
export function setLayout(n, cameras) {
  const keep = cameras || desk.tiles.map((tile) => tile.camera);
  desk.tiles.forEach((tile) => tile.stop());
  desk.layout = n;
  const wall = $('#wall');
  wall.innerHTML = '';
  const side = Math.sqrt(n);
  wall.style.gridTemplateColumns = `repeat(${side}, minmax(0, 1fr))`;
  wall.style.gridTemplateRows = `repeat(${side}, minmax(0, 1fr))`;
  desk.tiles = [];
  for (let i = 0; i < n; i++) {
    const tile = new Tile(i);
    desk.tiles.push(tile);
    wall.appendChild(tile.el);
    if (typeof keep[i] === 'string' && keep[i]) tile.show(keep[i]);
  }
  document.querySelectorAll('[data-layout]').forEach((b) => b.classList.toggle('active', +b.dataset.layout === n));
  applyLanguage();
  saveWall();
}
document.querySelectorAll('[data-layout]').forEach((b) => b.addEventListener('click', () => setLayout(+b.dataset.layout)));

// Puts cameras on the wall from the first free tile on (clicking in the tree).
export function addToWall(ids) {
  for (const id of ids) {
    if (desk.tiles.some((tile) => tile.camera === id)) continue;
    const free = desk.tiles.find((tile) => !tile.camera);
    if (!free) break;
    free.show(id);
  }
  saveWall();
}

