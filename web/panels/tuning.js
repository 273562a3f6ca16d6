// The autotuner (docs/tuning.md): its state, target and the power cap in force, the rail, what the
// clocks should give, the chips' progress, the saved profile; and, once logged in, the target, the mode
// and curtailment (pause/resume). Changes go through the settings API: saved to the config file
// ([tuning]) and applied at once.
import { getJson, postJson } from '../api.js';
import { clock, el, fill, fixed, hashrate } from '../format.js';

const STATE_TEXT = {
  off: 'off',
  waiting: 'waiting for the board and its chains',
  tuning: 'tuning',
  tuned: 'tuned',
  paused: 'paused (curtailed)',
};

export const tuningPanel = {
  id: 'tuning',
  view: 'overview',
  title: 'Autotuner',
  mount(body) {
    this.info = el('div', { id: 'tuning-info' });
    this.controls = el('div', { id: 'tuning-controls' });
    this.result = el('div', { class: 'result', id: 'tuning-result', role: 'status' });
    body.append(this.info, this.controls, this.result);
    this.loadAccess();
  },
  async loadAccess() {
    try {
      const [session, settings] = await Promise.all([getJson('/api/session'), getJson('/api/settings')]);
      this.session = session;
      this.settings = settings;
    } catch {
      this.settings = undefined;
    }
    this.renderControls();
  },
  canWrite() {
    return Boolean(this.session?.loggedIn && this.settings?.writable);
  },
  renderControls() {
    const v = this.settings?.values?.tuning;
    if (!v) return fill(this.controls);
    if (!v.enabled)
      return fill(this.controls, el('div', { class: 'muted', text: 'Off. Set [tuning] enabled = true (Settings, or the config file) and restart the agent.' }));
    const dis = !this.canWrite();
    const mode = el(
      'select',
      { id: 'tuning.mode', name: 'tuning.mode', disabled: dis },
      (this.settings.limits.tuningModes ?? ['power', 'hashrate', 'efficiency']).map((m) => el('option', { value: m, text: m, selected: m === v.mode })),
    );
    const watts = el('input', {
      type: 'number',
      id: 'tuning.power_target_w',
      name: 'tuning.power_target_w',
      value: v.power_target_w ?? '',
      min: 1,
      step: 1,
      disabled: dis,
    });
    const ths = el('input', {
      type: 'number',
      id: 'tuning.hashrate_target_ths',
      name: 'tuning.hashrate_target_ths',
      value: v.hashrate_target_ths ?? '',
      min: 0,
      step: 'any',
      disabled: dis,
    });
    const send = async (change) => {
      const r = await postJson('/api/settings/save', { tuning: change });
      this.result.textContent = r.body.message ?? `HTTP ${r.status}`;
      this.result.className = r.status === 200 ? 'result field-ok' : 'result field-error';
      for (const [k, msg] of Object.entries(r.body.errors ?? {})) this.result.textContent += ` ${k}: ${msg}`;
      if (r.status === 200) await this.loadAccess();
    };
    const apply = el('button', {
      type: 'button',
      class: 'primary',
      id: 'tuning-apply',
      text: 'Apply',
      disabled: dis,
      onclick: () => {
        const change = { mode: mode.value };
        if (watts.value !== '') change.power_target_w = Number(watts.value);
        if (ths.value !== '') change.hashrate_target_ths = Number(ths.value);
        return send(change);
      },
    });
    const pause = el('button', {
      type: 'button',
      id: 'tuning-pause',
      text: v.paused ? 'Resume' : 'Pause',
      disabled: dis,
      onclick: () => send({ paused: !v.paused }),
    });
    fill(
      this.controls,
      el(
        'div',
        { class: 'controls' },
        el('label', { for: 'tuning.mode', text: 'mode' }),
        mode,
        el('label', { for: 'tuning.power_target_w', text: 'power, W' }),
        watts,
        el('label', { for: 'tuning.hashrate_target_ths', text: 'hashrate, TH/s' }),
        ths,
        apply,
        pause,
      ),
      dis
        ? el('div', { class: 'muted', text: this.settings.writable ? 'Log in (Settings) to change the target or pause.' : `Read-only: ${this.settings.why}` })
        : null,
    );
  },
  update(_b, s) {
    const t = s.tuningDetail;
    if (!t) return fill(this.info, el('div', { class: 'muted', text: 'The autotuner is off.' }));
    const target = t.mode === 'power' ? fixed(t.target, 0, 'W') : t.mode === 'hashrate' ? `${fixed(t.target, 3)} TH/s` : 'lowest J/TH';
    const cap = t.scaling.active
      ? `${fixed(t.capWatts, 0, 'W')} (hot: ${t.scaling.steps} step${t.scaling.steps === 1 ? '' : 's'} down)`
      : t.capWatts != null
        ? fixed(t.capWatts, 0, 'W')
        : '—';
    const row = (k, v, key) => el('tr', { dataset: { key } }, el('th', { text: k }), el('td', { text: v }));
    const c = t.chips;
    fill(
      this.info,
      el(
        'div',
        { class: 'controls' },
        el('span', { class: `pill ${t.state === 'tuned' ? 'on' : ''}`, id: 'tuning-state', text: STATE_TEXT[t.state] ?? t.state }),
        el('span', { class: 'muted', text: t.step }),
      ),
      el(
        'table',
        {},
        el(
          'tbody',
          {},
          row('mode, target', `${t.mode}, ${target}`, 'target'),
          row('power cap in force', cap, 'cap'),
          row('power', `${fixed(t.watts, 1, 'W')} (${t.powerSource})`, 'watts'),
          row('core voltage', fixed(t.coreVolts, 3, 'V'), 'volts'),
          row('the clocks should give', hashrate(t.expectedHashrate), 'expected'),
          row('chips', `${c.set} set, ${c.searching} searching, ${c.failed} failed, ${c.drifted} stepped down`, 'chips'),
          row('tuned at', t.convergedAt ? clock(t.convergedAt) : '—', 'converged'),
          row(
            'profile',
            t.profile.error ? `error: ${t.profile.error}` : t.profile.source ? `${t.profile.source} ${clock(t.profile.savedAt)}` : 'none yet',
            'profile',
          ),
        ),
      ),
    );
  },
};
