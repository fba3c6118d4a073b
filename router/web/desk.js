// The monitoring-room desk: login, region tree, video wall (MSE from the router's
// fMP4-over-WebSocket), alert feed and the handling loop, camera health. Plain browser
// JavaScript, no build step; every piece of data comes from the REST API and /desk/feed.
'use strict';

const TEXT = {
  zh: { title: '雪亮 · 监控室', user: '用户名', password: '密码', login: '登录', logout: '退出', wall: '视频墙',
        alerts: '告警', health: '设备健康', layout: '布局', all_kinds: '全部类型', all_states: '全部状态',
        unit: '处置单位', note: '备注', ack: '确认', dispatch: '派警', handle: '处置完毕', close: '结案',
        camera: '摄像机', state: '状态', problem: '问题', since: '持续', no_signal: '无信号', wrong: '用户名或密码错误',
        new: '待确认', acknowledged: '已确认', dispatched: '已派警', handled: '已处置', closed: '已结案',
        motion: '移动侦测', face: '人脸', signal_loss: '信号丢失', frozen: '画面冻结', covered: '遮挡', blur: '模糊',
        brightness: '亮度异常', scene_change: '场景变更', other_lang: 'English', empty: '拖入摄像机', everything: '全部', all_regions: '全部区域', unsupported_codec: '此浏览器无法解码该视频',
        st_online: '在线', st_offline: '离线', st_connecting: '连接中', st_reconnecting: '重连中', st_disabled: '已停用',
        st_removed: '已删除', st_unknown: '未知', fault: '故障',
        clip_pending: '录像在事件结束后生成（含前后各 5 秒），稍后自动重试', clip_unavailable: '暂时无法获取录像，稍后自动重试' },
  en: { title: 'Xueliang · Monitoring room', user: 'User', password: 'Password', login: 'Log in', logout: 'Log out',
        wall: 'Video wall', alerts: 'Alerts', health: 'Camera health', layout: 'Layout', all_kinds: 'All kinds',
        all_states: 'All states', unit: 'Unit', note: 'Note', ack: 'Acknowledge', dispatch: 'Dispatch',
        handle: 'Handled', close: 'Close', camera: 'Camera', state: 'State', problem: 'Problem', since: 'For',
        no_signal: 'No signal', wrong: 'Wrong user or password', new: 'New', acknowledged: 'Acknowledged',
        dispatched: 'Dispatched', handled: 'Handled', closed: 'Closed', motion: 'Motion', face: 'Face',
        signal_loss: 'Signal loss', frozen: 'Frozen', covered: 'Covered', blur: 'Blur', brightness: 'Brightness',
        scene_change: 'Scene change', other_lang: '中文', empty: 'Drop a camera here', everything: 'All', all_regions: 'All regions', unsupported_codec: 'This browser cannot decode this video',
        st_online: 'online', st_offline: 'offline', st_connecting: 'connecting', st_reconnecting: 'reconnecting',
        st_disabled: 'disabled', st_removed: 'removed', st_unknown: 'unknown', fault: 'fault',
        clip_pending: 'The clip is written once the event is over (with 5 s before and after); trying again shortly',
        clip_unavailable: 'The clip cannot be fetched now; trying again shortly' },
};
const KINDS = ['motion', 'face', 'signal_loss', 'frozen', 'covered', 'blur', 'brightness', 'scene_change'];
const STATES = ['new', 'acknowledged', 'dispatched', 'handled', 'closed'];
let lang = localStorage.getItem('lang') || 'zh';
const t = (key) => (TEXT[lang][key] || key);
const $ = (sel) => document.querySelector(sel);

function applyLanguage() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll('[data-tp]').forEach((el) => { el.placeholder = t(el.dataset.tp); });
  document.querySelectorAll('.lang-toggle').forEach((el) => { el.textContent = t('other_lang'); });
  desk.tiles.forEach((tile) => tile.refresh());
}

async function api(method, path, body) {
  const r = await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {},
                                body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' });
  const type = r.headers.get('Content-Type') || '';
  const data = type.includes('json') && r.status !== 204 ? await r.json() : null;
  if (r.status === 401 && path !== '/api/login') showLogin();
  return { status: r.status, data };
}

// ---- login ----
function showLogin() { $('#app').hidden = true; $('#login').hidden = false; }
$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await api('POST', '/api/login', { user: $('#login-user').value, password: $('#login-password').value });
  if (r.status !== 200) { $('#login-error').textContent = t('wrong'); return; }
  $('#login-error').textContent = '';
  start(r.data);
});
$('#logout').addEventListener('click', async () => { await api('POST', '/api/logout'); location.reload(); });
document.querySelectorAll('.lang-toggle').forEach((b) => b.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
  applyLanguage();
  renderFeed();
}));

// ---- state ----
// `bytes`: live video received by every tile together (window.desk, for benchmarks).
const desk = { me: null, cameras: new Map(), alerts: new Map(), selected: null, tiles: [], layout: 4, bytes: 0 };
window.desk = desk;

// ---- video wall ----
// One tile: a camera's live video through MSE; "no signal" whenever nothing arrives.
class Tile {
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
        if (m.data.startsWith('{')) return;  // {"error": ...}: no signal, retried below
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
      if (!wasLive) this.refresh();
      desk.bytes += m.data.byteLength;
      queue.push(m.data);
      if (queue.length > 100) queue.splice(0, queue.length - 100);
      pump();
    };
    ws.onclose = () => { if (this.ws === ws) this.retry = setTimeout(() => this.ws === ws && this.connect(), 2000); };
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
function saveWall() {
  if (desk.me) localStorage.setItem(wallKey(), JSON.stringify({ layout: desk.layout, cameras: desk.tiles.map((x) => x.camera) }));
}
function restoreWall() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(wallKey()) || 'null'); } catch (err) { saved = null; }
  const layout = saved && [1, 4, 9, 16].includes(saved.layout) ? saved.layout : 4;
  setLayout(layout, saved && Array.isArray(saved.cameras) ? saved.cameras : []);
}

// `cameras`: what the tiles show (default: what they show now).
function setLayout(n, cameras) {
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
function addToWall(ids) {
  for (const id of ids) {
    if (desk.tiles.some((tile) => tile.camera === id)) continue;
    const free = desk.tiles.find((tile) => !tile.camera);
    if (!free) break;
    free.show(id);
  }
  saveWall();
}

// ---- region tree ----
function camerasUnder(node) {
  return node.cameras.map((c) => c.id).concat(...node.children.map(camerasUnder));
}

function renderNode(node) {
  const el = document.createElement('div');
  el.className = 'node';
  el.dataset.code = node.code;
  const health = node.counts.offline ? 'offline' : node.counts.fault ? 'fault' : node.counts.online ? 'online' : 'disabled';
  const row = document.createElement('div');
  row.className = 'row';
  row.draggable = true;
  row.innerHTML = `<span class="dot health-${health}"></span><span class="name"></span>` +
                  `<span class="count">${node.counts.online}/${node.counts.total}</span>`;
  row.querySelector('.name').textContent = node.code ? node.name : t('everything');
  row.addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', camerasUnder(node).join(',')));
  row.addEventListener('click', () => addToWall(camerasUnder(node)));
  el.appendChild(row);
  const children = document.createElement('div');
  children.className = 'children';
  node.children.forEach((child) => children.appendChild(renderNode(child)));
  for (const c of node.cameras) {
    const cam = document.createElement('div');
    cam.className = 'cam';
    cam.dataset.id = c.id;
    cam.draggable = true;
    cam.innerHTML = `<span class="dot health-${c.health}"></span><span class="name"></span>`;
    cam.querySelector('.name').textContent = c.name;
    cam.title = c.reason || c.state;
    cam.addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', c.id));
    cam.addEventListener('click', () => addToWall([c.id]));
    children.appendChild(cam);
  }
  el.appendChild(children);
  return el;
}

async function loadTree() {
  const [tree, cams] = await Promise.all([api('GET', '/api/desk/tree'), api('GET', '/api/desk/cameras')]);
  if (tree.status !== 200 || cams.status !== 200) return;
  cams.data.forEach((c) => desk.cameras.set(c.id, c));
  const root = $('#tree');
  root.innerHTML = '';
  root.appendChild(renderNode(tree.data));
  const chosen = $('#filter-region').value;
  fillRegions(tree.data, 0);
  $('#filter-region').value = chosen;
  desk.tiles.forEach((tile) => tile.refresh());
}

// ---- alerts ----
function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  } catch (err) { /* no audio device */ }
}

function renderFeed() {
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
    li.querySelector('.kind').textContent = t(a.kind);
    li.querySelector('.state').textContent = t(a.state);
    li.querySelector('.camera').textContent = cam ? cam.name : a.camera;
    li.querySelector('.time').textContent = new Date(a.start_ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB');
    li.addEventListener('click', () => showDetail(a.id));
    feed.appendChild(li);
  }
}

async function loadAlerts() {
  const r = await api('GET', '/api/desk/alerts?limit=200');
  if (r.status !== 200) return;
  r.data.forEach((a) => desk.alerts.set(a.id, a));
  renderFeed();
}

async function showDetail(id) {
  desk.selected = id;
  const r = await api('GET', `/api/desk/alerts/${encodeURIComponent(id)}`);
  if (r.status !== 200) return;
  const d = r.data;
  $('#detail').hidden = false;
  $('#detail').dataset.id = id;
  $('#detail-title').textContent = `${t(d.kind)} · ${d.camera_name || d.camera}`;
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
    for (const [x, y, w, h] of (boxes ? boxes.boxes : [])) g.strokeRect(x * canvas.width, y * canvas.height, w * canvas.width, h * canvas.height);
  };
  img.src = `/api/desk/alerts/${encodeURIComponent(id)}/snapshot?${d.messages.length}`;
  showClip(id, d);
  const history = $('#history');
  history.innerHTML = '';
  for (const h of d.history) {
    const li = document.createElement('li');
    li.textContent = `${new Date(h.at_ms).toLocaleTimeString()} ${t({ ack: 'acknowledged', dispatch: 'dispatched',
      handle: 'handled', close: 'closed' }[h.step])} · ${h.user}${h.unit ? ' → ' + h.unit : ''}${h.note ? ' · ' + h.note : ''}`;
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

document.querySelectorAll('[data-step]').forEach((b) => b.addEventListener('click', async () => {
  const id = $('#detail').dataset.id;
  const step = b.dataset.step;
  const r = await api('POST', `/api/desk/alerts/${encodeURIComponent(id)}/${step}`,
                      step === 'dispatch' ? { unit: $('#step-unit').value, note: $('#step-note').value }
                                          : { note: $('#step-note').value });
  $('#step-error').textContent = r.status === 200 ? '' : (r.data && r.data.error) || r.status;
  if (r.status === 200) { $('#step-note').value = ''; showDetail(id); }
}));

// ---- health ----
async function loadHealth() {
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

// ---- live feed ----
function connectFeed() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/desk/feed`);
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'alert') {
      const known = desk.alerts.get(e.id);
      if (!known && e.phase === 'start') {
        desk.alerts.set(e.id, { id: e.id, camera: e.camera, region: e.region, kind: e.kind, start_ms: e.start_ms,
                                ended: false, state: 'new', overdue: false });
        beep();
      } else if (known && e.phase === 'end') {
        known.ended = true;
      }
      renderFeed();
    } else if (e.type === 'handling') {
      const a = desk.alerts.get(e.id);
      if (a) { a.state = e.state; a.overdue = false; }
      renderFeed();
      if (desk.selected === e.id) showDetail(e.id);
    } else if (e.type === 'camera') {
      const c = desk.cameras.get(e.id);
      if (c) { c.state = e.state; c.reason = e.reason; }
      loadTree();
    }
  };
  ws.onclose = () => setTimeout(connectFeed, 2000);
}

// ---- tabs, clock, start ----
document.querySelectorAll('[data-tab]').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('[data-tab]').forEach((x) => x.classList.toggle('active', x === b));
  document.querySelectorAll('.tab').forEach((s) => { s.hidden = s.id !== `tab-${b.dataset.tab}`; });
  if (b.dataset.tab === 'health') loadHealth();
}));
for (const k of KINDS) $('#filter-kind').insertAdjacentHTML('beforeend', `<option value="${k}" data-t="${k}"></option>`);
for (const s of STATES) $('#filter-state').insertAdjacentHTML('beforeend', `<option value="${s}" data-t="${s}"></option>`);
$('#filter-kind').addEventListener('change', renderFeed);
$('#filter-state').addEventListener('change', renderFeed);
$('#filter-region').addEventListener('change', renderFeed);

// The region filter offers every node of the tree below the user's own region.
function fillRegions(node, depth) {
  const select = $('#filter-region');
  if (depth === 0) select.querySelectorAll('option:not([data-t])').forEach((o) => o.remove());
  if (node.code && depth > 0) {
    const o = document.createElement('option');
    o.value = node.code;
    o.textContent = '\u00a0'.repeat(2 * (depth - 1)) + node.name;
    select.appendChild(o);
  }
  node.children.forEach((child) => fillRegions(child, depth + 1));
}

function start(me) {
  desk.me = me;
  desk.shownAt = performance.now();  // for benchmarks
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#me').textContent = `${me.user} (${me.role})`;
  restoreWall();
  loadTree();
  loadAlerts();
  connectFeed();
  setInterval(() => { desk.tiles.forEach((tile) => tile.refresh()); $('#clock').textContent = new Date().toLocaleString(); }, 1000);
  setInterval(loadTree, 5000);
  setInterval(loadAlerts, 30000);  // overdue marks
}

applyLanguage();
api('GET', '/api/me').then((r) => (r.status === 200 ? start(r.data) : showLogin()));
