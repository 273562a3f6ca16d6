/**
 * Replaces a file so that a power cut at any moment leaves either the old file or the new one, never a
 * mix (a miner's control board is switched off at the wall): the new text goes to a temporary file in
 * the same folder, which is fsynced, then renamed over the old one, and the folder is fsynced so the
 * rename itself is on disk. The previous file is kept beside it as `<name>.bak` (a hard link made before
 * the rename, so it too is always complete). Mode and owner of the old file are kept.
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync, chownSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const backupPath = (file: string): string => `${file}.bak`;

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function writeFileAtomic(file: string, text: string, opts: { backup?: boolean } = {}): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let old: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = statSync(file);
    old = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    old = undefined;
  }
  const fd = openSync(tmp, 'wx', old?.mode ?? 0o600);
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    if (old) {
      chmodSync(tmp, old.mode);
      try {
        chownSync(tmp, old.uid, old.gid);
      } catch {
        // Not root: the file is ours already.
      }
    }
    if (old && opts.backup !== false) {
      const bak = backupPath(file);
      try {
        unlinkSync(bak);
      } catch {
        // no previous backup
      }
      linkSync(file, bak);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  fsyncDir(dir);
}
