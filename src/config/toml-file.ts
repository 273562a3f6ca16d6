/**
 * Reads a TOML file into data + key lines; a syntax error becomes a ConfigError with its line. Only a
 * regular file of at most MAX_CONFIG_BYTES is read (issue 21 D7: `config = "/dev/zero"` once made
 * check-config grow to 4 GB; a FIFO would block the process).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from './config-error.js';
import { checkDocument, type Schema } from './schema.js';
import { tomlKeyLines, type KeyLines } from './toml-lines.js';

export interface TomlDocument {
  file: string;
  source: string;
  data: Record<string, unknown>;
  lines: KeyLines;
}

export function parseToml(source: string, file: string): TomlDocument {
  let data: Record<string, unknown>;
  try {
    data = parse(source, { unsafeKeyBehaviour: 'throw' }) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      throw new ConfigError(file, [{ key: '', line: err.line, message: `TOML syntax error: ${first.replace(/^Invalid TOML document: /, '')}` }]);
    }
    throw err;
  }
  return { file, source, data, lines: tomlKeyLines(source) };
}

/** Largest config or board-config file read: 1 MiB (the shipped ones are a few KiB). */
export const MAX_CONFIG_BYTES = 1 << 20;

function readConfigFile(path: string): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it anyway.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigFileRefused('not a regular file');
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigFileRefused(`${st.size} bytes; a config file may have at most ${MAX_CONFIG_BYTES}`);
    // Read at most one byte past the cap, whatever the size said (a file growing while read).
    const buf = Buffer.alloc(Math.min(st.size, MAX_CONFIG_BYTES) + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_CONFIG_BYTES) throw new ConfigFileRefused(`more than ${MAX_CONFIG_BYTES} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

class ConfigFileRefused extends Error {}

export function readToml(path: string): TomlDocument {
  let source: string;
  try {
    source = readConfigFile(path);
  } catch (err) {
    const why = err instanceof ConfigFileRefused ? err.message : err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
    throw new ConfigError(path, [{ key: '', line: undefined, message: `cannot read the file (${why})` }]);
  }
  return parseToml(source, path);
}

/** Checks a document against a schema; throws ConfigError listing every issue. */
export function validate<T>(schema: Schema<T>, doc: TomlDocument): T {
  const { value, issues } = checkDocument(schema, doc.data, doc.lines);
  if (issues.length > 0 || value === undefined) throw new ConfigError(doc.file, issues);
  return value;
}
