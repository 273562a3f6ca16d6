// Chains: state, chips alive, frequency, hashrate, errors, temperature.
import { el, fill, fixed, hashrate } from '../format.js';

export const chainsPanel = {
  id: 'chains',
  view: 'chains',
  title: 'Chains',
  wide: true,
  mount(body) {
    this.rows = el('tbody', { id: 'chains-rows' });
    const head = ['chain', 'family', 'state', 'chips', 'freq', '5 s', '1 min', 'nominal', 'hw', 'crc', 'temp'];
    body.append(
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
          this.rows,
        ),
      ),
    );
  },
  update(_b, s) {
    fill(
      this.rows,
      s.chains.map((c) =>
        el(
          'tr',
          {},
          [
            c.id,
            c.family,
            c.state,
            `${c.chipsAlive}/${c.chipsExpected}`,
            `${Math.round(c.frequencyMhz)} MHz`,
            hashrate(c.hashrate.rate5s),
            hashrate(c.hashrate.rate1m),
            hashrate(c.hashrate.nominal),
            c.hwErrors,
            c.crcErrors,
            fixed(c.temperature, 1, '°C'),
          ].map((v) => el('td', { text: String(v) })),
        ),
      ),
    );
  },
};
