import { isIP } from 'node:net';

/** An address as psa-sync classifies it: IPv4, or IPv6 as eight 16-bit groups. */
export type ParsedAddress = { family: 4; text: string } | { family: 6; text: string; groups: number[] };

/** The eight 16-bit groups of an IPv6 address (zone index dropped), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 address an IPv6 address stands for, where one reaches it: IPv4-mapped
 * (`::ffff:7f00:1` is 127.0.0.1), IPv4-translated (`::ffff:0:a.b.c.d`), the NAT64 well-known
 * prefix (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002:AABB:CCDD::/48`, RFC 3056).
 */
export function embeddedIPv4(groups: readonly number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(5) && g5 === 0xffff) return v4(g6, g7);
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return v4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7);
  if (g0 === 0x2002) return v4(g1, g2);
  return undefined;
}

/**
 * Parses an IP literal (brackets and IPv6 zone index allowed) and unwraps the IPv6 forms that
 * carry an IPv4 address, so that every spelling of one destination is classified alike.
 * Undefined for anything that is not an IP literal (a host name).
 */
export function normaliseAddress(raw: string): ParsedAddress | undefined {
  const ip = raw.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return { family: 4, text: ip };
  if (family !== 6) return undefined;
  const groups = ipv6Groups(ip);
  if (!groups) return undefined;
  const inner = embeddedIPv4(groups);
  if (inner) return { family: 4, text: inner };
  return { family: 6, text: groups.map((g) => g.toString(16)).join(':'), groups };
}
