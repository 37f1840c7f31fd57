/**
 * An Autotask-shaped HTTP server on 127.0.0.1 for the benchmark, in its own process so that its
 * memory and CPU are not counted as psa-sync's. Prints its URL on stdout. Zone discovery, the
 * zone and every entity are served by the test fake (psa-api-facts §5).
 * Control: GET /__control/stats answers how many requests each path has had.
 */
import { atResources, AutotaskFake } from '../test/fakes/autotask-fake.js';
import { serveFake, type FakeRequest } from '../test/fakes/connectwise-fake.js';

const n = Number(process.argv[2] ?? 10_000);
const fake = new AutotaskFake(atResources(n));

const served = await serveFake({
  handle(req: FakeRequest) {
    if (req.url.pathname === '/__control/stats') {
      const byPath: Record<string, number> = {};
      for (const r of fake.requests) byPath[r.path] = (byPath[r.path] ?? 0) + 1;
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ byPath, roleDepartments: fake.roleDepartments.length }) };
    }
    return fake.handle(req);
  },
});
process.stdout.write(`${served.url}\n`);
process.on('SIGTERM', () => void served.close().then(() => process.exit(0)));
