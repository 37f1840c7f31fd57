import { describe, expect, it } from 'vitest';
import { classifyAddress, PRIVATE_WEBHOOKS, PSA_HOSTS, PUBLIC_ONLY, psaUrlProblem, type AddressKind } from '../../src/net/address-policy.js';
import { AddressRefusedError, OutboundGuard } from '../../src/net/outbound-guard.js';

/** Every spelling is classified by where it leads (issue 16 §5). */
const TABLE: [string, AddressKind][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['::ffff:0:7f00:1', 'loopback'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['2002:7f00:1::', 'loopback'],
  ['169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['169.254.1.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['fe90::', 'link-local'],
  ['fea0::5', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'private'],
  ['198.18.0.1', 'private'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b:1::1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456::7', 'private'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.1', 'reserved'],
  ['203.0.113.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['2001::1', 'reserved'],
  ['100::1', 'reserved'],
  ['::127.0.0.1', 'reserved'],
  ['fec0::1', 'reserved'],
  ['4000::1', 'reserved'],
  ['8.8.8.8', 'public'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['64:ff9b::808:808', 'public'],
  ['2606:4700:4700::1111', 'public'],
];

describe('address classification', () => {
  it.each(TABLE)('%s is %s', (address, kind) => {
    expect(classifyAddress(address)?.kind).toBe(kind);
  });

  it('host names are not addresses', () => {
    expect(classifyAddress('example.com')).toBeUndefined();
    expect(classifyAddress('127.0.0.1.nip.io')).toBeUndefined();
  });

  it('webhooks reach only public addresses; with private webhooks allowed, and for PSAs, never link-local or metadata ones', () => {
    for (const [address, kind] of TABLE) {
      expect(PUBLIC_ONLY.allowed.has(kind), address).toBe(kind === 'public');
      expect(PSA_HOSTS.allowed.has(kind), address).toBe(['public', 'private', 'loopback'].includes(kind));
      expect(PRIVATE_WEBHOOKS.allowed.has(kind), address).toBe(['public', 'private', 'loopback'].includes(kind));
    }
  });

  it('a PSA URL setting is refused for a link-local, metadata or unspecified literal or a metadata host name only', () => {
    expect(psaUrlProblem('http://[::ffff:a9fe:a9fe]/')).toMatch(/cloud metadata address \(169\.254\.169\.254\)/);
    expect(psaUrlProblem('https://metadata.google.internal')).toMatch(/cloud metadata host/);
    expect(psaUrlProblem('https://[fe90::1]')).toMatch(/link-local/);
    expect(psaUrlProblem('http://10.0.0.5:8080')).toBeUndefined();
    expect(psaUrlProblem('http://127.0.0.1:8091')).toBeUndefined();
    expect(psaUrlProblem('https://api-na.myconnectwise.net')).toBeUndefined();
  });
});

describe('the connect-time lookup', () => {
  const lookup = (guard: OutboundGuard, host: string, all = true) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => guard.lookup(host, { all }, (err, address) => resolve({ err, address })));

  it('refuses when any address a name resolves to is forbidden, and answers the rest as net.connect expects', async () => {
    const guard = new OutboundGuard(PUBLIC_ONLY, async (host) =>
      host === 'mixed.test'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '::ffff:10.0.0.1', family: 6 },
          ]
        : [{ address: '93.184.216.34', family: 4 }],
    );
    const mixed = await lookup(guard, 'mixed.test');
    expect(mixed.err).toBeInstanceOf(AddressRefusedError);
    expect(mixed.err!.message).toContain('mixed.test resolves to ::ffff:10.0.0.1, which is a private address (10.0.0.1)');
    expect((await lookup(guard, 'public.test')).address).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect((await lookup(guard, 'public.test', false)).address).toBe('93.184.216.34');
  });
});
