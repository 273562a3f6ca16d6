/**
 * The page's files: web/ of this package (HTML, CSS and plain ES modules: no build step) and uPlot from
 * node_modules (the chart library, served by the agent itself because miners are often offline; never a
 * CDN). Read once on first use and kept in memory with their gzip form and an ETag, so a page load is
 * a few small answers and a reload is 304s.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../package-root.js';

export interface StaticFile {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function webDir(): string {
  return join(packageRoot(), 'web');
}

/** uPlot's dist folder, wherever npm put the package. */
export function uplotDir(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function entry(path: string): StaticFile {
  const body = readFileSync(path);
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** URL path (under /ui/) → file: every file of web/, and uPlot's script and stylesheet under vendor/. */
export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const root = webDir();
  for (const p of walk(root)) files.set(`/ui/${relative(root, p).split(sep).join('/')}`, entry(p));
  const u = uplotDir();
  files.set('/ui/vendor/uPlot.iife.min.js', entry(join(u, 'uPlot.iife.min.js')));
  files.set('/ui/vendor/uPlot.min.css', entry(join(u, 'uPlot.min.css')));
  return files;
}
