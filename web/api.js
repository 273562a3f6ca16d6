// The agent's HTTP API as the page uses it: JSON reads, writes with the session's CSRF token, and the
// Server-Sent Events stream.

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

export async function getJson(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

/** POST JSON; resolves {status, body} whatever the status. */
export async function postJson(path, body) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin', cache: 'no-store' });
  let data = {};
  try {
    data = await r.json();
  } catch {
    data = { error: `HTTP ${r.status}` };
  }
  return { status: r.status, body: data };
}

/** Live updates: calls onState(state), onLog(records), onLink(up) as the stream delivers them. */
export function connect({ onState, onLog, onLink }) {
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => onLink(true));
  es.addEventListener('error', () => onLink(false));
  es.addEventListener('state', (e) => onState(JSON.parse(e.data)));
  es.addEventListener('log', (e) => onLog(JSON.parse(e.data)));
  return es;
}
