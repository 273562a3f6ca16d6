// The dashboard: one page, plain ES modules, no build step. Panels register in panels/index.js; each one
// gets a card in its view, is mounted once, and receives every state the agent pushes (Server-Sent
// Events, src/dashboard/event-stream.ts). Adding a panel (the power-target controls, say) is one file
// and one line in panels/index.js.
import { connect } from './api.js';
import { duration, el } from './format.js';
import { PANELS, VIEWS } from './panels/index.js';

const ctx = {
  state: null,
  /** Handlers for log records (the log panel). */
  logListeners: [],
  /** Panels can ask for each other: ctx.panel('heatmap'). */
  panels: new Map(),
  panel(id) {
    return this.panels.get(id);
  },
};
window.asicAgent = ctx;

function buildViews() {
  const tabs = document.getElementById('tabs');
  const views = document.getElementById('views');
  for (const v of VIEWS) {
    tabs.append(el('a', { href: `#${v.id}`, id: `tab-${v.id}`, text: v.title }));
    views.append(el('section', { class: 'view', id: `view-${v.id}`, hidden: true }));
  }
  for (const p of PANELS) {
    const body = el('div', { class: 'panel-body' });
    const card = el('article', { class: `card${p.wide ? ' wide' : ''}`, id: `panel-${p.id}` }, el('h2', { text: p.title }), body);
    document.getElementById(`view-${p.view}`).append(card);
    const inst = { ...p, card, body };
    ctx.panels.set(p.id, inst);
    try {
      inst.mount?.(body, ctx);
    } catch (err) {
      console.error(`panel ${p.id}: mount failed`, err);
    }
  }
}

function showView() {
  const id = (location.hash || '#overview').slice(1);
  const known = VIEWS.some((v) => v.id === id) ? id : 'overview';
  for (const v of VIEWS) {
    document.getElementById(`view-${v.id}`).hidden = v.id !== known;
    document.getElementById(`tab-${v.id}`).classList.toggle('active', v.id === known);
  }
  for (const p of ctx.panels.values()) if (p.view === known) p.shown?.(p.body, ctx);
}

function header(s) {
  document.getElementById('model').textContent = s.board.model;
  const st = document.getElementById('board-state');
  st.textContent = s.board.state;
  st.className = `pill ${s.board.state}`;
  document.getElementById('uptime').textContent = `up ${duration(s.uptimeSeconds)}`;
  document.getElementById('version').textContent = `${s.firmware.name} ${s.firmware.version}`;
  const banner = document.getElementById('safe-banner');
  banner.hidden = !s.safeState;
  banner.textContent = s.safeState ? `SAFE STATE — hashing stopped: ${s.safeState}` : '';
  document.title = `${s.board.state === 'safe-state' ? '⚠ ' : ''}asic-agent · ${s.board.model}`;
}

function onState(s) {
  ctx.state = s;
  header(s);
  for (const p of ctx.panels.values()) {
    try {
      p.update?.(p.body, s, ctx);
    } catch (err) {
      console.error(`panel ${p.id}: update failed`, err);
    }
  }
}

function onLink(up) {
  const l = document.getElementById('live');
  l.textContent = up ? 'live' : 'reconnecting…';
  l.className = `pill ${up ? 'on' : 'off'}`;
}

function start() {
  buildViews();
  window.addEventListener('hashchange', showView);
  showView();
  connect({ onState, onLog: (recs) => ctx.logListeners.forEach((f) => f(recs)), onLink });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
