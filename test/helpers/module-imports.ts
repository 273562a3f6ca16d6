/**
 * The module specifiers a TypeScript or JavaScript file imports: static `import … from`, `export … from`,
 * side-effect `import '…'`, dynamic `import('…')` with a literal, and `require('…')`. For the product
 * boundary checks (test/unit/product-boundary.test.ts, the install test).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// import/export statements (possibly over several lines) up to their `from '…'`, side-effect imports,
// dynamic imports with a literal, require().
const STATEMENT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*(['"])([^'"\n]+)\1/gm;
const OTHER = /(?:^\s*import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/gm;

/** Comments out: a comment may name a path (`see workshop/sim`) without importing it. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function specifiers(text: string): string[] {
  const out: string[] = [];
  const c = code(text);
  const found: [number, string][] = [];
  for (const re of [STATEMENT, OTHER]) for (const m of c.matchAll(re)) found.push([m.index + m[0].length, m[2] as string]);
  for (const [, s] of found.sort((a, b) => a[0] - b[0])) out.push(s);
  return out;
}

/** Source files under `dir` (recursively), skipping node_modules. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules') continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export interface ImportEdge {
  /** The importing file, relative to `root`. */
  file: string;
  specifier: string;
  /** For relative specifiers: the imported path relative to `root` (with / separators). */
  target?: string;
  /** For bare specifiers: the package name (or node:…). */
  pkg?: string;
}

export function importsOf(root: string, file: string): ImportEdge[] {
  const rel = relative(root, file).split(sep).join('/');
  return specifiers(readFileSync(file, 'utf8')).map((specifier) => {
    if (specifier.startsWith('.'))
      return {
        file: rel,
        specifier,
        target: relative(root, resolve(dirname(file), specifier))
          .split(sep)
          .join('/'),
      };
    const parts = specifier.split('/');
    const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    return { file: rel, specifier, pkg };
  });
}
