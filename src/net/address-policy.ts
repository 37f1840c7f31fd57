import { BlockList, isIP } from 'node:net';
import { normaliseAddress } from './ip.js';

/**
 * What an address is, for deciding whether psa-sync may connect to it. Ranges follow the IANA
 * IPv4 and IPv6 special-purpose registries (RFC 6890 and successors).
 */
export type AddressKind =
  /** Cloud instance metadata and platform endpoints (169.254.169.254, fd00:ec2::254, …). */
  | 'metadata'
  | 'link-local'
  | 'loopback'
  /** 0.0.0.0/8 and `::`: on Linux, connecting to them reaches this host. */
  | 'unspecified'
  /** RFC 1918, carrier-grade NAT, unique-local IPv6, benchmarking, local-use NAT64. */
  | 'private'
  | 'multicast'
  /** Documentation, reserved, deprecated and protocol-assignment ranges; unallocated IPv6. */
  | 'reserved'
  | 'public';

function list(v4: string[], v6: string[]): BlockList {
  const b = new BlockList();
  for (const [ranges, type] of [[v4, 'ipv4'], [v6, 'ipv6']] as const) {
    for (const r of ranges) {
      const [net, bits] = r.split('/') as [string, string | undefined];
      if (bits === undefined) b.addAddress(net, type);
      else b.addSubnet(net, Number(bits), type);
    }
  }
  return b;
}

// Checked in this order: the first list that holds an address names its kind.
const KINDS: [AddressKind, BlockList][] = [
  ['metadata', list(['169.254.169.254', '169.254.170.2', '169.254.169.253', '169.254.169.123', '100.100.100.200', '168.63.129.16'], ['fd00:ec2::/32', 'fd20:ce::254'])],
  ['link-local', list(['169.254.0.0/16'], ['fe80::/10'])],
  ['loopback', list(['127.0.0.0/8'], ['::1/128'])],
  ['unspecified', list(['0.0.0.0/8'], ['::/128'])],
  ['private', list(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '198.18.0.0/15'], ['fc00::/7', '64:ff9b:1::/48'])],
  ['multicast', list(['224.0.0.0/4'], ['ff00::/8'])],
  [
    'reserved',
    list(
      ['192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4'],
      ['::/96', '100::/64', '2001::/23', '2001:db8::/32', '3fff::/20', '5f00::/16', 'fec0::/10'],
    ),
  ],
];
// Outside 2000::/3 nothing is allocated as global unicast.
const GLOBAL_UNICAST_V6 = list([], ['2000::/3']);

/** The kind of an IP literal, after unwrapping IPv4-mapped, NAT64 and 6to4 forms; undefined for a name. */
export function classifyAddress(ip: string): { address: string; kind: AddressKind } | undefined {
  const parsed = normaliseAddress(ip);
  if (!parsed) return undefined;
  const type = parsed.family === 4 ? 'ipv4' : 'ipv6';
  const address = parsed.text;
  for (const [kind, ranges] of KINDS) if (ranges.check(address, type)) return { address, kind };
  if (type === 'ipv6' && !GLOBAL_UNICAST_V6.check(address, 'ipv6')) return { address, kind: 'reserved' };
  return { address, kind: 'public' };
}

/** Which kinds of address one sort of outbound request may reach. */
export interface AddressPolicy {
  /** What is being connected to, for messages: "a webhook", "a PSA". */
  readonly purpose: string;
  readonly allowed: ReadonlySet<AddressKind>;
  /** What to say after a refusal: how to allow it, or that it is never allowed. */
  readonly hint: string;
}

/**
 * Webhooks (and anything else a customer points at the internet): public addresses only.
 */
export const PUBLIC_ONLY: AddressPolicy = {
  purpose: 'a webhook',
  allowed: new Set(['public']),
  hint: 'webhooks may only reach public addresses, never private or loopback ones unless PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true',
};

/** Webhooks with `PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true` (tests, closed networks). */
export const PRIVATE_WEBHOOKS: AddressPolicy = {
  purpose: 'a webhook',
  allowed: new Set(['public', 'private', 'loopback']),
  hint: 'even with PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true, webhooks never reach link-local, cloud metadata or reserved addresses',
};

/**
 * PSA hosts (ConnectWise `site`, HaloPSA `baseUrl`/`authUrl`, and any connector's API or
 * discovery URL) and ConnectWise callback key fetches, which only go to the account's own host.
 * On-premises PSAs live on private networks and tests run on loopback, so those are allowed;
 * link-local and cloud metadata addresses never are.
 */
export const PSA_HOSTS: AddressPolicy = {
  purpose: 'a PSA',
  allowed: new Set(['public', 'private', 'loopback']),
  hint: 'psa-sync never connects to link-local, cloud metadata, multicast or reserved addresses',
};

const KIND_WORDS: Record<AddressKind, string> = {
  metadata: 'a cloud metadata address',
  'link-local': 'a link-local address',
  loopback: 'a loopback address',
  unspecified: 'an unspecified address (it reaches this host)',
  private: 'a private address',
  multicast: 'a multicast address',
  reserved: 'a reserved or documentation address',
  public: 'a public address',
};

/** Why `policy` refuses `ip`, or undefined when it may be reached (or `ip` is not an address). */
export function addressRefusal(host: string, ip: string, policy: AddressPolicy): string | undefined {
  const c = classifyAddress(ip);
  if (!c || policy.allowed.has(c.kind)) return undefined;
  const shown = host.replace(/^\[|\]$/g, '');
  const bare = ip.replace(/^\[|\]$/g, '');
  const where = shown === bare ? `${shown} is` : `${shown} resolves to ${bare}, which is`;
  // An IPv6 spelling of an IPv4 address says which one it reaches.
  const reaches = isIP(c.address) === 4 && isIP(bare.replace(/%.*$/, '')) === 6 ? ` (${c.address})` : '';
  return `${where} ${KIND_WORDS[c.kind]}${reaches}; ${policy.hint}`;
}

/** Host names that only ever mean a cloud metadata service. */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/**
 * For settings validation: why a PSA URL may not be used, or undefined. Refuses at once what is
 * knowable without DNS (an IP literal in a refused range, a metadata host name); a name that
 * resolves to such an address is refused when psa-sync connects (see OutboundGuard). Connectors
 * call this from their settings schema for every URL setting, so the message names the setting.
 */
export function psaUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined; // the schema's own URL check says so
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_NAMES.has(host.replace(/\.$/, ''))) return `is a cloud metadata host (${host}); ${PSA_HOSTS.hint}`;
  const refusal = addressRefusal(host, host, PSA_HOSTS);
  return refusal ? `host ${refusal}` : undefined;
}
