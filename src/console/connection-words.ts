/**
 * A failed connection test in the words of the form a person filled in: the connectors name their
 * settings by key (`userName`, `integrationCode`) and speak of "the site address", which an
 * Autotask or HaloPSA form does not have; the console names its own fields. Pure.
 */

/** Each integration's settings as its form labels them. */
const LABELS: Record<string, Record<string, string>> = {
  connectwise: { site: 'Site', companyId: 'Company id', publicKey: 'Public key', privateKey: 'Private key', clientId: 'Client id' },
  autotask: { userName: 'API user name', secret: 'Secret', integrationCode: 'Integration code', zoneUrl: 'Zone URL' },
  halopsa: { baseUrl: 'Base URL', clientId: 'Client id', clientSecret: 'Client secret', tenant: 'Tenant' },
};

/** What to check when the PSA could not be reached at all, per integration. */
function unreachable(integration: string, settings: Record<string, unknown>): string | undefined {
  if (integration === 'autotask') return settings.zoneUrl ? 'check Zone URL and the network' : 'check the network, or fill in Zone URL (empty, the zone is looked up from the API user name)';
  if (integration === 'halopsa') return 'check Base URL and the network';
  if (integration === 'connectwise') return 'check Site and the network';
  return undefined;
}

/** The message of a failed connection test, its settings named as the form names them (in its "check …" part). */
export function connectionWords(integration: string, settings: Record<string, unknown>, message: string): string {
  let words = message;
  const reach = unreachable(integration, settings);
  if (reach) words = words.replace('check the site address and network', reach);
  if (integration === 'connectwise') words = words.replace('check the API keys', 'check Public key and Private key');
  const at = words.lastIndexOf('check ');
  if (at < 0) return words;
  let advice = words.slice(at);
  for (const [key, label] of Object.entries(LABELS[integration] ?? {})) advice = advice.replace(new RegExp(`\\b${key}\\b`, 'g'), label);
  return words.slice(0, at) + advice;
}
