// The log tail: the agent's own pino records (as journald gets them), filterable by level and module.
import { getJson } from '../api.js';
import { el } from '../format.js';

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const MAX = 1000;
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'module', 'msg']);

export const logsPanel = {
  id: 'logs',
  view: 'logs',
  title: 'Log',
  wide: true,
  mount(body, ctx) {
    this.level = el(
      'select',
      { id: 'log-level', onchange: () => this.render() },
      Object.entries(LEVELS).map(([v, n]) => el('option', { value: v, text: `${n} and above`, selected: v === '30' })),
    );
    this.module = el('input', { id: 'log-module', placeholder: 'module (agent, api, dashboard…)', oninput: () => this.render() });
    this.list = el('div', { class: 'log', id: 'log-list' });
    body.append(el('div', { class: 'controls' }, this.level, this.module), this.list);
    this.records = [];
    this.seen = -1;
    getJson('/api/logs?after=0')
      .then((r) => this.add(r.records))
      .catch(() => undefined);
    ctx.logListeners.push((recs) => this.add(recs));
  },
  add(recs) {
    const fresh = recs.filter((r) => r.seq > this.seen);
    if (fresh.length === 0) return;
    this.seen = fresh[fresh.length - 1].seq;
    this.records.push(...fresh);
    if (this.records.length > MAX) this.records.splice(0, this.records.length - MAX);
    this.render();
  },
  matches(r) {
    const m = this.module.value.trim();
    return r.level >= Number(this.level.value) && (!m || (r.module ?? '').startsWith(m));
  },
  line(r) {
    const extra = Object.entries(r.record)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const t = r.time ? new Date(r.time).toLocaleTimeString() : '';
    return el(
      'div',
      { class: `lv-${r.level}` },
      `${t} ${(LEVELS[r.level] ?? r.level).toUpperCase().padEnd(5)} [${r.module ?? ''}] ${r.msg ?? ''}${extra ? `  ${extra}` : ''}`,
    );
  },
  render() {
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 20;
    this.list.replaceChildren(
      ...this.records
        .filter((r) => this.matches(r))
        .slice(-400)
        .map((r) => this.line(r)),
    );
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  },
};
