// `[tuning]` (src/config/tuning-section.ts) and what `run` checks of it against the board-config.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { tunerSettingsOf } from '../../../src/tuning/tuner-config.js';

function load(lines: string[]): { ok: true; cfg: ReturnType<typeof loadRunConfig> } | { ok: false; message: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tuning-cfg-'));
  try {
    const file = join(dir, 'agent.toml');
    writeFileSync(file, ['version = 1', ...lines, ''].join('\n'));
    return { ok: true, cfg: loadRunConfig(file) };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, message: e.message };
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('off by default; a power target for power mode and a hashrate target for hashrate mode', () => {
  const off = load(['[board]', 'config = "sim-bm1366"']);
  assert.ok(off.ok && off.cfg.agent.tuning.enabled === false && off.cfg.agent.tuning.paused === false);
  const noTarget = load(['[board]', 'config = "sim-bm1366"', '[tuning]', 'enabled = true', 'mode = "power"']);
  assert.ok(!noTarget.ok && /tuning\.power_target_w.*required in power mode/.test(noTarget.message), noTarget.ok ? '' : noTarget.message);
  const hr = load(['[board]', 'config = "sim-bm1366"', '[tuning]', 'enabled = true', 'mode = "hashrate"']);
  assert.ok(!hr.ok && /hashrate_target_ths/.test(hr.message));
  const bad = load(['[board]', 'config = "sim-bm1366"', '[tuning]', 'enabled = true', 'power_target_w = -5']);
  assert.ok(!bad.ok && /tuning\.power_target_w/.test(bad.message));
  const ok = load(['[board]', 'config = "sim-bm1366"', '[tuning]', 'enabled = true', 'power_target_w = 50', 'paused = true']);
  assert.ok(ok.ok && ok.cfg.agent.tuning.power_target_w === 50 && ok.cfg.agent.tuning.paused);
});

test('a simulated board must have lottery chips to be tuned; the settings follow the board-config', () => {
  const flat = load(['[board]', 'config = "sim-bm1370"', '[tuning]', 'enabled = true', 'mode = "efficiency"']);
  assert.ok(!flat.ok && /\[sim\] lottery = true/.test(flat.message), flat.ok ? '' : flat.message);
  const r = load(['[board]', 'config = "sim-bm1366"', '[tuning]', 'enabled = true', 'power_target_w = 50']);
  assert.ok(r.ok);
  const s = tunerSettingsOf(r.cfg, { voltageControl: true });
  assert.deepEqual(s.limits, { minMhz: 50, maxMhz: 575, minVolts: 1.0, maxVolts: 1.3, defaultMhz: 485, defaultVolts: 1.2 });
  assert.deepEqual(s.target, { mode: 'power', watts: 50 });
  assert.equal(s.powerStepW, 2.5);
  assert.equal(s.coolStepS, 2 * r.cfg.limits.hotStepS);
  // Without a regulator or trim the rail cannot move: its limits collapse onto the configured voltage.
  const fixed = tunerSettingsOf(r.cfg, { voltageControl: false });
  assert.equal(fixed.limits.minVolts, 1.2);
  assert.equal(fixed.limits.maxVolts, 1.2);
});
