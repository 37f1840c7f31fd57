/**
 * A ConnectWise-shaped HTTP server on 127.0.0.1 for the benchmark, in its own process so that
 * its memory and CPU are not counted as psa-sync's. Prints its URL on stdout.
 * Control: POST /__control/churn?percent=P renames half and deactivates half of P% of members.
 */
import { ConnectWiseFake, cwMembers, serveFake, type FakeRequest } from '../test/fakes/connectwise-fake.js';

const n = Number(process.argv[2] ?? 10_000);
const fake = new ConnectWiseFake(cwMembers(n));
let round = 0;

const served = await serveFake({
  handle(req: FakeRequest) {
    if (req.url.pathname === '/__control/churn') {
      const percent = Number(req.url.searchParams.get('percent') ?? 1);
      const step = Math.max(1, Math.round(100 / percent));
      round++;
      let changed = 0;
      for (let i = 0; i < fake.members.length; i += step) {
        const m = fake.members[i]!;
        if (changed % 2 === 0) m.firstName = `Renamed${round}`;
        else m.inactiveFlag = !m.inactiveFlag;
        changed++;
      }
      return { status: 200, body: JSON.stringify({ changed }) };
    }
    return fake.handle(req);
  },
});
process.stdout.write(`${served.url}\n`);
process.on('SIGTERM', () => void served.close().then(() => process.exit(0)));
