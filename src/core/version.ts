import { readFileSync } from 'node:fs';

/**
 * psa-sync's version, from its package.json (found by walking up from this file, so it works
 * from `src/` under tsx and from `dist/src/` alike).
 */
export const APP_VERSION: string = (() => {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'psa-sync' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (dir.pathname === '/') return '0.0.0-unknown';
  }
})();
