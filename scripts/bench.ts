/**
 * `npm run bench [-- [--json] [--quick] [group…]]`: runs every scripts/bench/*.bench.ts in this process,
 * one after another on one core, and prints each figure. With --json the last line is one JSON object
 * holding every figure both nested ({"nonce_verify":{"engine_per_s":…}}) and flat
 * ("nonce_verify.engine_per_s"). Speed is judged here, never in tests.
 */
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Bench, Figures } from './bench/bench.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));

process.env.ASIC_AGENT_LOG_LEVEL ??= 'silent';
const dir = new URL('./bench/', import.meta.url);
// The headline figure first, on a quiet machine; then the rest alphabetically.
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort((a, b) => Number(b.startsWith('nonce-verify')) - Number(a.startsWith('nonce-verify')) || a.localeCompare(b));
const nested: Record<string, Figures> = {};
const flat: Record<string, number | string> = {};
for (const f of files) {
  const mod = (await import(pathToFileURL(new URL(f, dir).pathname).href)) as { default: Bench };
  const b = mod.default;
  if (only.length > 0 && !only.includes(b.name)) continue;
  // Let processes a previous group started finish exiting before measuring again.
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = performance.now();
  const figs = await b.run({ quick });
  nested[b.name] = figs;
  for (const [k, v] of Object.entries(figs)) {
    flat[`${b.name}.${k}`] = v;
    const shown = typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v;
    console.log(`${`${b.name}.${k}`.padEnd(44)} ${shown}`);
  }
  console.log(`(${b.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
if (json) console.log(JSON.stringify({ ...nested, ...flat }));
