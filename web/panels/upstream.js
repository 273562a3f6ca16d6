// Upstream: each pool's protocol, encryption, authority key, channel, difficulty and state; Job
// Declaration's mode, template provider, last declared template and censorship alarms.
import { clock, compact, el, fill } from '../format.js';

export const upstreamPanel = {
  id: 'upstream',
  view: 'upstream',
  title: 'Pools and work',
  wide: true,
  update(body, s) {
    const pools = s.upstream.pools.map((p) =>
      el(
        'tr',
        { dataset: { pool: p.id } },
        el(
          'td',
          {},
          el('strong', { text: p.id }),
          p.active ? el('span', { class: 'pill on', text: ' mining ' }) : null,
          el('div', { class: 'mono muted', text: p.url }),
        ),
        el('td', { text: p.protocol }),
        el('td', { text: p.encryption }),
        el('td', { class: 'mono', text: p.authorityKey ?? (p.protocol === 'sv2' ? 'none: not authenticated' : '—') }),
        el('td', { text: p.channel ?? '—' }),
        el('td', { text: compact(p.difficulty) }),
        el('td', { text: p.status }),
      ),
    );
    const head = ['pool', 'protocol', 'encryption', 'authority key', 'channel', 'difficulty', 'status'];
    const parts = [
      el(
        'div',
        { class: 'scroll' },
        el(
          'table',
          { id: 'upstream-pools' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              head.map((h) => el('th', { text: h })),
            ),
          ),
          el('tbody', {}, pools),
        ),
      ),
    ];
    const jd = s.upstream.jd;
    parts.push(el('h3', { text: 'Job Declaration' }));
    if (!jd) parts.push(el('div', { class: 'muted', text: 'off: the pools choose the work ([job_declaration] in the config turns it on)' }));
    else {
      parts.push(
        el(
          'div',
          { class: 'figures', id: 'jd' },
          [
            ['mode', jd.mode],
            ['mining for', jd.mining],
            ['template provider', `${jd.templateProvider.state} · ${jd.templateProvider.templates} templates`],
            ['declared', `${jd.declared} (${jd.declareRefused} refused)`],
            ['last template', jd.lastTemplate ? `${jd.lastTemplate.id} → ${jd.lastTemplate.pool ?? 'solo'} at ${clock(jd.lastTemplate.at)}` : '—'],
            ['censorship alarms', String(jd.censorshipAlarms)],
          ].map(([l, v]) => el('div', { class: 'figure' }, el('div', { class: 'label', text: l }), el('div', { class: 'value', text: v }))),
        ),
      );
      const alarms = s.alarms.filter((a) => a.kind === 'censorship');
      for (const a of alarms)
        parts.push(
          el(
            'div',
            { class: 'alarm critical' },
            el('strong', { text: `censorship · ${a.pool ?? ''}` }),
            el('div', { text: `${a.message}${a.templateId ? ` (template ${a.templateId}, ${a.error ?? ''})` : ''}` }),
          ),
        );
    }
    fill(body, parts);
  },
};
