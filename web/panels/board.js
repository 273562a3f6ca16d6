// Board: temperatures, fans, core voltage and power.
import { el, fill, fixed } from '../format.js';

const table = (head, rows) =>
  el(
    'div',
    { class: 'scroll' },
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          head.map((h) => el('th', { text: h })),
        ),
      ),
      el('tbody', {}, rows),
    ),
  );

export const boardPanel = {
  id: 'board',
  view: 'board',
  title: 'Temperatures, fans, power',
  mount(body) {
    this.body = body;
  },
  update(body, s) {
    const none = (n) => [el('tr', {}, el('td', { colspan: n, class: 'muted', text: 'none' }))];
    fill(
      body,
      el('h3', { text: 'Temperatures' }),
      table(
        ['sensor', 'kind', '°C'],
        s.temperatures.length
          ? s.temperatures.map((t) =>
              el('tr', { dataset: { sensor: t.name } }, el('td', { text: t.name }), el('td', { text: t.kind ?? '' }), el('td', { text: fixed(t.celsius, 1) })),
            )
          : none(3),
      ),
      el('h3', { text: 'Fans' }),
      table(
        ['fan', 'duty', 'rpm'],
        s.fans.length
          ? s.fans.map((f) =>
              el(
                'tr',
                {},
                el('td', { text: f.name }),
                el('td', { text: fixed(f.dutyPercent, 0, '%') }),
                el('td', { text: f.rpm == null ? '—' : String(Math.round(f.rpm)) }),
              ),
            )
          : none(3),
      ),
      el('h3', { text: 'Power' }),
      table(
        ['rail', 'V', 'A', 'W', 'state'],
        s.power.length
          ? s.power.map((p) =>
              el(
                'tr',
                { dataset: { rail: p.name } },
                el('td', { text: p.name }),
                el('td', { text: fixed(p.volts, 3) }),
                el('td', { text: fixed(p.amps, 2) }),
                el('td', { text: fixed(p.watts, 1) }),
                el('td', { text: `${p.state ?? ''}${p.faults.length ? ` faults: ${p.faults.join(', ')}` : ''}` }),
              ),
            )
          : none(5),
      ),
    );
  },
};
