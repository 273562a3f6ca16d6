// Shares: accepted / rejected / stale / lost, the reasons pools gave, best share, blocks, hardware errors.
import { compact, el, figure, fill } from '../format.js';

export const sharesPanel = {
  id: 'shares',
  view: 'overview',
  title: 'Shares',
  mount(body) {
    this.f = {
      acc: figure('accepted', 'shares-accepted'),
      rej: figure('rejected', 'shares-rejected'),
      stale: figure('stale', 'shares-stale'),
      lost: figure('lost', 'shares-lost'),
      best: figure('best share', 'shares-best'),
      hw: figure('hardware errors', 'shares-hw'),
    };
    this.reasons = el('tbody');
    this.pool = el('div', { class: 'muted', id: 'active-pool' });
    body.append(
      el(
        'div',
        { class: 'figures' },
        Object.values(this.f).map((f) => f.node),
      ),
      this.pool,
      el(
        'div',
        { class: 'scroll' },
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, el('th', { text: 'not accepted' }), el('th', { text: 'reason' }), el('th', { text: 'count' }))),
          this.reasons,
        ),
      ),
    );
  },
  update(_b, s) {
    this.f.acc.set(compact(s.shares.accepted));
    this.f.rej.set(compact(s.shares.rejected));
    this.f.stale.set(compact(s.shares.stale));
    this.f.lost.set(compact(s.shares.lost));
    this.f.best.set(compact(s.shares.bestShare));
    this.f.hw.set(compact(s.hwErrors));
    this.pool.textContent = s.pool
      ? `mining on ${s.pool.id} (${s.pool.protocol}, difficulty ${compact(s.pool.difficulty)})${s.shares.blocksFound ? ` · blocks found: ${s.shares.blocksFound}` : ''}`
      : 'no active pool';
    const rows =
      s.shareReasons.length > 0
        ? s.shareReasons.map((r) => el('tr', {}, el('td', { text: r.result }), el('td', { text: r.reason }), el('td', { text: String(r.count) })))
        : [el('tr', {}, el('td', { colspan: 3, class: 'muted', text: 'none' }))];
    fill(this.reasons, rows);
  },
};
