import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Seats } from '../../src/domain/seats.js';

/** Relative imports of every .ts file under `dir`, as "file -> imported path". */
function importsUnder(dir: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) {
        for (const m of readFileSync(full, 'utf8').matchAll(/from '(\.[^']+)'/g)) out.push({ file: path.relative(ROOT, full), target: path.relative(ROOT, path.resolve(path.dirname(full), m[1]!)) });
      }
    }
  };
  walk(path.join(ROOT, dir));
  return out;
}

describe('layers', () => {
  it('the database layer never imports the planner, and the domain imports nothing of psa-sync', () => {
    expect(importsUnder('src/db').filter((i) => i.target.startsWith('src/reconcile') || i.target.startsWith('src/services'))).toEqual([]);
    expect(importsUnder('src/domain').filter((i) => !i.target.startsWith('src/domain'))).toEqual([]);
  });

  it('services, the database and notifications never import the HTTP layer or the console', () => {
    for (const dir of ['src/services', 'src/db', 'src/notify', 'src/reconcile', 'src/access', 'src/people']) {
      expect(importsUnder(dir).filter((i) => i.target.startsWith('src/http') || i.target.startsWith('src/console') || i.target.startsWith('src/web')), dir).toEqual([]);
    }
  });

  it('the console and the HTTP API never import each other: both stand on src/access, and only src/web puts them together', () => {
    expect(importsUnder('src/console').filter((i) => i.target.startsWith('src/http') || i.target.startsWith('src/web'))).toEqual([]);
    expect(importsUnder('src/http').filter((i) => i.target.startsWith('src/console') || i.target.startsWith('src/web'))).toEqual([]);
  });

  it('every file of the sync engine stays small (under 300 lines)', () => {
    const dir = path.join(ROOT, 'src/reconcile');
    const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(files).toContain('engine.ts');
    const long = files.map((name) => ({ file: name, lines: readFileSync(path.join(dir, name), 'utf8').split('\n').length })).filter((f) => f.lines > 300);
    expect(long).toEqual([]);
  });
});

describe('the seat limit', () => {
  it('takes seats until the limit, gives them back, and never limits an account without one', () => {
    const seats = new Seats(2, 1);
    expect(seats.take()).toBe(true);
    expect(seats.take()).toBe(false);
    expect(seats.active).toBe(2);
    seats.release();
    expect(seats.take()).toBe(true);
    expect(seats.refusal()).toBe("seat limit of 2 Active members reached; uncheck another member or raise the plan's limit");
    const unlimited = new Seats(null, 10_000);
    expect(unlimited.take()).toBe(true);
  });
});
