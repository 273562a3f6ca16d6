/**
 * A hand-made AgentSnapshot for the API tests: two BM1366 chains (one chip silent), two pools in one
 * group (one active), board sensors, a regulator, a censorship alarm and a config holding secrets the
 * API must never show. Also a recording AgentControl.
 */
import type { AgentControl, ControlResult, NewPool } from '../../src/api/agent-control.js';
import type { AgentSnapshot, ChainSnapshot, HashrateFigures } from '../../src/api/snapshot.js';

export const POOL_PASSWORD = 'hunter2-pool-password';
export const API_TOKEN = 'tok-0123456789abcdef';

function rate(h: number, nominal?: number): HashrateFigures {
  return { rate5s: h * 1.01, rate1m: h, rate5m: h * 0.99, rate15m: h * 0.98, average: h * 0.97, ...(nominal !== undefined ? { nominal } : {}) };
}

function chain(id: number, chips: number, silent: number[]): ChainSnapshot {
  const per = 500e9;
  return {
    id,
    family: 'BM1366',
    state: 'running',
    chipsExpected: chips,
    chipsAlive: chips - silent.length,
    crcErrors: 3 + id,
    frequencyMhz: 485,
    hashrate: rate(per * (chips - silent.length), per * chips),
    validNonces: 1000 * (chips - silent.length),
    hwErrors: 2,
    diff1Work: 256_000 * (chips - silent.length),
    lastNonceAt: 1_700_000_990,
    temperature: 61.5 + id,
    devicePath: `/dev/ttyS${id + 1}`,
    chips: Array.from({ length: chips }, (_, chip) => ({
      chip,
      hashrate: silent.includes(chip) ? rate(0) : rate(per, per),
      validNonces: silent.includes(chip) ? 0 : 1000,
      hwErrors: chip === 0 ? 2 : 0,
      silent: silent.includes(chip),
      ...(silent.includes(chip) ? {} : { lastNonceAt: 1_700_000_990 }),
    })),
  };
}

export function sampleSnapshot(): AgentSnapshot {
  return {
    firmware: { name: 'asic-agent', version: '0.1.0' },
    now: 1_700_001_000,
    uptimeSeconds: 3723,
    board: { model: 'sim-bm1366-2x4', state: 'running', since: 1_699_997_277 },
    hashrate: rate(3.5e12, 4e12),
    validNonces: 7000,
    hwErrors: 4,
    diff1Work: 1_792_000,
    workSent: 12345,
    lastJobAt: 1_700_000_980,
    chains: [chain(0, 4, []), chain(1, 4, [2])],
    shares: {
      accepted: 120,
      rejected: 3,
      stale: 2,
      lost: 1,
      acceptedDifficulty: 120 * 4096,
      rejectedDifficulty: 3 * 4096,
      staleDifficulty: 2 * 4096,
      reasons: [
        { result: 'rejected', reason: 'low difficulty', count: 2 },
        { result: 'rejected', reason: 'duplicate', count: 1 },
        { result: 'stale', reason: 'job not found', count: 2 },
        { result: 'lost', reason: 'lost-to-switch', count: 1 },
      ],
      lastShareAt: 1_700_000_995,
      lastShareDifficulty: 4096,
      bestShare: 1_234_567.8,
      blocksFound: 0,
    },
    pools: [
      {
        id: 'main',
        url: 'stratum2+tcp://pool.example:3336/9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh',
        user: 'bc1qminer.rig1',
        protocol: 'sv2',
        group: 'primary',
        priority: 0,
        quota: 1,
        status: 'alive',
        active: true,
        difficulty: 4096,
        versionRolling: true,
        jobs: 310,
        failures: 1,
        switchesTo: 2,
        switchesAway: { disconnected: 1 },
        censorshipAlarms: 1,
        shares: {
          accepted: 115,
          rejected: 3,
          stale: 2,
          lost: 0,
          acceptedDifficulty: 115 * 4096,
          rejectedDifficulty: 3 * 4096,
          staleDifficulty: 2 * 4096,
          reasons: [
            { result: 'rejected', reason: 'low difficulty', count: 2 },
            { result: 'rejected', reason: 'duplicate', count: 1 },
            { result: 'stale', reason: 'job not found', count: 2 },
          ],
          lastShareAt: 1_700_000_995,
          lastShareDifficulty: 4096,
          bestShare: 1_234_567.8,
        },
      },
      {
        id: 'backup',
        url: 'stratum+tcp://backup.example:3333',
        user: 'rig1,"quoted"|odd=user\\x',
        protocol: 'sv1',
        group: 'primary',
        priority: 1,
        quota: 1,
        status: 'dead',
        active: false,
        jobs: 12,
        failures: 4,
        lastFailure: { reason: 'connect-failed', detail: 'ECONNREFUSED', at: 1_700_000_500 },
        switchesTo: 1,
        switchesAway: { failback: 1 },
        censorshipAlarms: 0,
        shares: {
          accepted: 5,
          rejected: 0,
          stale: 0,
          lost: 1,
          acceptedDifficulty: 5 * 1024,
          rejectedDifficulty: 0,
          staleDifficulty: 0,
          reasons: [{ result: 'lost', reason: 'lost-to-switch', count: 1 }],
        },
      },
    ],
    switches: [
      { at: 1_699_997_300, group: 'primary', to: 'main', reason: 'initial' },
      { at: 1_699_999_000, group: 'primary', from: 'main', to: 'backup', reason: 'disconnected', detail: 'ECONNRESET' },
      { at: 1_700_000_100, group: 'primary', from: 'backup', to: 'main', reason: 'failback' },
    ],
    temperatures: [
      { name: 'chain0-chip', celsius: 61.5, kind: 'chip', chain: 0 },
      { name: 'chain1-chip', celsius: 62.5, kind: 'chip', chain: 1 },
      { name: 'board', celsius: 44.25, kind: 'board' },
    ],
    fans: [
      { name: 'fan0', dutyPercent: 45, rpm: 3120 },
      { name: 'fan1', dutyPercent: 45 },
    ],
    power: [{ name: 'vdd', volts: 12.05, amps: 10.2, watts: 122.9, state: 'on', faults: [] }],
    alarms: [
      {
        kind: 'censorship',
        severity: 'warning',
        message: 'pool refused our template',
        at: 1_700_000_700,
        active: true,
        pool: 'main',
        templateId: '42',
        error: 'invalid-coinbase',
      },
      { kind: 'thermal', severity: 'critical', message: 'chain 1 over 95 °C: hashing stopped', at: 1_699_999_000, active: false },
    ],
    network: {
      blockHash: '00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054',
      blockTime: 1_700_000_800,
      height: 820_000,
      difficulty: 6.2e13,
      blocksSeen: 4,
    },
    config: {
      format: { version: '1' },
      group: [{ name: 'primary', pool: [{ url: 'stratum+tcp://rig1:inline-secret@backup.example:3333', user: 'rig1', password: POOL_PASSWORD }] }],
      api: { cgminer: { host: '127.0.0.1', port: 4028, write: { enabled: true, token: API_TOKEN, allow: ['127.0.0.1'] } } },
      jd: { authority_secret: 'jd-secret-key' },
    },
  };
}

export interface ControlCall {
  method: keyof AgentControl;
  arg?: string | NewPool;
}

/** An AgentControl that records calls and answers from a table (default ok). */
export class RecordingControl implements AgentControl {
  readonly calls: ControlCall[] = [];
  answers: Partial<Record<keyof AgentControl, ControlResult>> = {};
  /** What restartRefusal() answers (undefined: the restart may go ahead). */
  refuseRestart: string | undefined;
  private res(method: keyof AgentControl, arg?: string | NewPool): Promise<ControlResult> {
    this.calls.push(arg === undefined ? { method } : { method, arg });
    return Promise.resolve(this.answers[method] ?? { ok: true });
  }
  switchPool(id: string): Promise<ControlResult> {
    return this.res('switchPool', id);
  }
  enablePool(id: string): Promise<ControlResult> {
    return this.res('enablePool', id);
  }
  disablePool(id: string): Promise<ControlResult> {
    return this.res('disablePool', id);
  }
  addPool(p: NewPool): Promise<ControlResult> {
    return this.res('addPool', p);
  }
  removePool(id: string): Promise<ControlResult> {
    return this.res('removePool', id);
  }
  restart(): Promise<ControlResult> {
    return this.res('restart');
  }
  restartRefusal(): string | undefined {
    return this.refuseRestart;
  }
  pause(): Promise<ControlResult> {
    return this.res('pause');
  }
  resume(): Promise<ControlResult> {
    return this.res('resume');
  }
}
