/**
 * Log priorities for journald. When stdout is the journal's stream, each JSON record goes out with a
 * syslog priority prefix `<N>`, which journald strips and stores as PRIORITY= (SyslogLevelPrefix=, on by
 * default; systemd.exec(5)), so `journalctl -p warning -u asic-agent` shows warnings and worse only.
 * Anywhere else (a pipe, a file, a test) the records stay plain JSON lines.
 *
 * systemd tells a service its stdout is the journal with JOURNAL_STREAM=<device>:<inode> of that stream
 * (systemd.exec(5) "Environment variables in spawned processes"); it is inherited by children whose
 * stdout goes elsewhere, hence the comparison with fstat(1) rather than only checking it is set.
 */
import { fstatSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** pino's numeric levels → syslog(3) priorities: trace/debug 7, info 6, warn 4, error 3, fatal 2 (crit). */
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

/** Whether fd `fd` is the stream systemd named in JOURNAL_STREAM. */
export function isJournalStream(env: NodeJS.ProcessEnv, fd = 1): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1] as string) && st.ino === BigInt(m[2] as string);
  } catch {
    return false;
  }
}

/** pino writes `{"level":N,` first (its default formatters, which src/log.ts keeps). */
const LEVEL = /^\{"level":(\d+)/;

/** Prefixes each record written to `out` with its `<N>` priority. */
export function syslogPrefixed(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const m = LEVEL.exec(line);
      out.write(m ? `<${syslogPriority(Number(m[1]))}>${line}` : line);
    },
  };
}
