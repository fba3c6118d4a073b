// The router's REST API, with the session cookie; a 401 brings the login back.
'use strict';

import { showLogin } from './login.js';

export async function api(method, path, body) {
  const r = await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {},
                                body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' });
  const type = r.headers.get('Content-Type') || '';
  const data = type.includes('json') && r.status !== 204 ? await r.json() : null;
  if (r.status === 401 && path !== '/api/login') showLogin();
  return { status: r.status, data, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

