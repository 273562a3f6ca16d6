// Per-chain, per-chip heatmap: each chip's 1-minute hashrate as a share of its nominal rate, hardware
// errors outlined, silent chips (no nonce for many expected intervals) black. A chip opens its history.
import { getJson } from '../api.js';
import { clock, compact, el, fill, hashrate, shareColour } from '../format.js';

export const heatmapPanel = {
  id: 'heatmap',
  view: 'chains',
  title: 'Chips',
  wide: true,
  mount(body) {
    this.grid = el('div', { id: 'heatmap' });
    this.detail = el('div', { id: 'chip-detail', class: 'muted', text: 'Select a chip to see its history.' });
    body.append(
      el(
        'div',
        { class: 'legend' },
        el('span', { text: 'colour: 1 min hashrate ÷ nominal' }),
        el('span', { text: '■ black: silent' }),
        el('span', { text: 'amber outline: hardware errors' }),
      ),
      this.grid,
      this.detail,
    );
    this.selected = null;
  },
  update(_b, s) {
    const rows = s.chips.map((c) =>
      el(
        'div',
        { class: 'heat-chain' },
        el('span', { class: 'name', text: `chain ${c.chain}` }),
        el(
          'div',
          { class: 'chips' },
          c.chips.map((k) => {
            const b = el('button', {
              class: `chip${k.silent ? ' silent' : ''}${k.hwErrors > 0 ? ' hw' : ''}${this.selected && this.selected.chain === c.chain && this.selected.chip === k.chip ? ' selected' : ''}`,
              dataset: { chain: String(c.chain), chip: String(k.chip), share: k.share == null ? '' : k.share.toFixed(3) },
              title: `chain ${c.chain} chip ${k.chip}: ${hashrate(k.rate1m)}${k.share != null ? ` (${Math.round(k.share * 100)} % of nominal)` : ''}, ${k.hwErrors} hw errors${k.silent ? ', SILENT' : ''}`,
              text: k.silent ? '✕' : String(k.chip),
              onclick: () => this.select(c.chain, k.chip),
            });
            b.style.background = k.silent ? '' : shareColour(k.share);
            return b;
          }),
        ),
      ),
    );
    fill(this.grid, rows);
    if (this.selected) this.renderDetail(s);
  },
  select(chain, chip) {
    this.selected = { chain, chip };
    this.history = null;
    getJson(`/api/chip-history?chain=${chain}&chip=${chip}`)
      .then((h) => {
        this.history = h;
        this.renderDetail(window.asicAgent.state);
      })
      .catch(() => {
        this.history = { t: [] };
        this.renderDetail(window.asicAgent.state);
      });
    this.renderDetail(window.asicAgent.state);
  },
  renderDetail(s) {
    const sel = this.selected;
    const c = s?.chips.find((x) => x.chain === sel.chain);
    const k = c?.chips.find((x) => x.chip === sel.chip);
    if (!k) return fill(this.detail, el('span', { text: 'no such chip' }));
    this.detail.className = '';
    const h = this.history;
    let chart = el('div', { class: 'muted', text: h ? 'no history yet (a sample every 15 s)' : 'loading history…' });
    if (h && h.t.length > 1 && typeof uPlot !== 'undefined') {
      chart = el('div', { class: 'chart', id: 'chip-chart' });
      // eslint-disable-next-line no-undef
      queueMicrotask(
        () =>
          new uPlot(
            {
              width: Math.max(260, this.detail.clientWidth - 10),
              height: 160,
              scales: { x: { time: true } },
              legend: { live: false },
              series: [{}, { label: '1 min H/s', stroke: '#f7931a', width: 2 }, { label: 'hw errors', stroke: '#f85149', scale: 'n' }],
              axes: [{}, { values: (_u, t) => t.map(hashrate), size: 70 }, { scale: 'n', side: 1 }],
            },
            [h.t, h.rate1m, h.hwErrors],
            chart,
          ),
      );
    }
    fill(
      this.detail,
      el('h3', { text: `chain ${sel.chain} · chip ${sel.chip}` }),
      el(
        'div',
        { class: 'figures' },
        [
          ['1 min', hashrate(k.rate1m)],
          ['of nominal', k.share == null ? '—' : `${Math.round(k.share * 100)} %`],
          ['valid nonces', compact(k.validNonces)],
          ['hw errors', compact(k.hwErrors)],
          ['state', k.silent ? 'SILENT' : 'hashing'],
        ].map(([l, v]) =>
          el('div', { class: 'figure' }, el('div', { class: 'label', text: l }), el('div', { class: 'value', text: v, dataset: { field: l } })),
        ),
      ),
      chart,
      h && h.t.length > 0 ? el('div', { class: 'muted', text: `history since ${clock(h.t[0])}` }) : null,
    );
  },
};
