// Live hashrate: 5 s, 1 min and 15 min windows measured from verified nonces, and the nominal rate of
// the chains at their clock. Opens with the last hour (/api/history) and appends every pushed state.
import { getJson } from '../api.js';
import { compact, el, figure, hashrate } from '../format.js';

const MAX_POINTS = 1800;

function makeChart(host, data) {
  const css = getComputedStyle(document.documentElement);
  const muted = css.getPropertyValue('--muted').trim() || '#888';
  const grid = css.getPropertyValue('--line').trim() || '#333';
  const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
  const opts = {
    width: Math.max(280, host.clientWidth),
    height: 220,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map((t) => hashrate(t)) }],
    legend: { live: false },
    series: [
      {},
      { label: '5 s', stroke: '#58a6ff', width: 1 },
      { label: '1 min', stroke: '#f7931a', width: 2 },
      { label: '15 min', stroke: '#3fb950', width: 2 },
      { label: 'nominal', stroke: '#8d9aa7', width: 1, dash: [6, 4] },
    ],
  };
  // eslint-disable-next-line no-undef
  return new uPlot(opts, data, host);
}

export const hashratePanel = {
  id: 'hashrate',
  view: 'overview',
  title: 'Hashrate',
  wide: true,
  mount(body, ctx) {
    this.f = {
      r5: figure('5 s', 'hr-5s'),
      r1: figure('1 min', 'hr-1m'),
      r15: figure('15 min', 'hr-15m'),
      nom: figure('nominal', 'hr-nominal'),
      eff: figure('efficiency', 'hr-eff'),
    };
    this.chartHost = el('div', { class: 'chart', id: 'hashrate-chart', dataset: { points: '0' } });
    body.append(
      el(
        'div',
        { class: 'figures' },
        Object.values(this.f).map((f) => f.node),
      ),
      this.chartHost,
    );
    this.data = [[], [], [], [], []];
    getJson('/api/history')
      .then((h) => {
        const have = new Set(this.data[0]);
        h.t.forEach((t, i) => {
          if (have.has(t)) return;
          this.data[0].push(t);
          this.data[1].push(h.rate5s[i]);
          this.data[2].push(h.rate1m[i]);
          this.data[3].push(h.rate15m[i]);
          this.data[4].push(h.nominal[i]);
        });
        const order = this.data[0].map((_, i) => i).sort((a, b) => this.data[0][a] - this.data[0][b]);
        this.data = this.data.map((col) => order.map((i) => col[i]));
        this.redraw();
      })
      .catch((err) => console.warn('history', err));
    new ResizeObserver(() => this.chart?.setSize({ width: Math.max(280, this.chartHost.clientWidth), height: 220 })).observe(this.chartHost);
    this.ctx = ctx;
  },
  redraw() {
    if (!this.chart) {
      if (typeof uPlot === 'undefined' || this.chartHost.clientWidth === 0) return;
      this.chart = makeChart(this.chartHost, this.data);
    } else this.chart.setData(this.data);
    this.chartHost.dataset.points = String(this.data[0].length);
  },
  shown() {
    this.redraw();
  },
  update(_body, s) {
    const h = s.hashrate;
    this.f.r5.set(hashrate(h.rate5s));
    this.f.r1.set(hashrate(h.rate1m));
    this.f.r15.set(hashrate(h.rate15m));
    this.f.nom.set(hashrate(h.nominal));
    this.f.eff.set(s.efficiencyJth != null ? `${compact(s.efficiencyJth)} J/TH` : '—');
    const t = s.now;
    const last = this.data[0][this.data[0].length - 1];
    if (last === undefined || t > last) {
      this.data[0].push(t);
      this.data[1].push(h.rate5s);
      this.data[2].push(h.rate1m);
      this.data[3].push(h.rate15m);
      this.data[4].push(h.nominal ?? null);
      if (this.data[0].length > MAX_POINTS) for (const c of this.data) c.shift();
    }
    this.redraw();
  },
};
