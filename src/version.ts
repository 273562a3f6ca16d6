/** The firmware's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
export const FIRMWARE_NAME = pkg.name;
export const FIRMWARE_VERSION = pkg.version;
/** User agent for pools: `asic-agent/<version>`. */
export const USER_AGENT = `${FIRMWARE_NAME}/${FIRMWARE_VERSION}`;
