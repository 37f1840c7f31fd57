import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InputError, NotFoundError } from '../core/errors.js';
import { getAccount } from '../db/account-repository.js';
import type { Orm } from '../db/orm.js';
import { findTokenByHash, insertToken, ROLES, touchToken, type Role, type TokenRecord } from '../db/token-repository.js';
import { requireId } from '../core/ids.js';

/** Who is calling the API: a token's role and, except for support, its one account. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  accountId: string | null;
}

const TOKEN_PREFIX = 'psa_';

/** SHA-256 is enough here: tokens are 256 random bits, not guessable passwords. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Creates service-account tokens (shown once, stored hashed) and resolves bearer tokens. */
export class TokenService {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
  ) {}

  async create(input: { role: string; accountId?: string; name?: string }): Promise<{ token: string; record: TokenRecord }> {
    if (!(ROLES as readonly string[]).includes(input.role)) throw new InputError(`role must be one of ${ROLES.join(', ')} (got "${input.role}")`);
    const role = input.role as Role;
    if (role === 'support' && input.accountId) throw new InputError('a support token reads every account; do not give --account');
    if (role !== 'support' && !input.accountId) throw new InputError(`an ${role} token belongs to one account; give --account ACCOUNT`);
    if (input.accountId) requireId('account', input.accountId);
    const em = this.orm.em.fork();
    if (input.accountId && !(await getAccount(em, input.accountId))) throw new NotFoundError(`account ${input.accountId} not found`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const record = await insertToken(em, {
      id: randomUUID(),
      name: input.name?.trim() || `${role} token`,
      role,
      accountId: input.accountId ?? null,
      createdAt: this.clock.now(),
      tokenHash: hashToken(token),
    });
    return { token, record };
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const em = this.orm.em.fork();
    const record = await findTokenByHash(em, hashToken(token));
    if (!record) return undefined;
    await touchToken(em, record.id, this.clock.now());
    return { tokenId: record.id, name: record.name, role: record.role, accountId: record.accountId };
  }
}
