// Active alarms with their time and reason (thermal, fans, power, pools, censorship).
import { clock, el, fill } from '../format.js';

export function alarmsPanel(view) {
  return {
    id: `alarms-${view}`,
    view,
    title: 'Alarms',
    mount(body) {
      this.list = el('div', { class: 'alarms', id: `alarms-${view}-list` });
      body.append(this.list);
    },
    update(_b, s) {
      if (s.alarms.length === 0) return fill(this.list, el('div', { class: 'muted', text: 'no active alarm' }));
      fill(
        this.list,
        s.alarms.map((a) =>
          el(
            'div',
            { class: `alarm ${a.severity}`, dataset: { kind: a.kind } },
            el('strong', { text: `${a.severity} · ${a.kind}` }),
            ' ',
            el('span', { class: 'muted', text: clock(a.at) }),
            el('div', { text: a.message }),
          ),
        ),
      );
    },
  };
}
