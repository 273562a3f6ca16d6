/**
 * The agent as the web dashboard sees it (src/dashboard/dashboard.ts): the same snapshot as the other
 * APIs, the upstream's security and Job Declaration details, the settings and their saving path
 * (src/agent/settings.ts), and the access settings of `[dashboard]`, read afresh on each request.
 */
import type { SnapshotProvider } from '../api/snapshot.js';
import { redactUrlCredentials } from '../api/redact.js';
import { poolEntrySchema } from '../config/pool-sections.js';
import { checkDocument } from '../config/schema.js';
import { logTail } from '../log-tail.js';
import { Dashboard, type DashboardSource } from '../dashboard/dashboard.js';
import type { JdView, UpstreamPoolView, UpstreamView } from '../dashboard/live-state.js';
import { decodeAuthorityKey } from '../upstream/sv2/authority-key.js';
import type { JdUpstream } from '../upstream/jd/jd-upstream.js';
import type { Agent } from './agent.js';
import { settingsTarget } from './control.js';
import { poolIds } from './pool-list.js';
import { saveSettings, settingsView } from './settings.js';

const SV2_KEY = /^stratum2\+tcp:\/\/[^/]+\/([1-9A-HJ-NP-Za-km-z]{40,60})\/?$/;

/** How a pool URL's connection is protected, and the SV2 authority key it names. */
export function poolSecurity(url: string, plain: boolean, channel: string | undefined): Omit<UpstreamPoolView, 'id' | 'url' | 'protocol'> {
  if (url.startsWith('stratum2+tcp://')) {
    const key = SV2_KEY.exec(url)?.[1] ?? null;
    return { encryption: plain ? 'none (plain test port)' : 'Noise NX (ChaCha20-Poly1305)', authorityKey: key, channel: channel ?? 'extended' };
  }
  return { encryption: url.startsWith('stratum+ssl://') ? 'TLS' : 'none (Stratum V1 over TCP)', authorityKey: null, channel: null };
}

/** Is `url` a pool URL the config accepts, and for SV2, is its authority key a real key? */
export function checkPoolUrl(url: string): { ok: boolean; message: string } {
  const { issues } = checkDocument(poolEntrySchema, { url, user: 'check' }, new Map());
  const urlIssue = issues.find((i) => i.key === 'url');
  if (urlIssue) return { ok: false, message: urlIssue.message };
  const key = SV2_KEY.exec(url)?.[1];
  if (key !== undefined) {
    try {
      decodeAuthorityKey(key);
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    return { ok: true, message: 'Stratum V2 with a valid authority key: the pool must prove it holds it' };
  }
  return { ok: true, message: url.startsWith('stratum+ssl://') ? 'Stratum V1 over TLS' : 'Stratum V1 without encryption' };
}

export function agentDashboardSource(agent: Agent, snapshot: SnapshotProvider): DashboardSource {
  let lastTemplate: JdView['lastTemplate'];
  let watched: JdUpstream | undefined;
  const watchJd = (): void => {
    const jd = agent.jd;
    if (!jd || jd === watched) return;
    watched = jd;
    jd.on('declared', (e) => {
      if (agent.jd === jd) lastTemplate = { id: e.templateId, pool: e.pool, at: Math.floor(Date.now() / 1000) };
    });
  };
  return {
    snapshot,
    logs: logTail,
    upstream(): UpstreamView {
      watchJd();
      const a = agent.config.agent;
      const ids = poolIds(a);
      const pools: UpstreamPoolView[] = [];
      const groups = a.group && a.group.length > 0 ? a.group.map((g) => g.pool) : [a.pool ?? []];
      groups.forEach((list, gi) =>
        list.forEach((p, i) => {
          const id = ids.get(`${gi}:${i}`) ?? p.name ?? p.url;
          pools.push({
            id,
            url: redactUrlCredentials(p.url),
            protocol: p.url.startsWith('stratum2') ? 'sv2' : 'sv1',
            ...poolSecurity(p.url, p.plain, p.channel),
          });
        }),
      );
      let jd: JdView | null = null;
      if (agent.jd) {
        const s = agent.jd.stats().jd;
        pools.push({ id: agent.jd.id, url: redactUrlCredentials(agent.jd.url), protocol: 'jd', ...poolSecurity(agent.jd.url, false, undefined) });
        jd = {
          mode: s.mode,
          mining: s.mining,
          templateProvider: { url: redactUrlCredentials(s.templateProvider.url), state: s.templateProvider.state, templates: s.templateProvider.templates },
          declared: s.declared,
          declareRefused: s.declareRefused,
          censorshipAlarms: s.censorshipAlarms,
          ...(lastTemplate ? { lastTemplate } : {}),
        };
      }
      return { pools, jd };
    },
    settings: () => settingsView(agent.config, agent.configFile),
    saveSettings: (body, dryRun) => saveSettings(settingsTarget(agent), body, { dryRun }),
    checkPoolUrl,
    access: () => ({ hashedPassword: agent.config.agent.dashboard.hashed_password, sessionIdleMinutes: agent.config.agent.dashboard.session_idle_minutes }),
  };
}

/** The dashboard for this agent, or undefined when `[dashboard] enabled = false`. */
export function agentDashboard(agent: Agent, snapshot: SnapshotProvider): Dashboard | undefined {
  if (!agent.config.agent.dashboard.enabled) return undefined;
  return new Dashboard(agentDashboardSource(agent, snapshot), { clock: agent.clock });
}
