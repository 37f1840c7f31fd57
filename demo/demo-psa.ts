/**
 * `npm run demo-psa`: a ConnectWise-shaped PSA on 127.0.0.1 with sample members, to try the console
 * without a real ConnectWise. It is the fake the tests use (built from docs/psa-api-facts.md: auth,
 * paging, the member fields), filled with people. Stop it with Ctrl-C.
 *
 * DEMO_PSA_PORT (default 8091) and DEMO_PSA_MEMBERS (default 120) change the port and the size.
 */
import { ConnectWiseFake, cwMember, FAKE_CREDENTIALS, serveFake } from '../test/fakes/connectwise-fake.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'John', 'Katherine', 'Dennis', 'Hedy', 'Tim', 'Sophie', 'Vint', 'Annie', 'Bjarne'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'McCarthy', 'Johnson', 'Ritchie', 'Lamarr', 'Berners-Lee', 'Wilson', 'Cerf', 'Easley', 'Stroustrup'];

const port = Number(process.env.DEMO_PSA_PORT ?? 8091);
const size = Number(process.env.DEMO_PSA_MEMBERS ?? 120);

const members = Array.from({ length: size }, (_, i) => {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const n = Math.floor(i / (FIRST.length * LAST.length));
  const handle = `${first}.${last}${n ? n : ''}`.toLowerCase().replace(/[^a-z0-9.]/g, '');
  // A few are inactive in ConnectWise, and a few are API or contractor licences (skipped by the sync).
  return cwMember(i + 1, { firstName: first, lastName: last, identifier: handle.replace('.', ''), officeEmail: `${handle}@demo-msp.test`, inactiveFlag: i % 17 === 16, licenseClass: i % 29 === 28 ? 'A' : 'F' });
});

const fake = new ConnectWiseFake(members);
const served = await serveFake(fake, { port });
const config = { site: served.url, ...FAKE_CREDENTIALS };
process.stdout.write(
  [
    `Demo ConnectWise PSA with ${size} members at ${served.url}`,
    '',
    'In the console (Accounts → Add an account), choose connectwise and fill in:',
    `  Site: ${config.site}`,
    `  Company id: ${config.companyId}`,
    `  Public key: ${config.publicKey}`,
    `  Private key: ${config.privateKey}`,
    `  Client id: ${config.clientId}`,
    '',
    'Or from the CLI, with this JSON as the --config file:',
    JSON.stringify(config),
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
