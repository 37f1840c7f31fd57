/**
 * `npm run demo-psa [-- --psa connectwise|autotask]`: a PSA on 127.0.0.1 with sample members, to
 * try the console without a real one. It is the fake the tests use (built from
 * docs/psa-api-facts.md: auth, paging, the member fields), filled with people. Stop it with Ctrl-C.
 *
 * DEMO_PSA_PORT (default 8091 for ConnectWise, 8092 for Autotask) and DEMO_PSA_MEMBERS (default
 * 120) change the port and the size.
 */
import { AT_CREDENTIALS, atResource, AutotaskFake } from '../test/fakes/autotask-fake.js';
import { ConnectWiseFake, cwMember, FAKE_CREDENTIALS, serveFake } from '../test/fakes/connectwise-fake.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'John', 'Katherine', 'Dennis', 'Hedy', 'Tim', 'Sophie', 'Vint', 'Annie', 'Bjarne'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'McCarthy', 'Johnson', 'Ritchie', 'Lamarr', 'Berners-Lee', 'Wilson', 'Cerf', 'Easley', 'Stroustrup'];

const at = process.argv.indexOf('--psa');
const psa = at >= 0 ? process.argv[at + 1] : 'connectwise';
if (psa !== 'connectwise' && psa !== 'autotask') {
  process.stderr.write(`demo-psa: --psa must be connectwise or autotask (got "${psa ?? ''}")\n`);
  process.exit(2);
}
const port = Number(process.env.DEMO_PSA_PORT ?? (psa === 'autotask' ? 8092 : 8091));
const size = Number(process.env.DEMO_PSA_MEMBERS ?? 120);

const people = Array.from({ length: size }, (_, i) => {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const n = Math.floor(i / (FIRST.length * LAST.length));
  const handle = `${first}.${last}${n ? n : ''}`.toLowerCase().replace(/[^a-z0-9.]/g, '');
  return { id: i + 1, first, last, handle, email: `${handle}@demo-msp.test` };
});

function connectWise() {
  // A few are inactive in ConnectWise, and a few are API members (skipped by the sync).
  const members = people.map((p, i) => cwMember(p.id, { firstName: p.first, lastName: p.last, identifier: p.handle.replace('.', ''), officeEmail: p.email, inactiveFlag: i % 17 === 16, licenseClass: i % 29 === 28 ? 'A' : 'F' }));
  return { fake: new ConnectWiseFake(members), label: `ConnectWise PSA with ${size} members` };
}

function autotask() {
  // Resources in the Service Desk, Projects and Accounting departments, at two locations; a few
  // are inactive, one has no email, and one is the API-only user psa-sync signs in as (skipped).
  const resources = people.map((p, i) =>
    atResource(p.id, { firstName: p.first, lastName: p.last, userName: p.handle, email: i === 5 ? null : p.email, isActive: i % 17 !== 16, title: i % 7 === 0 ? 'Service Manager' : 'Technician', hireDate: `20${String(10 + (i % 15)).padStart(2, '0')}-0${1 + (i % 9)}-15T00:00:00` }),
  );
  resources.push(atResource(size + 1, { firstName: 'psa-sync', lastName: 'API', userName: AT_CREDENTIALS.userName, email: null, licenseType: 7, title: null }));
  return { fake: new AutotaskFake(resources), label: `Autotask PSA with ${size} resources (and an API user)` };
}

const { fake, label } = psa === 'autotask' ? autotask() : connectWise();
const served = await serveFake(fake, { port });
const lines =
  psa === 'autotask'
    ? [
        'In the console (Accounts → Add an account), choose autotask and fill in:',
        `  API user name: ${AT_CREDENTIALS.userName}`,
        `  Secret: ${AT_CREDENTIALS.secret}`,
        `  Integration code: ${AT_CREDENTIALS.integrationCode}`,
        `  Zone URL: ${served.url}/atservicesrest/`,
        '',
        'Or from the CLI, with this JSON as the --config file (the zone is discovered from the user name):',
        JSON.stringify({ ...AT_CREDENTIALS, discoveryUrl: `${served.url}/atservicesrest/` }),
      ]
    : [
        'In the console (Accounts → Add an account), choose connectwise and fill in:',
        `  Site: ${served.url}`,
        `  Company id: ${FAKE_CREDENTIALS.companyId}`,
        `  Public key: ${FAKE_CREDENTIALS.publicKey}`,
        `  Private key: ${FAKE_CREDENTIALS.privateKey}`,
        `  Client id: ${FAKE_CREDENTIALS.clientId}`,
        '',
        'Or from the CLI, with this JSON as the --config file:',
        JSON.stringify({ site: served.url, ...FAKE_CREDENTIALS }),
      ];
process.stdout.write([`Demo ${label} at ${served.url}`, '', ...lines, '', 'Ctrl-C stops it.', ''].join('\n'));
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
