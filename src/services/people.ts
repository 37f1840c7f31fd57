import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../access/principal.js';
import { scopeSeenBy } from '../access/client-names.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { getAccount, lockAccount, type AccountRecord } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import { PersonSchema, type PersonEntity, type PersonRole } from '../db/entities.js';
import { exec } from '../db/sql.js';
import { getMember } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { countSignInAdmins, findPersonByEmail, issueLink, listPeople, lockSignInAdmins, personScopeView, personView, setClientScope, setScope, type PersonView } from '../db/people-repository.js';
import { choiceParts, CLIENT_MAX, cleanClient, clientKey, MAX_SCOPE_VALUES, type PersonScopeInput, type ScopeChoice } from '../domain/person-scope.js';
import { LastAdmin } from '../domain/last-admin.js';
import type { Mailer } from '../notify/mailer.js';
import { activationMailFor } from '../people/activation-mail.js';
import { LINK_TTL_MS, newSecret, sha256 } from '../people/links.js';
import { cleanReason } from './members.js';

export const ACCOUNT_ROLES = ['admin', 'account_manager', 'employee'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/** What happened to the activation email. */
export type MailOutcome = { sent: true; channel: 'smtp' | 'outbox' } | { sent: false; error: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function cleanEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw new InputError(`"${email.slice(0, 60)}" is not an email address`);
  return e;
}

function requireRole(role: string): AccountRole {
  if (!(ACCOUNT_ROLES as readonly string[]).includes(role)) throw new InputError(`role must be one of ${ACCOUNT_ROLES.join(', ')} (got "${role}")`);
  return role as AccountRole;
}

/** Refuses a scope list longer than the limit, naming it. */
function tooLong(field: string, length: number, nouns: string): void {
  if (length <= MAX_SCOPE_VALUES) return;
  const limit = MAX_SCOPE_VALUES.toLocaleString('en');
  throw new InputError(`${field} lists ${length.toLocaleString('en')} ${nouns}; a scope lists at most ${limit} ${nouns} (choose the other of "only these" and "all except these" for the shorter list)`);
}

/** A scope part as JSON gives it: `{include: […]}` or `{exclude: […]}` with nothing else, or null. */
function scopeChoice(name: string, value: unknown): ScopeChoice | null {
  if (value === null) return null;
  const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const list = keys.length === 1 && (keys[0] === 'include' || keys[0] === 'exclude') ? (value as Record<string, unknown>)[keys[0]] : undefined;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) throw new InputError(`scope.${name} must be {"include": [...]} or {"exclude": [...]} (a list of ${name === 'members' ? 'member ids' : 'client names'}), or null for all`);
  tooLong(`scope.${name}`, list.length, name === 'members' ? 'engineers' : 'clients');
  return keys[0] === 'include' ? { include: list as string[] } : { exclude: list as string[] };
}

/** The members part of a change: undefined (unchanged), null (all), or ids to include or exclude. */
function memberChange(input: { memberScope?: string[] | null; scope?: PersonScopeInput }): { mode: 'include' | 'exclude'; ids: string[] } | null | undefined {
  if (input.memberScope !== undefined && input.scope?.members !== undefined) throw new InputError('give memberScope or scope.members, not both');
  const given = input.scope?.members !== undefined ? scopeChoice('members', input.scope.members) : input.memberScope === undefined ? undefined : input.memberScope === null ? null : { include: input.memberScope };
  if (!given) return given;
  const { mode, values } = choiceParts(given);
  const ids = [...new Set(values.map((id) => requireId('member', id)))];
  tooLong(input.scope?.members !== undefined ? 'scope.members' : 'memberScope', ids.length, 'engineers');
  // Excluding nobody is seeing everyone.
  return mode === 'exclude' && ids.length === 0 ? null : { mode, ids };
}

/** The clients part of a change: undefined (unchanged), null (all), or names (trimmed; one per name, whatever its case). */
function clientChange(scope: PersonScopeInput | undefined): { mode: 'include' | 'exclude'; names: string[] } | null | undefined {
  if (scope?.clients === undefined) return undefined;
  const given = scopeChoice('clients', scope.clients);
  if (!given) return null;
  const { mode, values } = choiceParts(given);
  const names = new Map<string, string>();
  for (const raw of values) {
    const name = cleanClient(raw);
    if (!name) throw new InputError('scope.clients: a client name is empty');
    if ([...name].length > CLIENT_MAX) throw new InputError(`scope.clients: "${name.slice(0, 40)}…" is longer than ${CLIENT_MAX} characters`);
    if (!names.has(clientKey(name))) names.set(clientKey(name), name);
  }
  tooLong('scope.clients', names.size, 'clients');
  return mode === 'exclude' && names.size === 0 ? null : { mode, names: [...names.values()] };
}

/** Who may manage an account's people: its admins (support only names a first admin, below). */
function assertAdminOf(caller: Principal | undefined, accountId: string, action: string): void {
  if (!caller) return;
  if (caller.role !== 'support' && caller.accountId !== accountId) throw new NotFoundError(`account ${accountId} not found`);
  if (caller.role !== 'admin') throw new ForbiddenError(`${caller.role === 'support' ? 'support' : `an ${caller.role}`} may not ${action}; an admin of this account is needed`);
}

/**
 * People and roles of product.md §7: invite (activation email, 7 days, once), resend, change role
 * or a manager's members, remove; support people. Every account keeps an admin who can sign in.
 * `caller` absent means the operator's CLI, which may do anything.
 */
export class PeopleService {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {}

  /**
   * An account's people; admins, managers who see every engineer, and support read it. Scopes name
   * clients: a reader narrowed by clients reads only the names it sees (the rest are counted).
   */
  async list(accountId: string, caller?: Principal): Promise<PersonView[]> {
    requireId('account', accountId);
    if (caller && caller.role !== 'support') {
      if (caller.accountId !== accountId) throw new NotFoundError(`account ${accountId} not found`);
      if (caller.role === 'employee' || caller.memberScope !== null) throw new ForbiddenError(`${caller.role === 'employee' ? 'an employee' : 'a narrowed account manager'} may not list people`);
    }
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return (await listPeople(em, accountId, this.clock.now())).map((p) => ({ ...p, scope: scopeSeenBy(caller, p.scope) }));
  }

  async get(accountId: string, personId: string, caller?: Principal): Promise<PersonView> {
    const person = (await this.list(accountId, caller)).find((p) => p.id === requireId('person', personId));
    if (!person) throw new NotFoundError(`person ${personId} not found in account ${accountId}`);
    return person;
  }

  /**
   * Gives a role to an Active member with an email (`memberId`, or `email` naming one), or, for an
   * account's first admin, to an email no member has yet (linked when that member appears). Sends
   * the activation email. Inviting someone already invited with the same role sends a fresh link.
   */
  async invite(accountId: string, input: { memberId?: string; email?: string; role: string; reason?: string }, actor: string, caller?: Principal): Promise<{ person: PersonView; mail: MailOutcome }> {
    requireId('account', accountId);
    const role = requireRole(input.role);
    if ((input.memberId === undefined) === (input.email === undefined)) throw new InputError('give either a member or an email, not both or neither');
    const memberId = input.memberId === undefined ? undefined : requireId('member', input.memberId);
    const email = input.email === undefined ? undefined : cleanEmail(input.email);
    if (caller && !(caller.role === 'support' && role === 'admin')) assertAdminOf(caller, accountId, 'invite people');
    const now = this.clock.now();
    const token = newSecret();

    const { personId, account, resent } = await this.orm.em.fork().transactional(async (tem) => {
      const account = await lockAccount(tem, accountId);
      if (!account) throw new NotFoundError(`account ${accountId} not found`);
      if (caller?.role === 'support' && (await this.#hasActivatedAdmin(tem, accountId))) {
        throw new ForbiddenError('support may name only the first admin of an account that has no admin who can sign in; its admins invite everyone else');
      }
      const target = await this.#resolveMember(tem, account, { memberId, email, role });
      const existing = await this.#existingPerson(tem, target.email, target.memberId);
      if (existing) {
        // Never say where else the email signs in: the caller is an admin of this account only.
        if (existing.account !== accountId) throw new ConflictError(`${target.email} cannot be invited here: one email has one psa-sync sign-in, and this one is already taken; use another email, or ask support`);
        if (existing.activatedAt) throw new ConflictError(`${target.email} already signs in here as ${existing.role}; change the role instead`);
        if (existing.role !== role) throw new ConflictError(`${target.email} is already invited as ${existing.role}; change the role instead, or resend the invitation`);
      }
      const personId = existing?.id ?? randomUUID();
      if (!existing) {
        tem.create(PersonSchema, { id: personId, account: accountId, member: target.memberId, email: target.email, name: target.name, role, passwordHash: null, activatedAt: null, suspendedAt: null, narrowed: false, invitedBy: actor, createdAt: now, updatedAt: now });
        await tem.flush();
      }
      await issueLink(tem, { id: randomUUID(), person: personId, purpose: 'activation', tokenHash: sha256(token), expiresAt: new Date(now.getTime() + LINK_TTL_MS.activation), createdAt: now });
      await recordAudit(tem, { accountId, actor, action: existing ? 'person.invitation_resent' : 'person.invited', target: target.memberId ? { type: 'member', id: target.memberId } : { type: 'person', id: personId }, before: null, after: { personId, email: target.email, role }, reason: cleanReason(input.reason) }, now);
      return { personId, account, resent: Boolean(existing) };
    });
    const person = (await personView(this.orm.em.fork(), personId, now))!;
    this.logger.info({ accountId, personId, role, resent }, resent ? 'invitation resent' : 'person invited');
    return { person, mail: await this.#sendActivation(person, account, token, now) };
  }

  /** Sends a new activation link; earlier ones stop working. */
  async resend(accountId: string, personId: string, actor: string, caller?: Principal): Promise<{ person: PersonView; mail: MailOutcome }> {
    requireId('account', accountId);
    requireId('person', personId);
    const em = this.orm.em.fork();
    const found = await em.findOne(PersonSchema, { id: personId, account: accountId });
    if (!found) throw new NotFoundError(`person ${personId} not found in account ${accountId}`);
    if (!(caller?.role === 'support' && found.role === 'admin')) assertAdminOf(caller, accountId, 'resend invitations');
    if (found.activatedAt) throw new ConflictError(`${found.email} has already set a password; they can use "forgot password"`);
    return this.invite(accountId, found.member ? { memberId: found.member, role: found.role } : { email: found.email, role: found.role }, actor, caller);
  }

  /**
   * Changes a person's role, or what a (narrowed) account manager sees: `memberScope` (member ids
   * they see, or null for all) or `scope` (engineers and clients, each `{include: […]}` or
   * `{exclude: […]}`, null for all; an absent part stays as it is). Demoting the last admin who can
   * sign in is refused.
   */
  async update(accountId: string, personId: string, input: { role?: string; memberScope?: string[] | null; scope?: PersonScopeInput; reason?: string }, actor: string, caller?: Principal): Promise<PersonView> {
    requireId('account', accountId);
    requireId('person', personId);
    assertAdminOf(caller, accountId, 'change roles');
    if (input.role === undefined && input.memberScope === undefined && input.scope === undefined) throw new InputError('give a role, a memberScope or a scope to change');
    const role = input.role === undefined ? undefined : requireRole(input.role);
    const members = memberChange(input);
    const clients = clientChange(input.scope);
    const now = this.clock.now();
    await this.orm.em.fork().transactional(async (tem) => {
      if (!(await lockAccount(tem, accountId))) throw new NotFoundError(`account ${accountId} not found`);
      const person = await tem.findOne(PersonSchema, { id: personId, account: accountId });
      if (!person) throw new NotFoundError(`person ${personId} not found in account ${accountId}`);
      const before = { role: person.role, memberScope: person.narrowed ? 'narrowed' : 'all', scope: await personScopeView(tem, person) };
      const newRole = role ?? (person.role as AccountRole);
      if (person.role === 'admin' && newRole !== 'admin') await this.#assertNotLastAdmin(tem, accountId, person);
      if (newRole === 'employee' && !person.member) throw new ConflictError(`${person.email} is not tied to a member yet, so cannot be an employee (an employee sees their own member record)`);
      if ((members !== undefined || clients !== undefined) && newRole !== 'account_manager') throw new InputError('only an account manager can be narrowed to chosen members or clients');
      if (members) {
        const rows = await exec<{ id: string }>(tem, 'select id from member where account_id = ? and id = any(?::uuid[])', [accountId, members.ids]);
        const known = new Set(rows.map((r) => r.id));
        const missing = members.ids.filter((id) => !known.has(id));
        if (missing.length > 0) throw new NotFoundError(`member${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in account ${accountId}`);
      }
      person.role = newRole;
      person.updatedAt = now;
      await tem.flush();
      if (members !== undefined) await setScope(tem, personId, members?.ids ?? null, members?.mode === 'exclude');
      else if (newRole !== 'account_manager' && person.narrowed) await setScope(tem, personId, null);
      if (clients !== undefined) await setClientScope(tem, personId, clients);
      else if (newRole !== 'account_manager' && person.clientScope) await setClientScope(tem, personId, null);
      const scope = await personScopeView(tem, (await tem.findOne(PersonSchema, { id: personId }, { refresh: true }))!);
      const after = { role: newRole, memberScope: scope.members === null ? 'all' : 'include' in scope.members ? scope.members.include : 'narrowed', scope };
      const scopeOnly = (members !== undefined || clients !== undefined) && newRole === before.role;
      await recordAudit(tem, { accountId, actor, action: scopeOnly ? 'person.scope_changed' : 'person.role_changed', target: person.member ? { type: 'member', id: person.member } : { type: 'person', id: personId }, before, after, reason: cleanReason(input.reason) }, now);
    });
    return (await personView(this.orm.em.fork(), personId, now))!;
  }

  /** Takes a person's sign-in away (their member stays). The last admin who can sign in cannot be removed. */
  async remove(accountId: string, personId: string, actor: string, caller?: Principal, reason?: string): Promise<PersonView> {
    requireId('account', accountId);
    requireId('person', personId);
    assertAdminOf(caller, accountId, 'remove people');
    const now = this.clock.now();
    return this.orm.em.fork().transactional(async (tem) => {
      if (!(await lockAccount(tem, accountId))) throw new NotFoundError(`account ${accountId} not found`);
      const person = await tem.findOne(PersonSchema, { id: personId, account: accountId });
      if (!person) throw new NotFoundError(`person ${personId} not found in account ${accountId}`);
      if (person.role === 'admin') await this.#assertNotLastAdmin(tem, accountId, person);
      const view = (await personView(tem, personId, now))!;
      await tem.nativeDelete(PersonSchema, { id: personId });
      await recordAudit(tem, { accountId, actor, action: 'person.removed', target: person.member ? { type: 'member', id: person.member } : { type: 'person', id: personId }, before: { email: person.email, role: person.role }, after: null, reason: cleanReason(reason) }, now);
      return view;
    });
  }

  /** `psa-sync support add`: a support person (all accounts, read-only), sent an activation email. */
  async addSupport(input: { email: string; name: string }, actor: string): Promise<{ person: PersonView; mail: MailOutcome }> {
    const email = cleanEmail(input.email);
    const name = input.name.trim();
    if (!name || name.length > 200) throw new InputError('give the support person a name (at most 200 characters)');
    const now = this.clock.now();
    const token = newSecret();
    const personId = await this.orm.em.fork().transactional(async (tem) => {
      const existing = await findPersonByEmail(tem, email);
      if (existing && (existing.role !== 'support' || existing.activatedAt)) throw new ConflictError(`${email} already signs in${existing.role === 'support' ? ' as support' : ' to an account'}; one email has one sign-in`);
      const id = existing?.id ?? randomUUID();
      if (!existing) {
        tem.create(PersonSchema, { id, account: null, member: null, email, name, role: 'support', passwordHash: null, activatedAt: null, suspendedAt: null, narrowed: false, invitedBy: actor, createdAt: now, updatedAt: now });
        await tem.flush();
      }
      await issueLink(tem, { id: randomUUID(), person: id, purpose: 'activation', tokenHash: sha256(token), expiresAt: new Date(now.getTime() + LINK_TTL_MS.activation), createdAt: now });
      await recordAudit(tem, { accountId: null, actor, action: existing ? 'person.invitation_resent' : 'person.invited', target: { type: 'person', id }, before: null, after: { email, role: 'support' }, reason: null }, now);
      return id;
    });
    const person = (await personView(this.orm.em.fork(), personId, now))!;
    return { person, mail: await this.#sendActivation(person, null, token, now) };
  }

  /** Support people (operator's view). */
  async listSupport(): Promise<PersonView[]> {
    return listPeople(this.orm.em.fork(), null, this.clock.now());
  }

  async #sendActivation(person: PersonView, account: { name: string; timezone: string } | null, token: string, now: Date): Promise<MailOutcome> {
    const content = activationMailFor(this.publicUrl, person, account, token, now);
    try {
      const delivery = await this.mailer.send(person.email, content);
      return { sent: true, channel: delivery.channel };
    } catch (err) {
      // The invitation stands; the admin can resend once mail works. The error names no secret.
      this.logger.warn({ err, personId: person.id }, 'activation email not sent');
      return { sent: false, error: (err as Error).message };
    }
  }

  async #hasActivatedAdmin(em: EntityManager, accountId: string): Promise<boolean> {
    return (await countSignInAdmins(em, accountId)) > 0;
  }

  async #assertNotLastAdmin(em: EntityManager, accountId: string, person: PersonEntity): Promise<void> {
    const admins = await lockSignInAdmins(em, accountId);
    // A pending invitation or a suspended admin takes no one's sign-in away.
    if (!admins.some((a) => a.id === person.id)) return;
    if (!new LastAdmin(new Set(admins.map((a) => a.id)), admins.length).release()) throw new ConflictError(LastAdmin.words(`${person.name} (${person.email})`));
  }

  /** The member a role goes to: an Active member with an email; or, for a first admin, just an email. */
  async #resolveMember(em: EntityManager, account: AccountRecord, input: { memberId?: string; email?: string; role: AccountRole }): Promise<{ memberId: string | null; email: string; name: string }> {
    let member = input.memberId ? await getMember(em, account.id, input.memberId) : undefined;
    if (input.memberId && !member) throw new NotFoundError(`member ${input.memberId} not found in account ${account.id}`);
    if (!member && input.email) {
      const rows = await exec<{ id: string }>(em, 'select id from member where account_id = ? and lower(email) = ? order by active desc, first_seen_at, id limit 1', [account.id, input.email]);
      if (rows[0]) member = await getMember(em, account.id, rows[0].id);
    }
    if (!member) {
      const anyAdmin = await em.count(PersonSchema, { account: account.id, role: 'admin' });
      if (input.role === 'admin' && anyAdmin === 0) return { memberId: null, email: input.email!, name: input.email!.split('@')[0]! };
      throw new ConflictError(`no member of ${account.name} has the email ${input.email}; roles go to Active members with an email (only an account's first admin may be invited before their member exists)`);
    }
    if (!member.active) throw new ConflictError(`member ${member.name} is not Active, so cannot be given a role; make them Active first`);
    if (!member.email) throw new ConflictError(`member ${member.name} has no email, so cannot be sent an activation link; add their email in the PSA first`);
    return { memberId: member.id, email: member.email.toLowerCase(), name: member.name };
  }

  async #existingPerson(em: EntityManager, email: string, memberId: string | null): Promise<PersonEntity | null> {
    return (await findPersonByEmail(em, email)) ?? (memberId ? await em.findOne(PersonSchema, { member: memberId }) : null);
  }
}
