import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InputError } from '../core/errors.js';

/** Loopback, private, link-local, carrier-grade NAT, unique-local, multicast and unspecified addresses. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const v6 = ip.toLowerCase();
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe80') || v6.startsWith('ff');
}

/**
 * Refuses a webhook URL that is not http(s), carries credentials, or whose host resolves to a
 * private or loopback address (server-side request forgery), unless private addresses are allowed
 * (`PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true`, for tests and closed networks). Checked when an endpoint
 * is added and again before every delivery, since DNS can change.
 */
export async function assertDeliverableUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`"${raw.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowPrivate)) throw new InputError('a webhook URL must use https');
  if (url.username || url.password) throw new InputError('a webhook URL must not carry a user name or password');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new InputError(`the webhook host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) throw new InputError(`the webhook host ${host} is a private or loopback address; psa-sync only calls public addresses (set PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true to allow them)`);
  return url;
}
