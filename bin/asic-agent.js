#!/usr/bin/env node
// Launcher: runs the compiled agent from dist/ when it has been built (`npm run build`, done by
// scripts/install.sh for deployment), otherwise the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'main.js');
let entry;
if (existsSync(built) && process.env.ASIC_AGENT_FROM_SOURCE !== '1') {
  entry = pathToFileURL(built).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(join(root, 'src', 'main.ts')).href;
}
const { main } = await import(entry);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
}
