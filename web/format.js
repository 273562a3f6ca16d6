// Number and time formats shared by the panels, and a tiny element builder (textContent only: nothing
// the agent reports, log lines included, is ever parsed as HTML).

const UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];

export function hashrate(hs) {
  if (hs == null || !Number.isFinite(hs)) return '—';
  let i = 0;
  let v = hs;
  while (Math.abs(v) >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${UNITS[i]}`;
}

export function compact(n) {
  if (n == null || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (Number.isInteger(n)) return String(n);
  return n.toPrecision(3);
}

export function fixed(n, digits = 1, unit = '') {
  if (n == null || !Number.isFinite(n)) return '—';
  return `${n.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function duration(s) {
  if (s == null || !Number.isFinite(s)) return '';
  s = Math.floor(s);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(s % 60).padStart(2, '0')}s`;
}

export function clock(unixS) {
  if (!unixS) return '';
  return new Date(unixS * 1000).toLocaleTimeString();
}

/** el('div', {class: 'x', dataset: {chip: 1}, onclick}, child, 'text', …) */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/** Replaces the children of `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c != null));
}

/** A label/value tile; returns {node, set(value)}. */
export function figure(label, id) {
  const value = el('div', { class: 'value', id });
  return { node: el('div', { class: 'figure' }, el('div', { class: 'label', text: label }), value), set: (v) => (value.textContent = v) };
}

/** Colour for a chip's share of nominal: red (0) → amber → green (≥ 0.95). */
export function shareColour(share) {
  if (share == null || !Number.isFinite(share)) return '#3a4450';
  const x = Math.max(0, Math.min(1, share / 0.95));
  const hue = Math.round(120 * x);
  return `hsl(${hue} 65% ${30 + 10 * x}%)`;
}
