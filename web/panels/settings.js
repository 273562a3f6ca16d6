// Settings: pools (and groups), fans, target temperature, frequency and core voltage within the
// board-config's limits, log level. Reading needs nothing; saving needs the password (set in the config
// as a scrypt hash), a session and the CSRF token. The agent checks every change with the config file's
// own schema and answers per field; a saved change is written to the config file (comments kept) and
// applied at once where the agent can (pools, fans, temperatures, log level).
import { getJson, postJson, setCsrf } from '../api.js';
import { el, fill } from '../format.js';

function field(label, input, key, hint) {
  return el(
    'div',
    { class: 'field' },
    el('label', { for: input.id, text: label }),
    input,
    hint ? el('div', { class: 'muted', text: hint }) : null,
    el('div', { class: 'field-error', dataset: { for: key } }),
  );
}

export const settingsPanel = {
  id: 'settings',
  view: 'settings',
  title: 'Settings',
  wide: true,
  mount(body) {
    this.body = body;
    this.access = el('div', { id: 'access' });
    this.form = el('form', { id: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() });
    this.result = el('div', { class: 'result', id: 'settings-result', role: 'status' });
    body.append(this.access, this.form, this.result);
    this.load();
  },
  async load() {
    const [session, settings] = await Promise.all([getJson('/api/session'), getJson('/api/settings')]);
    this.session = session;
    if (session.csrf) setCsrf(session.csrf);
    this.settings = settings;
    this.poolsDirty = false;
    this.renderAccess();
    this.renderForm();
  },
  canWrite() {
    return this.session?.loggedIn && this.settings?.writable;
  },
  renderAccess() {
    const s = this.session;
    const parts = [];
    if (!this.settings.writable) parts.push(el('div', { class: 'alarm', text: `Settings cannot be saved: ${this.settings.why}` }));
    if (!s.passwordSet) {
      parts.push(
        el('div', {
          class: 'alarm',
          id: 'no-password',
          text: 'Read-only: no settings password is set. On the miner run `asic-agent password --config FILE`, then reload the agent.',
        }),
      );
    } else if (!s.loggedIn) {
      const pw = el('input', { type: 'password', id: 'login-password', autocomplete: 'current-password', placeholder: 'settings password' });
      const msg = el('div', { class: 'field-error', id: 'login-error' });
      const submit = el('button', { class: 'primary', id: 'login-submit', type: 'submit', text: 'Log in' });
      const form = el(
        'form',
        {
          class: 'controls',
          id: 'login-form',
          onsubmit: async (e) => {
            e.preventDefault();
            submit.disabled = true;
            const r = await postJson('/api/login', { password: pw.value });
            submit.disabled = false;
            if (r.status === 200) {
              setCsrf(r.body.csrf);
              await this.load();
            } else msg.textContent = r.body.error ?? `HTTP ${r.status}`;
          },
        },
        pw,
        submit,
      );
      parts.push(form, msg);
    } else {
      parts.push(
        el(
          'div',
          { class: 'controls' },
          el('span', { class: 'pill on', id: 'logged-in', text: 'logged in' }),
          el('button', {
            type: 'button',
            id: 'logout',
            text: 'Log out',
            onclick: async () => {
              await postJson('/api/logout');
              setCsrf(null);
              await this.load();
            },
          }),
        ),
      );
    }
    parts.push(el('div', { class: 'muted', text: `Saved to ${this.settings.file}` }));
    fill(this.access, parts);
  },
  poolRow(p, key, list, i, rerender) {
    const input = (name, attrs = {}) =>
      el('input', { name: `${key}.${name}`, id: `${key}.${name}`, disabled: !this.canWrite(), oninput: () => (this.poolsDirty = true), ...attrs });
    const url = input('url', { value: p.url, class: 'url-input', spellcheck: false });
    const check = el('div', { class: 'muted', dataset: { check: key } });
    let timer;
    url.addEventListener('input', () => {
      p.url = url.value.trim();
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const r = await getJson(`/api/check-pool-url?url=${encodeURIComponent(p.url)}`);
        check.textContent = r.message;
        check.className = r.ok ? 'field-ok' : 'field-error';
      }, 300);
    });
    const name = input('name', { value: p.name ?? '', placeholder: 'name (optional)', oninput: () => ((p.name = name.value), (this.poolsDirty = true)) });
    const user = input('user', { value: p.user, oninput: () => ((p.user = user.value), (this.poolsDirty = true)) });
    const password = input('password', {
      type: 'password',
      autocomplete: 'new-password',
      placeholder: p.hasPassword ? 'unchanged' : 'x',
      oninput: () => ((p.password = password.value), (this.poolsDirty = true)),
    });
    const enabled = el('input', {
      type: 'checkbox',
      name: `${key}.enabled`,
      checked: p.enabled,
      disabled: !this.canWrite(),
      onchange: () => ((p.enabled = enabled.checked), (this.poolsDirty = true)),
    });
    const move = (d) => () => {
      const j = i + d;
      if (j < 0 || j >= list.length) return;
      [list[i], list[j]] = [list[j], list[i]];
      this.poolsDirty = true;
      rerender();
    };
    const w = !this.canWrite();
    return el(
      'div',
      { class: 'pool-row', dataset: { pool: String(i) } },
      el('div', { class: 'url' }, field('URL', url, `${key}.url`), check),
      field('name', name, `${key}.name`),
      field('user (worker)', user, `${key}.user`),
      field('password', password, `${key}.password`),
      el(
        'div',
        { class: 'row-actions' },
        el('label', {}, enabled, ' enabled'),
        el('button', { type: 'button', text: '↑', title: 'earlier (higher priority)', disabled: w, onclick: move(-1) }),
        el('button', { type: 'button', text: '↓', title: 'later', disabled: w, onclick: move(1) }),
        el('button', {
          type: 'button',
          class: 'pool-remove',
          text: 'remove',
          disabled: w,
          onclick: () => {
            list.splice(i, 1);
            this.poolsDirty = true;
            rerender();
          },
        }),
      ),
      el('div', { class: 'field-error', dataset: { for: key } }),
    );
  },
  renderPools(host) {
    const v = this.settings.values.pools;
    const render = () => {
      const blocks = v.groups.map((g, gi) => {
        const prefix = v.form === 'group' ? `group[${gi}]` : '';
        const rows = g.pools.map((p, i) => this.poolRow(p, prefix ? `${prefix}.pool[${i}]` : `pool[${i}]`, g.pools, i, render));
        const add = el('button', {
          type: 'button',
          id: gi === 0 ? 'pool-add' : undefined,
          text: 'Add a pool',
          disabled: !this.canWrite(),
          onclick: () => {
            g.pools.push({ url: '', user: '', enabled: true });
            this.poolsDirty = true;
            render();
          },
        });
        const head =
          v.form === 'group'
            ? el('div', { class: 'controls' }, el('strong', { text: `group ${g.name}` }), el('span', { class: 'muted', text: `quota ${g.quota}` }))
            : null;
        return el('div', { class: 'group' }, head, rows, add);
      });
      fill(
        host,
        el('div', { class: 'muted', text: 'Tried in this order; the next one takes over when a pool fails.' }),
        blocks,
        el('div', { class: 'field-error', dataset: { for: v.form } }),
      );
    };
    render();
  },
  renderForm() {
    const v = this.settings.values;
    const L = this.settings.limits;
    const dis = !this.canWrite();
    const num = (key, value, attrs) => el('input', { type: 'number', name: key, id: key, value: String(value), disabled: dis, ...attrs });
    const sel = (key, options, value) =>
      el(
        'select',
        { name: key, id: key, disabled: dis },
        options.map((o) => el('option', { value: o, text: o, selected: o === value })),
      );
    this.inputs = {
      'fans.mode': sel('fans.mode', L.fanModes, v.fans.mode),
      'fans.duty': num('fans.duty', v.fans.duty, { min: 0, max: 100, step: 1 }),
      'temperature.target': num('temperature.target', v.temperature.target, { min: 0, max: L.temperature.hot, step: 0.5 }),
      'board.frequency_mhz': num('board.frequency_mhz', v.board.frequency_mhz, { min: L.frequency_mhz.min, max: L.frequency_mhz.max, step: 1 }),
      'board.voltage': num('board.voltage', v.board.voltage, { min: L.voltage.min, max: L.voltage.max, step: 0.005 }),
      'log.level': sel('log.level', L.logLevels, v.log.level),
    };
    const pools = el('div', { id: 'pools-editor' });
    this.renderPools(pools);
    const i = this.inputs;
    const check = el('button', { type: 'button', id: 'settings-check', text: 'Check', disabled: dis, onclick: () => this.submit(true) });
    const save = el('button', { type: 'button', class: 'primary', id: 'settings-save', text: 'Save', disabled: dis, onclick: () => this.submit(false) });
    fill(
      this.form,
      el('h3', { text: 'Pools' }),
      pools,
      el('h3', { text: 'Cooling' }),
      field('fan mode', i['fans.mode'], 'fans.mode'),
      field('fan duty in manual mode, %', i['fans.duty'], 'fans.duty'),
      field(
        'target temperature, °C',
        i['temperature.target'],
        'temperature.target',
        `below hot (${L.temperature.hot} °C); dangerous is ${L.temperature.dangerous} °C`,
      ),
      el('h3', { text: 'Chips' }),
      field(
        'frequency, MHz',
        i['board.frequency_mhz'],
        'board.frequency_mhz',
        `${L.frequency_mhz.min}–${L.frequency_mhz.max} MHz (board default ${L.frequency_mhz.board}); takes effect at the next start`,
      ),
      field(
        'core voltage, V',
        i['board.voltage'],
        'board.voltage',
        `${L.voltage.min}–${L.voltage.max} V (board default ${L.voltage.board}); takes effect at the next start`,
      ),
      el('h3', { text: 'Log' }),
      field('log level', i['log.level'], 'log.level'),
      el('div', { class: 'controls' }, check, save),
    );
  },
  collect() {
    const n = (k) => (this.inputs[k].value === '' ? undefined : Number(this.inputs[k].value));
    const body = {
      fans: { mode: this.inputs['fans.mode'].value, duty: n('fans.duty') },
      temperature: { target: n('temperature.target') },
      board: { frequency_mhz: n('board.frequency_mhz'), voltage: n('board.voltage') },
      log: { level: this.inputs['log.level'].value },
    };
    if (this.poolsDirty) {
      const p = this.settings.values.pools;
      body.pools = {
        groups: p.groups.map((g) => ({ from: g.from, name: g.name, quota: g.quota, pools: g.pools.map(({ id: _id, hasPassword: _h, ...rest }) => rest) })),
      };
    }
    return body;
  },
  showErrors(errors) {
    for (const e of this.form.querySelectorAll('.field-error')) e.textContent = '';
    for (const e of this.form.querySelectorAll('.invalid')) e.classList.remove('invalid');
    for (const [key, msg] of Object.entries(errors ?? {})) {
      let target = this.form.querySelector(`.field-error[data-for="${CSS.escape(key)}"]`);
      // An error on a key the form has no field for goes to its nearest parent (pool[1].plain → pool[1]).
      for (let k = key; !target && k.includes('.'); ) {
        k = k.slice(0, k.lastIndexOf('.'));
        target = this.form.querySelector(`.field-error[data-for="${CSS.escape(k)}"]`);
      }
      (target ?? this.result).textContent = `${target ? '' : `${key}: `}${msg}`;
      this.form.querySelector(`[name="${CSS.escape(key)}"]`)?.classList.add('invalid');
    }
  },
  async submit(dryRun) {
    this.result.textContent = dryRun ? 'checking…' : 'saving…';
    this.result.className = 'result';
    const r = await postJson(dryRun ? '/api/settings/check' : '/api/settings/save', this.collect());
    this.showErrors(r.body.errors);
    const ok = r.status === 200 && r.body.ok;
    this.result.className = `result ${ok ? 'ok' : 'bad'}`;
    this.result.textContent = ok ? r.body.message : (r.body.message ?? r.body.error ?? `HTTP ${r.status}`);
    if (r.status === 401) await this.load();
    if (ok && !dryRun) {
      const msg = r.body.message;
      await this.load();
      this.result.className = 'result ok';
      this.result.textContent = msg;
    }
  },
};
