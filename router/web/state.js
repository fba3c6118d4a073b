// What the page knows: the user, cameras, alerts, the wall's tiles. Shared by every module.
'use strict';

export function $(sel) { return document.querySelector(sel); }

// A table row of text cells (text, never HTML: names come from devices and users).
export function tableRow(texts) {
  const tr = document.createElement('tr');
  for (const text of texts) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
  }
  return tr;
}

// `bytes`: live video received by every tile together (window.desk, for benchmarks).
export const desk = { me: null, cameras: new Map(), alerts: new Map(), selected: null, detailAsked: 0, tiles: [], layout: 4, bytes: 0 };
window.desk = desk;

