// The dashboard's HTTP side over real TCP, mounted in the real HTTP API server, with a real config file
// behind the settings: access rules (no password → read-only; login rate limit; cookie + CSRF; origin;
// JSON only), saving (atomic, comments kept, backup, hand edits never overwritten, per-field errors),
// the page's files (CSP, gzip, ETag, size budget) and the live event stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { HttpApiServer } from '../../src/api/http-server.js';
import { ConfigFile } from '../../src/config/config-file.js';
import { loadRunConfig, type RunConfig } from '../../src/config/run-config.js';
import { checkPoolUrl } from '../../src/agent/dashboard-source.js';
import { saveSettings, settingsView, type SettingsTarget } from '../../src/agent/settings.js';
import { Dashboard, type DashboardSource } from '../../src/dashboard/dashboard.js';
import { hashPassword } from '../../src/dashboard/password.js';
import { loadStaticFiles } from '../../src/dashboard/static-files.js';
import { LogTail } from '../../src/log-tail.js';
import { sampleSnapshot } from '../helpers/api-snapshot.js';

const PASSWORD = 'a long enough password';
let HASH: string;

const CONFIG = (hash?: string): string =>
  [
    '# hand-written, with comments',
    'version = 1',
    '[board]',
    'config = "sim-bm1370"   # sim',
    '[fans]',
    'mode = "auto"           # auto | manual',
    '[[pool]]',
    'name = "main"',
    'url = "stratum+tcp://pool.example:3333"',
    'user = "w"',
    ...(hash ? ['[dashboard]', `hashed_password = "${hash}"`] : []),
    '',
  ].join('\n');

interface Rig {
  base: string;
  file: string;
  clock: ManualClock;
  applied: RunConfig[];
  logs: LogTail;
  source: DashboardSource & { hash: string | undefined };
  close(): Promise<void>;
}

async function rig(withPassword: boolean): Promise<Rig> {
  HASH ??= await hashPassword(PASSWORD);
  const dir = mkdtempSync(join(tmpdir(), 'asic-dash-http-'));
  const file = join(dir, 'agent.toml');
  writeFileSync(file, CONFIG(withPassword ? HASH : undefined));
  const target: SettingsTarget & { applied: RunConfig[] } = {
    config: loadRunConfig(file),
    configFile: undefined,
    applied: [],
    apply: (next) => {
      target.config = next;
      target.applied.push(next);
    },
  };
  target.configFile = ConfigFile.of(target.config);
  const clock = new ManualClock();
  const logs = new LogTail(50);
  const source: DashboardSource & { hash: string | undefined } = {
    hash: withPassword ? HASH : undefined,
    snapshot: sampleSnapshot,
    upstream: () => ({ pools: [], jd: null }),
    settings: () => settingsView(target.config, target.configFile),
    saveSettings: (body, dryRun) => saveSettings(target, body, { dryRun }),
    checkPoolUrl,
    access: () => ({ hashedPassword: source.hash, sessionIdleMinutes: 60 }),
    logs,
  };
  const dash = new Dashboard(source, { clock, tickMs: 1000 });
  dash.start();
  const server = new HttpApiServer(resolveApiOptions({ http: { port: 0 } }).http, { snapshot: sampleSnapshot, routes: (q, r, p) => dash.handle(q, r, p) });
  const { port } = await server.listen();
  return {
    base: `http://127.0.0.1:${port}`,
    file,
    clock,
    applied: target.applied,
    logs,
    source,
    async close() {
      dash.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const headers: Record<string, string> = {
      ...(data !== undefined && opts.raw === undefined ? { 'Content-Type': 'application/json' } : {}),
      ...opts.headers,
    };
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function login(r: Rig): Promise<{ cookie: string; csrf: string }> {
  const res = await call(r.base, 'POST', '/api/login', { body: { password: PASSWORD } });
  assert.equal(res.status, 200, res.body.toString());
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0] as string, csrf: String(res.json().csrf) };
}

test('without a password every write is refused and the file is untouched', async () => {
  const r = await rig(false);
  try {
    const s = await call(r.base, 'GET', '/api/session');
    assert.deepEqual(s.json(), { passwordSet: false, loggedIn: false });
    assert.equal((await call(r.base, 'POST', '/api/login', { body: { password: PASSWORD } })).status, 403);
    const w = await call(r.base, 'POST', '/api/settings/save', { body: { log: { level: 'debug' } } });
    assert.equal(w.status, 403);
    assert.match(String(w.json().error), /no password is set/);
    assert.equal(readFileSync(r.file, 'utf8'), CONFIG());
    // Reading needs nothing.
    const settings = (await call(r.base, 'GET', '/api/settings')).json() as { values: { fans: { mode: string } }; writable: boolean };
    assert.equal(settings.values.fans.mode, 'auto');
    assert.equal(settings.writable, true);
  } finally {
    await r.close();
  }
});

test('login: wrong password 401, rate-limited per client (429 with Retry-After), attempts come back with time', async () => {
  const r = await rig(true);
  try {
    for (let i = 0; i < 5; i++) assert.equal((await call(r.base, 'POST', '/api/login', { body: { password: `wrong-${i}-password` } })).status, 401);
    const limited = await call(r.base, 'POST', '/api/login', { body: { password: PASSWORD } });
    assert.equal(limited.status, 429, 'even the right password waits once the attempts are used up');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    r.clock.advance(60_000);
    const ok = await call(r.base, 'POST', '/api/login', { body: { password: PASSWORD } });
    assert.equal(ok.status, 200);
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, /^asic_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const s = (await call(r.base, 'GET', '/api/session', { headers: { Cookie: cookie.split(';')[0] as string } })).json();
    assert.equal(s.loggedIn, true);
    assert.equal(s.csrf, ok.json().csrf);
  } finally {
    await r.close();
  }
});

test('a write needs the session cookie, the CSRF token, JSON, and this origin', async () => {
  const r = await rig(true);
  try {
    const { cookie, csrf } = await login(r);
    const body = { log: { level: 'debug' } };
    assert.equal((await call(r.base, 'POST', '/api/settings/save', { body, headers: { 'X-CSRF-Token': csrf } })).status, 401, 'no cookie');
    assert.equal((await call(r.base, 'POST', '/api/settings/save', { body, headers: { Cookie: cookie } })).status, 403, 'no token');
    assert.equal(
      (await call(r.base, 'POST', '/api/settings/save', { body, headers: { Cookie: cookie, 'X-CSRF-Token': `${csrf}x` } })).status,
      403,
      'wrong token',
    );
    assert.equal(
      (await call(r.base, 'POST', '/api/settings/save', { body, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' } })).status,
      403,
      'another origin',
    );
    assert.equal(
      (
        await call(r.base, 'POST', '/api/settings/save', {
          raw: 'log.level=debug',
          headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      ).status,
      415,
      'a form post',
    );
    assert.equal(readFileSync(r.file, 'utf8'), CONFIG(HASH));
    const ok = await call(r.base, 'POST', '/api/settings/save', { body, headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(r.applied.length, 1);
    assert.equal(r.applied[0]?.logLevel, 'debug');
    // A new password logs everybody out.
    r.source.hash = await hashPassword('another long password');
    assert.equal((await call(r.base, 'POST', '/api/settings/save', { body, headers: { Cookie: cookie, 'X-CSRF-Token': csrf } })).status, 401);
  } finally {
    await r.close();
  }
});

test('saving: only the changed lines move, comments stay, the old file is the backup; errors come back per field; hand edits are never overwritten', async () => {
  const r = await rig(true);
  try {
    const { cookie, csrf } = await login(r);
    const h = { Cookie: cookie, 'X-CSRF-Token': csrf };
    const before = readFileSync(r.file, 'utf8');
    const bad = await call(r.base, 'POST', '/api/settings/save', { body: { board: { voltage: 1.5, frequency_mhz: 700 } }, headers: h });
    assert.equal(bad.status, 400);
    const errors = bad.json().errors as Record<string, string>;
    assert.match(errors['board.voltage'] ?? '', /1\.5 V/);
    assert.match(errors['board.frequency_mhz'] ?? '', /700 MHz/);
    assert.equal(readFileSync(r.file, 'utf8'), before);
    const check = await call(r.base, 'POST', '/api/settings/check', { body: { fans: { mode: 'manual', duty: 80 } }, headers: h });
    assert.equal(check.status, 200);
    assert.equal(readFileSync(r.file, 'utf8'), before, 'a check writes nothing');
    const ok = await call(r.base, 'POST', '/api/settings/save', {
      body: {
        fans: { mode: 'manual', duty: 80 },
        board: { voltage: 1.2 },
        pools: {
          groups: [
            {
              from: 0,
              name: 'default',
              quota: 1,
              pools: [
                { from: { group: 0, index: 0 }, name: 'main', url: 'stratum+tcp://pool.example:3333', user: 'w', enabled: true },
                { url: 'stratum+tcp://backup.example:3333', user: 'w2', enabled: true, password: 'pw' },
              ],
            },
          ],
        },
      },
      headers: h,
    });
    assert.equal(ok.status, 200, ok.body.toString());
    assert.deepEqual((ok.json() as { restart: string[] }).restart, ['board.voltage']);
    const after = readFileSync(r.file, 'utf8');
    assert.ok(after.startsWith('# hand-written, with comments\n'));
    assert.ok(after.includes('mode = "manual"         # auto | manual\n'), after);
    assert.ok(after.includes('config = "sim-bm1370"   # sim\nvoltage = 1.2\n'), after);
    assert.ok(after.includes('[[pool]]\nurl = "stratum+tcp://backup.example:3333"\nuser = "w2"\npassword = "pw"\n'), after);
    assert.equal(readFileSync(`${r.file}.bak`, 'utf8'), before);
    // The page never sees a pool password.
    assert.ok(!(await call(r.base, 'GET', '/api/settings')).body.toString().includes('"pw"'));
    // Someone edits the file by hand: the next change is refused, the hand edit stays.
    const hand = `${after}# edited by hand\n`;
    writeFileSync(r.file, hand);
    const refused = await call(r.base, 'POST', '/api/settings/save', { body: { fans: { duty: 90 } }, headers: h });
    assert.equal(refused.status, 409);
    assert.match(String(refused.json().message), /edited by hand/);
    assert.equal(readFileSync(r.file, 'utf8'), hand);
    assert.ok(!existsSync(`${r.file}.tmp`));
  } finally {
    await r.close();
  }
});

test('the page: HTML with a strict CSP for browsers, JSON index for others, gzip and ETag, under 300 kB', async () => {
  const r = await rig(false);
  try {
    const page = await call(r.base, 'GET', '/', { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body.toString(), /\/ui\/app\.js/);
    const index = await call(r.base, 'GET', '/');
    assert.equal(index.json().name, 'asic-agent');
    const gz = await call(r.base, 'GET', '/ui/vendor/uPlot.iife.min.js', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    const again = await call(r.base, 'GET', '/ui/app.js', { headers: { 'If-None-Match': String((await call(r.base, 'GET', '/ui/app.js')).headers.etag) } });
    assert.equal(again.status, 304);
    assert.equal((await call(r.base, 'GET', '/ui/../package.json')).status, 404);
    let total = 0;
    for (const f of loadStaticFiles().values()) total += f.body.length;
    assert.ok(total < 300_000, `page files weigh ${total} bytes`);
  } finally {
    await r.close();
  }
});

test('live events: a state at once and every tick, log records as they come', async () => {
  const r = await rig(false);
  try {
    const events: string[] = [];
    let buf = '';
    let waiter: (() => void) | undefined;
    const req = request(`${r.base}/api/events`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (\w+)/m.exec(frame)?.[1];
          if (ev) events.push(`${ev}:${/^data: (.*)$/m.exec(frame)?.[1] ?? ''}`);
          waiter?.();
        }
      });
    });
    req.end();
    const until = (pred: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        waiter = () => pred() && resolve();
        waiter();
      });
    await until(() => events.length >= 1);
    assert.match(events[0] ?? '', /^state:.*"model"/);
    r.clock.advance(1000);
    await until(() => events.filter((e) => e.startsWith('state:')).length >= 2);
    r.logs.push(JSON.stringify({ level: 40, time: 1, module: 'agent', msg: 'something to see' }));
    r.clock.advance(300);
    await until(() => events.some((e) => e.startsWith('log:')));
    assert.match(events.find((e) => e.startsWith('log:')) ?? '', /something to see/);
    req.destroy();
  } finally {
    await r.close();
  }
});
