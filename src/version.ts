/** The firmware's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';

function findPackageJson(): { name: string; version: string } {
  // src/version.ts and dist/src/version.js both sit below the package root.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (p.name === 'asic-agent' && typeof p.version === 'string') return { name: p.name, version: p.version };
    } catch {
      // try the next candidate
    }
  }
  return { name: 'asic-agent', version: '0.0.0' };
}

const pkg = findPackageJson();
export const FIRMWARE_NAME = pkg.name;
export const FIRMWARE_VERSION = pkg.version;
/** User agent for pools: `asic-agent/<version>`. */
export const USER_AGENT = `${FIRMWARE_NAME}/${FIRMWARE_VERSION}`;
