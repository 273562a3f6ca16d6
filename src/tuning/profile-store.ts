/**
 * Tuning profiles on disk: one JSON file per board (`<dir>/<board>.json`) holding the latest profile of
 * each target, written atomically (a power cut leaves the old file or the new one). The folder is the
 * agent's state folder (`/var/lib/asic-agent/profiles` under the systemd unit, which owns it through
 * StateDirectory=; `[tuning] profile_dir` elsewhere). A missing or unreadable folder costs the profiles,
 * never the mining: every failure is returned as a message for the log.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.js';
import { isProfile, sameIdentity, targetValue, type TuningProfile } from './profile.js';

/** Profiles kept per board (the newest of each target, then the newest overall). */
const KEEP = 16;

/** `$STATE_DIRECTORY/profiles` under systemd, else the unit's own folder. */
export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  return join(state && state.length > 0 ? state : '/var/lib/asic-agent', 'profiles');
}

export class ProfileStore {
  constructor(readonly dir: string) {}

  fileOf(board: string): string {
    return join(this.dir, `${board.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  /** The board's profiles (none when the file is missing; a damaged file reads as none, with the reason). */
  load(board: string): { profiles: TuningProfile[]; error?: string } {
    let text: string;
    try {
      text = readFileSync(this.fileOf(board), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? { profiles: [] } : { profiles: [], error: `cannot read ${this.fileOf(board)}: ${String(err)}` };
    }
    try {
      const data = JSON.parse(text) as { profiles?: unknown };
      const list = Array.isArray(data.profiles) ? data.profiles : [];
      return { profiles: list.filter(isProfile) };
    } catch (err) {
      return { profiles: [], error: `${this.fileOf(board)} is not valid JSON: ${String(err)}` };
    }
  }

  /** Adds or replaces the profile of its target; returns an error message instead of throwing. */
  save(p: TuningProfile): string | undefined {
    try {
      const { profiles } = this.load(p.identity.board);
      const same = (q: TuningProfile): boolean =>
        q.mode === p.mode && targetValue({ mode: q.mode, watts: q.target, ths: q.target }) === p.target && sameIdentity(q.identity, p.identity);
      const kept = [p, ...profiles.filter((q) => !same(q))].sort((a, b) => b.savedAt - a.savedAt).slice(0, KEEP);
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      writeFileAtomic(this.fileOf(p.identity.board), `${JSON.stringify({ version: 1, profiles: kept }, null, 1)}\n`, { backup: false });
      return undefined;
    } catch (err) {
      return `cannot save the tuning profile in ${this.dir}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
