// What the page knows: the user, cameras, alerts, the wall's tiles. Shared by every module.
'use strict';

export function $(sel) { return document.querySelector(sel); }

// `bytes`: live video received by every tile together (window.desk, for benchmarks).
export const desk = { me: null, cameras: new Map(), alerts: new Map(), selected: null, tiles: [], layout: 4, bytes: 0 };
window.desk = desk;

