import { AT_CREDENTIALS } from '../fakes/autotask-fake.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { HALO_CREDENTIALS, HaloFake, haloRoster } from '../fakes/halo-fake.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * PSA hosts (issue 16 §5): on-premises (private) and loopback PSAs are fine, link-local and cloud
 * metadata addresses never are: refused in the settings, naming the setting, and refused again at
 * connect time for a name that resolves to one.
 */
let t: TestApp;
let cw: Awaited<ReturnType<typeof serveFake>>;
let cwFake: ConnectWiseFake;
let halo: Awaited<ReturnType<typeof serveFake>>;
let haloFake: HaloFake;
/** What each host name resolves to (no real DNS). */
const dns: Record<string, string> = {
  'cw.onprem.test': '127.0.0.1',
  'cw.rebound.test': '169.254.169.254',
  'halo.onprem.test': '127.0.0.1',
  'halo-auth.rebound.test': '::ffff:a9fe:a9fe',
};
let n = 0;

beforeAll(async () => {
  t = await createTestApp({
    resolve: async (hostname) => {
      const address = dns[hostname];
      return address ? [{ address, family: address.includes(':') ? 6 : 4 }] : [];
    },
  });
  cwFake = new ConnectWiseFake(cwMembers(3));
  cw = await serveFake(cwFake);
  haloFake = new HaloFake(haloRoster(3));
  halo = await serveFake(haloFake);
});
afterAll(async () => {
  await cw.close();
  await halo.close();
  await t.close();
});

const addCw = (site: string) => t.app.accounts.add({ name: `CW ${++n}`, integration: 'connectwise', settings: { site, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
const addHalo = (settings: Record<string, string>) => t.app.accounts.add({ name: `Halo ${++n}`, integration: 'halopsa', settings: { ...HALO_CREDENTIALS, ...settings } });
const addAutotask = (settings: Record<string, string>) => t.app.accounts.add({ name: `Autotask ${++n}`, integration: 'autotask', settings: { ...AT_CREDENTIALS, ...settings } });
const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
const port = (server: { url: string }) => new URL(server.url).port;

describe('PSA host settings', () => {
  it('refuses link-local and cloud metadata hosts, in every spelling, naming the setting', async () => {
    const metadataHosts = ['https://169.254.169.254', 'http://169.254.0.1:8080', 'http://[::ffff:a9fe:a9fe]', 'http://[::ffff:169.254.169.254]', 'https://[fe80::1]', 'https://[fe90::1]', 'https://[febf::1]', 'https://[fd00:ec2::254]', 'https://[64:ff9b::a9fe:a9fe]', 'http://metadata.google.internal', 'https://0.0.0.0'];
    for (const site of metadataHosts) {
      await expect(addCw(site), site).rejects.toThrow(/invalid ConnectWise settings: site (host .* is an? (link-local|cloud metadata|unspecified)|is a cloud metadata host)/);
      await expect(addHalo({ baseUrl: site }), site).rejects.toThrow(/invalid HaloPSA settings: baseUrl (host|is a cloud metadata host)/);
      await expect(addHalo({ baseUrl: 'https://acme.halopsa.com', authUrl: `${site}/auth` }), site).rejects.toThrow(/invalid HaloPSA settings: authUrl (host|is a cloud metadata host)/);
      await expect(addAutotask({ zoneUrl: `${site}/atservicesrest/` }), site).rejects.toThrow(/invalid Autotask settings: zoneUrl (host|is a cloud metadata host)/);
      await expect(addAutotask({ discoveryUrl: `${site}/atservicesrest/` }), site).rejects.toThrow(/invalid Autotask settings: discoveryUrl (host|is a cloud metadata host)/);
    }
    // A stored account cannot be pointed at one either.
    const account = await addCw('https://api-na.myconnectwise.net');
    await expect(t.app.accounts.update(account.id, { settings: { site: 'http://[::ffff:a9fe:a9fe]', ...FAKE_CREDENTIALS } }, 'test')).rejects.toThrow(/site host ::ffff:a9fe:a9fe is a cloud metadata address \(169\.254\.169\.254\)/);
  });

  it('keeps private (on-premises) and loopback hosts', async () => {
    for (const site of ['http://10.1.2.3:8080', 'https://192.168.5.9', 'http://172.16.0.4', 'http://127.0.0.1:8091', 'https://[fd12:3456::7]', 'https://cw.internal.example']) {
      await expect(addCw(site), site).resolves.toMatchObject({ integration: 'connectwise' });
    }
    await expect(addHalo({ baseUrl: 'http://10.9.8.7', authUrl: 'http://127.0.0.1:9000/auth' })).resolves.toMatchObject({ integration: 'halopsa' });
    await expect(addAutotask({ zoneUrl: 'http://10.9.8.7/atservicesrest/', discoveryUrl: 'http://127.0.0.1:9000/atservicesrest/' })).resolves.toMatchObject({ integration: 'autotask' });
  });
});

describe('PSA connections', () => {
  it('a site name resolving to a loopback address is used (the resolver decides at connect time)', async () => {
    const account = await addCw(`http://cw.onprem.test:${port(cw)}`);
    expect((await sync(account.id)).run).toMatchObject({ status: 'succeeded' });
  });

  it('a site name resolving to 169.254.169.254 at connect time is refused before any request, as a settings problem', async () => {
    const account = await addCw(`http://cw.rebound.test:${port(cw)}`);
    const before = cwFake.requests.length;
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'config' } });
    expect(run.error!.message).toContain('cw.rebound.test resolves to 169.254.169.254, which is a cloud metadata address');
    expect(cwFake.requests.length).toBe(before);
    await expect(t.app.engine.testConnection('connectwise', { site: `http://cw.rebound.test:${port(cw)}`, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' })).rejects.toThrow(/169\.254\.169\.254/);
  });

  it('a HaloPSA authUrl resolving to an IPv4-mapped metadata address at connect time is refused', async () => {
    const account = await addHalo({ baseUrl: `http://halo.onprem.test:${port(halo)}`, authUrl: `http://halo-auth.rebound.test:${port(halo)}/auth` });
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'config' } });
    expect(run.error!.message).toContain('a cloud metadata address (169.254.169.254)');
  });
});
