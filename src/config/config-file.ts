/**
 * The agent config file as the running agent owns it: settings changed from the dashboard, the HTTP
 * settings API and the cgminer write commands are written back here, so that a restart runs with them.
 *
 * - The edit is made in the text (toml-edit.ts): comments and layout stay as the user wrote them.
 * - The new text is checked exactly as `run` checks a file (schema, then the board-config's limits)
 *   before anything is written; every problem comes back with its key.
 * - The file is replaced atomically, the previous one kept as `<file>.bak` (atomic-write.ts).
 * - A file changed on disk since the agent loaded (or last wrote) it is never overwritten: the change
 *   is refused with a message saying so. Reloading the agent (SIGHUP) takes the file as it is.
 */
import { readFileSync } from 'node:fs';
import { agentConfigSchema } from './agent-config.js';
import { writeFileAtomic } from './atomic-write.js';
import { ConfigError } from './config-error.js';
import { runConfigOf, type RunConfig } from './run-config.js';
import type { ConfigIssue } from './schema.js';
import { editToml, sameData, TomlEditError, type TomlEdit } from './toml-edit.js';
import { parseToml, validate } from './toml-file.js';

export type ConfigUpdate =
  | { ok: true; config: RunConfig; text: string }
  | { ok: false; kind: 'invalid'; issues: ConfigIssue[]; message: string }
  | { ok: false; kind: 'unavailable' | 'conflict' | 'layout' | 'io'; message: string };

export type ConfigUpdateFailure = Exclude<ConfigUpdate, { ok: true }>;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export class ConfigFile {
  /** The text the running config came from (or that the agent last wrote); undefined when unknown. */
  private baseline: string | undefined;

  constructor(readonly path: string) {}

  /** A ConfigFile for a config loaded from an agent config file (none for a board-config alone). */
  static of(cfg: RunConfig): ConfigFile | undefined {
    if (cfg.kind !== 'agent') return undefined;
    const f = new ConfigFile(cfg.file);
    f.adopt(cfg);
    return f;
  }

  /**
   * Takes the file on disk as the baseline when it is the file `cfg` was read from (after a load or a
   * SIGHUP reload). When it is not (it changed again in between), writes stay refused until the next
   * reload: better a refused change than a silently overwritten hand edit.
   */
  adopt(cfg: RunConfig): boolean {
    const text = readText(this.path);
    this.baseline = undefined;
    if (text === undefined) return false;
    try {
      const agent = validate(agentConfigSchema, parseToml(text, this.path));
      if (!sameData(JSON.parse(JSON.stringify(agent)), JSON.parse(JSON.stringify(cfg.agent)))) return false;
    } catch {
      return false;
    }
    this.baseline = text;
    return true;
  }

  /** The text the agent runs on, when known. */
  text(): string | undefined {
    return this.baseline;
  }

  /** Checks the edits against the file without writing anything (the settings form's "check"). */
  check(edits: TomlEdit[]): ConfigUpdate {
    return this.prepare(edits);
  }

  /** Makes the edits in the file: checked, atomic, with a backup, refused if the file was edited by hand. */
  update(edits: TomlEdit[]): ConfigUpdate {
    const r = this.prepare(edits);
    if (!r.ok) return r;
    try {
      writeFileAtomic(this.path, r.text);
    } catch (err) {
      const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : err instanceof Error ? err.message : String(err);
      return { ok: false, kind: 'io', message: `cannot write ${this.path} (${code}); nothing was changed` };
    }
    this.baseline = r.text;
    return r;
  }

  private prepare(edits: TomlEdit[]): ConfigUpdate {
    const base = this.baseline;
    if (base === undefined) {
      return {
        ok: false,
        kind: 'unavailable',
        message: `${this.path} changed on disk after the agent loaded it, or cannot be read: reload the agent (SIGHUP, systemctl reload asic-agent) so that it runs on the file as it is, then try again`,
      };
    }
    const disk = readText(this.path);
    if (disk !== base) {
      return {
        ok: false,
        kind: 'conflict',
        message: `${this.path} was ${disk === undefined ? 'removed or made unreadable' : 'edited by hand'} since the agent loaded it; the change was NOT saved so as not to overwrite it. Reload the agent (SIGHUP, systemctl reload asic-agent) to run on the file as it is now, then make the change again`,
      };
    }
    let text: string;
    try {
      text = editToml(base, edits);
    } catch (err) {
      if (err instanceof TomlEditError) return { ok: false, kind: 'layout', message: `${this.path}: ${err.message}` };
      throw err;
    }
    try {
      return { ok: true, config: runConfigOf(parseToml(text, this.path)), text };
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, kind: 'invalid', issues: err.issues, message: err.message };
      throw err;
    }
  }
}
