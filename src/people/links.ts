import { createHash, randomBytes } from 'node:crypto';

/** Activation links last 7 days; reset links 1 hour (product.md §7). */
export const LINK_TTL_MS = { activation: 7 * 86_400_000, reset: 3_600_000 } as const;
export type LinkPurpose = keyof typeof LINK_TTL_MS;

/** 32 random bytes, URL-safe: the secret in a link or a session cookie. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Links, sessions and tokens are stored only as their SHA-256 (they are random, not guessable). */
export const sha256 = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The console page a mailed link opens: `/activate/:token` or `/reset/:token`. */
export const linkUrl = (publicUrl: string, purpose: LinkPurpose, token: string): string => `${publicUrl}/${purpose === 'activation' ? 'activate' : 'reset'}/${token}`;
