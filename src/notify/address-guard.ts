import { InputError } from '../core/errors.js';
import { PRIVATE_WEBHOOKS, PUBLIC_ONLY } from '../net/address-policy.js';
import { AddressRefusedError, OutboundGuard, systemResolver, type Resolver } from '../net/outbound-guard.js';

/**
 * The guard webhook deliveries connect through: public addresses only, or with
 * `PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true` (tests, closed networks) private and loopback ones too;
 * never link-local or cloud metadata addresses either way.
 */
export function webhookGuard(allowPrivate: boolean, resolve: Resolver = systemResolver): OutboundGuard {
  return new OutboundGuard(allowPrivate ? PRIVATE_WEBHOOKS : PUBLIC_ONLY, resolve);
}

/** A webhook URL's shape: http(s) (plain http only where private addresses are allowed), no credentials. */
export function webhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`"${raw.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowPrivate)) throw new InputError('a webhook URL must use https');
  if (url.username || url.password) throw new InputError('a webhook URL must not carry a user name or password');
  return url;
}

/**
 * Refuses a webhook URL that is not http(s), carries credentials, or whose host resolves (now) to
 * an address the guard forbids (server-side request forgery). This is feedback when an endpoint is
 * added; every delivery is checked again where it counts, at connect time, by the guard's agents.
 */
export async function assertDeliverableUrl(raw: string, guard: OutboundGuard, allowPrivate: boolean): Promise<URL> {
  const url = webhookUrl(raw, allowPrivate);
  await guard.checkHost(url.hostname).catch((err: unknown) => {
    throw new InputError(`the webhook host ${err instanceof AddressRefusedError ? err.reason : (err as Error).message}`, { cause: err });
  });
  return url;
}
