import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrationsList } from '../../src/db/migrations/index.js';

describe('migrations list', () => {
  it('names every migration file in src/db/migrations, in order', () => {
    const dir = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => /^Migration.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrationsList.map((m) => m.name)).toEqual(files);
  });
});
