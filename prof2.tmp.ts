import { randomBytes } from 'node:crypto';
import { createApp } from './src/app.js';
import { parseEnv } from './src/config/env.js';
import { createLogger } from './src/core/logger.js';
import { exec } from './src/db/sql.js';
import { ratingSums, memberNamesById } from './src/db/rating-repository.js';
const [A] = process.argv.slice(2);
const env = parseEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/psa_ratings_prof', PSA_SYNC_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' });
const app = await createApp({ env, logger: createLogger('warn'), migrations: 'skip' });
const to = new Date().toISOString().slice(0, 10); const from = new Date(Date.now() - 89 * 864e5).toISOString().slice(0, 10);
const sel = { from, to, memberIn: null, memberNotIn: [], clientIn: null, clientNotIn: [] };
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const sums = await ratingSums(app.orm.em.fork(), A!, sel, 'member');
  const t1 = performance.now();
  const names = await memberNamesById(app.orm.em.fork(), A!, sums.map((s) => s.key));
  const t2 = performance.now();
  const s = await app.ratings.summary(A!, { from, to, groupBy: 'member' });
  const t3 = performance.now();
  const j = JSON.stringify(s);
  const t4 = performance.now();
  const c = await app.ratings.summary(A!, { from, to, groupBy: 'client' });
  const t5 = performance.now();
  console.log('sums', (t1 - t0).toFixed(1), 'names', (t2 - t1).toFixed(1), 'service', (t3 - t2).toFixed(1), 'json', (t4 - t3).toFixed(1), j.length, 'client', (t5-t4).toFixed(1));
}
await app.close();
