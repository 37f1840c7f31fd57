import type { MailContent } from '../notify/templates.js';
import { activationMail } from '../notify/templates.js';
import { LINK_TTL_MS, linkUrl } from './links.js';

/**
 * The activation email for a link issued at `issuedAt`: valid `LINK_TTL_MS.activation` (7 days),
 * dated in the account's time zone (UTC for support, who belong to no account).
 */
export function activationMailFor(publicUrl: string, person: { name: string; role: string }, account: { name: string; timezone: string } | null, token: string, issuedAt: Date): MailContent {
  return activationMail({
    name: person.name,
    role: person.role,
    accountName: account?.name ?? null,
    link: linkUrl(publicUrl, 'activation', token),
    expiresAt: new Date(issuedAt.getTime() + LINK_TTL_MS.activation),
    validDays: LINK_TTL_MS.activation / 86_400_000,
    timeZone: account?.timezone ?? 'UTC',
  });
}
