/** Reads a TOML file into data + key lines; a syntax error becomes a ConfigError with its line. */
import { readFileSync } from 'node:fs';
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

export function readToml(path: string): TomlDocument {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
    throw new ConfigError(path, [{ key: '', line: undefined, message: `cannot read the file (${code})` }]);
  }
  return parseToml(source, path);
}

/** Checks a document against a schema; throws ConfigError listing every issue. */
export function validate<T>(schema: Schema<T>, doc: TomlDocument): T {
  const { value, issues } = checkDocument(schema, doc.data, doc.lines);
  if (issues.length > 0 || value === undefined) throw new ConfigError(doc.file, issues);
  return value;
}
