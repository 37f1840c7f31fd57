import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ForbiddenError, InputError, NotFoundError } from '../core/errors.js';
import { getAccount } from '../db/account-repository.js';
import type { Orm } from '../db/orm.js';
import { findTokenByHash, getToken, insertToken, listTokens, revokeToken, ROLES, touchToken, type Role, type TokenRecord } from '../db/token-repository.js';
import { requireId } from '../core/ids.js';
import { recordAudit } from '../db/audit-repository.js';
import type { Principal } from '../access/principal.js';

export type { Principal } from '../access/principal.js';

const TOKEN_PREFIX = 'psa_';

/** A token as listed: its record and whether it still works. */
export interface TokenView extends TokenRecord {
  state: 'active' | 'expired' | 'revoked';
}

function tokenState(t: TokenRecord, now: Date): TokenView['state'] {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && t.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

const tokenView = (t: TokenRecord, now: Date): TokenView => ({ ...t, state: tokenState(t, now) });

/** Tokens are managed by an account's admins and by support (product.md §7). */
function assertManagesTokens(caller: Principal): void {
  if (caller.role !== 'admin' && caller.role !== 'support') throw new ForbiddenError(`an ${caller.role} may not list or revoke tokens; an admin of this account is needed`);
}

/** SHA-256 is enough here: tokens are 256 random bits, not guessable passwords. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Creates service-account tokens (shown once, stored hashed) and resolves bearer tokens. */
export class TokenService {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
  ) {}

  /** `expiresInDays`: the token answers 401 after that many days (none: it does not expire). */
  async create(input: { role: string; accountId?: string; name?: string; expiresInDays?: number }, actor = 'cli'): Promise<{ token: string; record: TokenRecord }> {
    if (input.expiresInDays !== undefined && (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > 3650)) {
      throw new InputError(`expiry must be a whole number of days from 1 to 3650 (got ${input.expiresInDays})`);
    }
    if (!(ROLES as readonly string[]).includes(input.role)) throw new InputError(`role must be one of ${ROLES.join(', ')} (got "${input.role}")`);
    const role = input.role as Role;
    if (role === 'support' && input.accountId) throw new InputError('a support token reads every account; do not give --account');
    if (role !== 'support' && !input.accountId) throw new InputError(`an ${role} token belongs to one account; give --account ACCOUNT`);
    if (input.accountId) requireId('account', input.accountId);
    const em = this.orm.em.fork();
    if (input.accountId && !(await getAccount(em, input.accountId))) throw new NotFoundError(`account ${input.accountId} not found`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const record = await em.transactional(async (tem) => {
      const created = await insertToken(tem, {
      id: randomUUID(),
      name: input.name?.trim() || `${role} token`,
      role,
      accountId: input.accountId ?? null,
      createdAt: now,
      expiresAt: input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000),
      tokenHash: hashToken(token),
      });
      await recordAudit(tem, { accountId: created.accountId, actor, action: 'token.created', target: { type: 'token', id: created.id }, before: null, after: { name: created.name, role: created.role, expiresAt: created.expiresAt }, reason: null }, now);
      return created;
    });
    return { token, record };
  }

  /**
   * Tokens a caller may see (product.md §7): an admin those of its account, support every one;
   * the CLI (no caller) every one, or one account's. Never the token itself.
   */
  async list(opts: { accountId?: string; caller?: Principal }): Promise<TokenView[]> {
    if (opts.accountId) requireId('account', opts.accountId);
    const caller = opts.caller;
    if (caller) assertManagesTokens(caller);
    const accountId = caller && caller.role !== 'support' ? caller.accountId : (opts.accountId ?? null);
    if (caller && caller.role !== 'support' && opts.accountId && opts.accountId !== caller.accountId) throw new NotFoundError(`account ${opts.accountId} not found`);
    const now = this.clock.now();
    return (await listTokens(this.orm.em.fork(), accountId)).map((t) => tokenView(t, now));
  }

  /** Revokes a token: from now on it answers 401. An admin revokes its account's tokens; support any. */
  async revoke(tokenId: string, actor: string, caller?: Principal): Promise<TokenView> {
    requireId('token', tokenId);
    if (caller) assertManagesTokens(caller);
    const em = this.orm.em.fork();
    const found = await getToken(em, tokenId);
    // Another account's token is not found, as everywhere else.
    if (!found || (caller && caller.role !== 'support' && found.accountId !== caller.accountId)) throw new NotFoundError(`token ${tokenId} not found`);
    const now = this.clock.now();
    const revoked = await em.fork().transactional(async (tem) => {
      const t = (await revokeToken(tem, tokenId, actor, now))!;
      if (!found.revokedAt) await recordAudit(tem, { accountId: t.accountId, actor, action: 'token.revoked', target: { type: 'token', id: t.id }, before: { state: tokenState(found, now) }, after: { state: 'revoked' }, reason: null }, now);
      return t;
    });
    return tokenView(revoked, now);
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const em = this.orm.em.fork();
    const record = await findTokenByHash(em, hashToken(token));
    const now = this.clock.now();
    if (!record || tokenState(record, now) !== 'active') return undefined;
    await touchToken(em, record.id, now);
    return { kind: 'token', id: record.id, name: record.name, role: record.role, accountId: record.accountId, memberScope: null };
  }
}
