// The web dashboard in a real browser (Debian's chromium through playwright-core) against the real agent
// process on a simulated board mining to the lab SV2 pool: live charts and counters, a dead chip in the
// heatmap, the safe-state banner after an overheat, a pool change saved from the form that survives a
// restart with the file's comments, and writes refused without login, with a wrong CSRF token, or above
// the board's voltage limit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { hashPassword } from '../../src/dashboard/password.js';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.js';
import { launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const PASSWORD = 'correct horse battery';
const difficulty = 2e5 / 2 ** 32;

function config(url: string, hash?: string): string {
  return [
    '# The miner in the basement. These comments must survive every save.',
    'version = 1',
    '',
    '[board]',
    'config = "sim-bm1370"        # the simulated board',
    '# voltage = 1.12             # core volts per domain',
    '',
    '[log]',
    'status_interval_s = 1',
    '',
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    '',
    '# Pools, tried in order.',
    '[[pool]]',
    'name = "pool-a"              # the first lab pool',
    `url = ${JSON.stringify(url)}`,
    'user = "e2e.worker"',
    '',
    ...(hash ? ['[dashboard]', `hashed_password = ${JSON.stringify(hash)}`, ''] : []),
  ].join('\n');
}

async function dashboardUrl(agent: AgentProcess): Promise<string> {
  const r = await agent.waitFor((x) => typeof x.msg === 'string' && x.msg.startsWith('dashboard at'), 'the dashboard address');
  return String(r.url);
}

interface Rig {
  dir: string;
  file: string;
  pools: Sv2Pool[];
  urls: string[];
  agent: AgentProcess;
  browser: Browser;
  done(): Promise<void>;
}

async function rig(opts: { pools?: number; faults?: string[]; password?: boolean } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-dash-'));
  const pools: Sv2Pool[] = [];
  const urls: string[] = [];
  for (let i = 0; i < (opts.pools ?? 1); i++) {
    const p = new Sv2Pool({ port: 0, difficulty, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
    pools.push(p);
    urls.push((await p.start()).url);
  }
  const file = join(dir, 'agent.toml');
  writeFileSync(file, config(urls[0] as string, opts.password === false ? undefined : await hashPassword(PASSWORD)));
  const agent = startAgentProcess(['run', '--config', file, ...(opts.faults ?? []).flatMap((f) => ['--sim-fault', f])]);
  const browser = await launchBrowser();
  const r: Rig = {
    dir,
    file,
    pools,
    urls,
    agent,
    browser,
    async done() {
      await browser.close().catch(() => undefined);
      await r.agent.stop('SIGKILL');
      for (const p of pools) await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}

/** What the page functions below touch (they run in the browser; the test's TypeScript has no DOM types). */
declare const document: {
  getElementById(id: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};
/** Accepted shares on the page, and the points drawn in the hashrate chart (runs in the page: self-contained). */
const progress = (): [number, number] => [
  Number(document.getElementById('shares-accepted')?.textContent),
  Number(document.getElementById('hashrate-chart')?.dataset.points),
];
/** The page is no wider than the window (runs in the page). */
const pageFits = (): boolean => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1;
/** True once both have grown past `since` (runs in the page). */
const grown = (since: readonly [number, number]): boolean =>
  Number(document.getElementById('shares-accepted')?.textContent) > since[0] && Number(document.getElementById('hashrate-chart')?.dataset.points) > since[1];

toolTest(
  'dashboard: loads without console errors, chart and counters follow the mining, a dead chip shows in the heatmap',
  [TOOLS.chromium],
  { timeout: 240_000 },
  async () => {
    const r = await rig({ faults: ['chip-dead:1@3'] });
    try {
      const url = await dashboardUrl(r.agent);
      const { page, errors } = await openPage(r.browser, url);
      // Counters and chart move as the board mines.
      await page.waitForFunction(grown, [0, 0] as const, { timeout: 120_000 });
      const before = await page.evaluate(progress);
      await page.waitForFunction(grown, before, { timeout: 120_000 });
      assert.ok((await page.locator('#hashrate-chart canvas').count()) > 0, 'uPlot drew a canvas');
      assert.match(String(await page.locator('#hr-1m').textContent()), /H\/s/);
      await screenshot(page, 'dashboard-overview');
      // The dead chip (chain 0, chip 1) goes silent in the heatmap; its detail says so.
      await page.click('#tab-chains');
      const dead = page.locator('.chip.silent[data-chain="0"][data-chip="1"]');
      await dead.waitFor({ timeout: 120_000 });
      assert.equal(await page.locator('.chip.silent').count(), 1, 'only the dead chip is silent');
      await dead.click();
      await page.locator('#chip-detail').getByText('SILENT').waitFor();
      await screenshot(page, 'dashboard-chains');
      await page.click('#tab-board');
      await page.locator('#view-board tr[data-rail="vcore"]').waitFor();
      await page.click('#tab-upstream');
      await page.locator('#upstream-pools').getByText('Noise NX (ChaCha20-Poly1305)').first().waitFor();
      await screenshot(page, 'dashboard-upstream');
      await page.click('#tab-logs');
      await page.locator('#log-list div').first().waitFor();
      // On a phone: every view fits the screen's width (no sideways scrolling of the page).
      await page.setViewportSize({ width: 390, height: 844 });
      for (const v of ['overview', 'chains', 'board', 'upstream', 'logs', 'settings']) {
        await page.click(`#tab-${v}`);
        assert.ok(await page.evaluate(pageFits), `the ${v} view fits a 390 px screen`);
      }
      await page.click('#tab-overview');
      await screenshot(page, 'dashboard-phone');
      assert.deepEqual(errors, []);
    } finally {
      await r.done();
    }
  },
);

toolTest('dashboard: an injected overheat shows the alarm and the safe-state banner', [TOOLS.chromium], { timeout: 240_000 }, async () => {
  const r = await rig({ faults: ['overheat@4'] });
  try {
    const url = await dashboardUrl(r.agent);
    const { page, errors } = await openPage(r.browser, url);
    const banner = page.locator('#safe-banner');
    await banner.waitFor({ state: 'visible', timeout: 180_000 });
    assert.match(String(await banner.textContent()), /SAFE STATE/);
    assert.equal(await page.locator('#board-state').textContent(), 'safe-state');
    const alarm = page.locator('#alarms-overview-list .alarm.critical');
    await alarm.first().waitFor();
    assert.match(String(await alarm.first().textContent()), /safe state/);
    await page.click('#tab-board');
    await screenshot(page, 'dashboard-safe-state');
    assert.deepEqual(errors, []);
  } finally {
    await r.done();
  }
});

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; cookie?: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ...(cookie ? { cookie } : {}) };
}

toolTest(
  'dashboard: a pool change made in the form persists across a restart and keeps the comments; writes without login, with a wrong CSRF token or above the voltage limit are refused',
  [TOOLS.chromium],
  { timeout: 300_000 },
  async () => {
    const r = await rig({ pools: 2 });
    try {
      const url = await dashboardUrl(r.agent);
      const original = readFileSync(r.file, 'utf8');
      // Refusals, straight over HTTP.
      const anon = await post(`${url}api/settings/save`, { log: { level: 'debug' } });
      assert.equal(anon.status, 401, JSON.stringify(anon.body));
      const login = await post(`${url}api/login`, { password: PASSWORD });
      assert.equal(login.status, 200);
      assert.ok(login.cookie);
      const wrongCsrf = await post(`${url}api/settings/save`, { log: { level: 'debug' } }, { Cookie: login.cookie as string, 'X-CSRF-Token': 'not-the-token' });
      assert.equal(wrongCsrf.status, 403);
      const tooHigh = await post(
        `${url}api/settings/save`,
        { board: { voltage: 1.5 } },
        { Cookie: login.cookie as string, 'X-CSRF-Token': String(login.body.csrf) },
      );
      assert.equal(tooHigh.status, 400);
      assert.match(String((tooHigh.body.errors as Record<string, string>)['board.voltage']), /1\.5 V/);
      assert.equal(readFileSync(r.file, 'utf8'), original, 'nothing was written by the refused requests');

      // The form, as a person would use it.
      const { page, errors } = await openPage(r.browser, `${url}#settings`);
      await page.fill('#login-password', PASSWORD);
      await page.click('#login-submit');
      await page.locator('#logged-in').waitFor();
      // Above the board's voltage limit: refused, with the error on the field.
      await page.fill('[name="board.voltage"]', '1.5');
      await page.click('#settings-save');
      await page
        .locator('.field-error[data-for="board.voltage"]')
        .getByText(/outside|out of range/)
        .waitFor();
      await page.fill('[name="board.voltage"]', '1.15');
      // Pool A becomes pool B: new name and URL; the key is checked as it is typed.
      await page.fill('[name="pool[0].name"]', 'pool-b');
      await page.fill('[name="pool[0].url"]', r.urls[1] as string);
      await page
        .locator('[data-check="pool[0]"]')
        .getByText(/valid authority key/)
        .waitFor();
      await screenshot(page, 'dashboard-settings');
      await page.click('#settings-save');
      await page
        .locator('#settings-result.ok')
        .getByText(/saved to/)
        .waitFor();
      const saved = readFileSync(r.file, 'utf8');
      assert.ok(saved.includes(`url = ${JSON.stringify(r.urls[1])}`), saved);
      assert.ok(!saved.includes(r.urls[0] as string), saved);
      for (const comment of [
        '# The miner in the basement. These comments must survive every save.',
        '# the simulated board',
        '# voltage = 1.12             # core volts per domain',
        '# Pools, tried in order.',
        '# the first lab pool',
      ])
        assert.ok(saved.includes(comment), `kept: ${comment}\n${saved}`);
      assert.equal(readFileSync(`${r.file}.bak`, 'utf8'), original, 'the previous file is kept as a backup');
      // Applied at once, without stopping the chains.
      await r.agent.waitFor((x) => x.msg === 'status' && x.pool === 'pool-b' && Number(x.accepted) > 0, 'shares on pool B');
      assert.ok(!r.agent.records.some((x) => x.msg === 'safe-state' && x.reason !== 'sigterm'));
      // The browser logs the refused save (HTTP 400) as a failed load; nothing else may appear.
      assert.deepEqual(
        errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e)),
        [],
      );
      // A restart runs with the saved settings.
      assert.equal((await r.agent.stop('SIGTERM')).code, 0);
      r.agent = startAgentProcess(['run', '--config', r.file]);
      const first = await r.agent.waitFor((x) => x.msg === 'status' && x.pool !== null, 'a pool after the restart');
      assert.equal(first.pool, 'pool-b');
      const before = (r.pools[1] as Sv2Pool).stats().accepted;
      await r.agent.waitFor((x) => x.msg === 'status' && Number(x.accepted) > 0, 'shares after the restart');
      assert.ok((r.pools[1] as Sv2Pool).stats().accepted > before);
    } finally {
      await r.done();
    }
  },
);
