// The region tree (county → town → village → cameras) with health colours and counts; a click
// or a drag puts cameras on the wall. It also fills the alert feed's region filter.
'use strict';

import { api } from './api.js';
import { t } from './i18n.js';
import { $, desk } from './state.js';
import { addToWall } from './wall.js';

function camerasUnder(node) {
  return node.cameras.map((c) => c.id).concat(...node.children.map(camerasUnder));
}

function renderNode(node) {
  const el = document.createElement('div');
  el.className = 'node';
  el.dataset.code = node.code;
  const health = node.counts.offline ? 'offline' : node.counts.link_down ? 'link_down' : node.counts.fault ? 'fault'
               : node.counts.online ? 'online' : 'disabled';
  const row = document.createElement('div');
  row.className = 'row';
  row.draggable = true;
  row.innerHTML = `<span class="dot health-${health}"></span><span class="name"></span>` +
                  `<span class="count">${node.counts.online}/${node.counts.total}</span>`;
  row.querySelector('.name').textContent = node.code ? node.name : t('everything');
  if (node.link) {  // the link to the router below that speaks for this region
    const link = document.createElement('span');
    link.className = `link link-${node.link.up ? 'up' : 'down'}`;
    link.textContent = node.link.up ? t('link_up') : t('link_down');
    link.title = `${node.link.site}: ${link.textContent} ${node.link.for_s} s`;
    row.insertBefore(link, row.querySelector('.count'));
  }
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

export async function loadTree() {
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

